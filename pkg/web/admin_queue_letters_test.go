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

// TestQueueShowsAndFiltersByLetter: with two letters, the queue's header
// counts what awaits review on each, every row names its letter, and
// ?letter=slug shows one letter's signatures only.
func TestQueueShowsAndFiltersByLetter(t *testing.T) {
	h := webtest.New(t, func(c *config.Config) {
		c.Letters = append(c.Letters, config.Letter{Slug: "second-letter", Title: "A second letter", Body: "Also.", Lang: "en",
			Review: []string{"organisation"}})
	})
	signAndConfirm(t, h, orgForm("Open Rights Lab", "https://openrights.example", "kim@openrights.example", "DE"))
	h.PostForm("/letters/second-letter/sign", orgForm("Second Org", "https://second.example", "press@second.example", "FR"))
	h.DrainOutbox()
	for _, m := range h.SMTP.Messages() {
		if len(m.To) == 1 && m.To[0] == "press@second.example" && strings.Contains(m.Subject, "A second letter") {
			h.PostForm(webtest.ConfirmLink(t, h.URL, m), nil)
		}
	}
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

	one := mod.Get("/admin?letter=second-letter")
	rows := one.Doc().Find("table.queue tbody tr")
	if rows.Length() != 1 || !strings.Contains(rows.Text(), "Second Org") {
		t.Errorf("?letter=second-letter lists %d rows: %s", rows.Length(), rows.Text())
	}
	if current := one.Doc().Find(".pending a[aria-current]").Text(); current != "A second letter" {
		t.Errorf("current letter in the header: %q", current)
	}
	if res := mod.Get("/admin?letter=no-such-letter"); res.Status != http.StatusBadRequest {
		t.Errorf("unknown letter: %d", res.Status)
	}
}
