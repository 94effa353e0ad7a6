package web_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/undersigned/undersigned/pkg/config"
	"github.com/undersigned/undersigned/pkg/store"
	"github.com/undersigned/undersigned/pkg/web/webtest"
)

// secondLetter is the slug of the letter twoLetters adds to the harness's.
const secondLetter = "second-letter"

// twoLetters starts a harness with a second letter, "A second letter", and
// one organisation confirmed on each, awaiting review: Open Rights Lab (DE)
// on the first letter, Second Org (FR) on the second.
func twoLetters(t *testing.T, configure ...func(*config.Config)) *webtest.Harness {
	t.Helper()
	h := webtest.New(t, append([]func(*config.Config){func(c *config.Config) {
		c.Letters = append(c.Letters, config.Letter{Slug: secondLetter, Title: "A second letter", Body: "Also.", Lang: "en",
			Review: []string{"organisation"}})
	}}, configure...)...)
	signAndConfirm(t, h, orgForm("Open Rights Lab", "https://openrights.example", "kim@openrights.example", "DE"))
	h.PostForm("/letters/"+secondLetter+"/sign", orgForm("Second Org", "https://second.example", "press@second.example", "FR"))
	h.DrainOutbox()
	for _, m := range h.SMTP.Messages() {
		if len(m.To) == 1 && m.To[0] == "press@second.example" && strings.Contains(m.Subject, "A second letter") {
			h.PostForm(webtest.ConfirmLink(t, h.URL, m), nil)
		}
	}
	return h
}

// checkUnknownLetter asks for path limited to a letter that does not exist:
// the page answers 422 and says so beside its letter filter.
func checkUnknownLetter(t *testing.T, b *webtest.Browser, path string) {
	t.Helper()
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	res := b.Get(path + sep + "letter=no-such-letter")
	if res.Status != http.StatusUnprocessableEntity {
		t.Errorf("%s, unknown letter: %d, want 422", path, res.Status)
	}
	field := res.Doc().Find("#f-letter")
	message := strings.TrimSpace(res.Doc().Find("#f-letter-error").Text())
	described, _ := field.Attr("aria-describedby")
	if message != "No letter has this address. Choose one from the list." || !strings.Contains(described, "f-letter-error") {
		t.Errorf("%s, unknown letter: message %q, described by %q", path, message, described)
	}
}

// TestQueueShowsAndFiltersByLetter: with two letters, the queue's header
// counts what awaits review on each, every row names its letter, and
// ?letter=slug shows one letter's signatures only.
func TestQueueShowsAndFiltersByLetter(t *testing.T) {
	h := twoLetters(t)
	mod := h.LoginAs("mod@campaign.example", store.RoleModerator)

	all := mod.Get("/admin")
	checkPageBasics(t, "/admin", all)
	var header []string
	all.Doc().Find(".pending li").Each(func(_ int, s *goquery.Selection) {
		header = append(header, strings.Join(strings.Fields(s.Text()), " "))
	})
	if strings.Join(header, "|") != "Keep encryption strong: 1 to review|A second letter: 1 to review" {
		t.Errorf("queue header: %q", header)
	}
	var letters []string
	all.Doc().Find("table.queue tbody tr").Each(func(_ int, s *goquery.Selection) {
		letters = append(letters, strings.TrimSpace(s.Find("td").Eq(2).Text()))
	})
	if len(letters) != 2 || !strings.Contains(strings.Join(letters, "|"), "A second letter") {
		t.Errorf("letter column: %q", letters)
	}

	one := mod.Get("/admin?letter=" + secondLetter)
	rows := one.Doc().Find("table.queue tbody tr")
	if rows.Length() != 1 || !strings.Contains(rows.Text(), "Second Org") {
		t.Errorf("?letter=second-letter lists %d rows: %s", rows.Length(), rows.Text())
	}
	if current := one.Doc().Find(".pending a[aria-current]").Text(); current != "A second letter" {
		t.Errorf("current letter in the header: %q", current)
	}
	checkUnknownLetter(t, mod, "/admin?status=pending_review")
}
