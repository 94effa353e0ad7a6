package web_test

import (
	"net/http"
	"net/url"
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
func twoLetters(t *testing.T) *webtest.Harness {
	t.Helper()
	h := webtest.New(t, func(c *config.Config) {
		c.Letters = append(c.Letters, config.Letter{Slug: secondLetter, Title: "A second letter", Body: "Also.", Lang: "en",
			Review: []string{"organisation"}})
	})
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

// letterHeader is the per-letter header of a console page (queue, mail),
// one line per letter joined by "|".
func letterHeader(res *webtest.Response) string {
	var lines []string
	res.Doc().Find(".pending li").Each(func(_ int, s *goquery.Selection) {
		lines = append(lines, strings.Join(strings.Fields(s.Text()), " "))
	})
	return strings.Join(lines, "|")
}

// TestQueueShowsAndFiltersByLetter: with two letters, the queue's header
// counts what awaits review on each, every row names its letter, and
// ?letter=slug shows one letter's signatures only.
func TestQueueShowsAndFiltersByLetter(t *testing.T) {
	h := twoLetters(t)
	mod := h.LoginAs("mod@campaign.example", store.RoleModerator)

	all := mod.Get("/admin")
	checkPageBasics(t, "/admin", all)
	if header := letterHeader(all); header != "Keep encryption strong: 1 to review|A second letter: 1 to review" {
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

// signatureOf is the id of the signature named name, as the queue links it.
func signatureOf(t *testing.T, b *webtest.Browser, name string) string {
	t.Helper()
	var href string
	b.Get("/admin").Doc().Find("table.queue tbody tr").Each(func(_ int, s *goquery.Selection) {
		if strings.Contains(s.Text(), name) {
			href, _ = s.Find(`a[href^="/admin/signatures/"]`).Attr("href")
		}
	})
	if href == "" {
		t.Fatalf("%s is not in the queue", name)
	}
	return href
}

// TestSignaturePageNamesItsLetter: a signature's page in the console names
// its letter by title and slug, linked to the letter's public page.
func TestSignaturePageNamesItsLetter(t *testing.T) {
	h := twoLetters(t)
	mod := h.LoginAs("mod@campaign.example", store.RoleModerator)
	page := mod.Get(signatureOf(t, mod, "Second Org"))
	link := page.Doc().Find(`dl.details a[href="/letters/second-letter"]`)
	if link.Text() != "A second letter" || !strings.Contains(link.Parent().Text(), "(second-letter)") {
		t.Errorf("the signature's letter: %q", page.Doc().Find("dl.details dd").First().Text())
	}
}

// TestAuditLogShowsAndFiltersByLetter: every event about a signature names
// the signature's letter, and ?letter=slug shows that letter's events only,
// the other filters kept.
func TestAuditLogShowsAndFiltersByLetter(t *testing.T) {
	h := twoLetters(t)
	mod := h.LoginAs("mod@campaign.example", store.RoleModerator)
	whole := mod.Get("/admin/audit")
	checkPageBasics(t, "/admin/audit", whole)
	if letters := whole.Doc().Find("table.audit tbody td:nth-child(4)").Text(); !strings.Contains(letters, "A second letter") ||
		!strings.Contains(letters, "Keep encryption strong") {
		t.Errorf("letter column: %q", letters)
	}
	one := mod.Get("/admin/audit?action=confirm&letter=" + secondLetter)
	rows := one.Doc().Find("table.audit tbody tr")
	if rows.Length() != 1 || !strings.Contains(rows.Text(), "Second Org") || !strings.Contains(rows.Text(), "A second letter") {
		t.Errorf("?letter=second-letter lists %d events: %s", rows.Length(), rows.Text())
	}
	if selected, _ := one.Doc().Find(`#f-letter option[selected]`).Attr("value"); selected != secondLetter {
		t.Errorf("letter selected in the filter: %q", selected)
	}
	if action, _ := one.Doc().Find(`#f-action option[selected]`).Attr("value"); action != "confirm" {
		t.Errorf("action filter not kept: %q", action)
	}
	checkUnknownLetter(t, mod, "/admin/audit?action=confirm")
}

// TestExportChoosesTheLetter: the export offers every letter by default,
// each row naming its letter, or one letter's signatures; an unknown letter
// is refused beside the select.
func TestExportChoosesTheLetter(t *testing.T) {
	h := twoLetters(t)
	mod := h.LoginAs("mod@campaign.example", store.RoleModerator)
	form := mod.Get("/admin/export")
	if first := form.Doc().Find("#f-letter option").First(); first.AttrOr("value", "x") != "" || first.Text() != "All letters" {
		t.Errorf("first choice: %q %q", first.AttrOr("value", "x"), first.Text())
	}
	all := csvRows(t, mod.Post("/admin/export", url.Values{"letter": {""}}))
	if len(all) != 3 || all[0][11] != "letter" || all[1][11] != webtest.LetterSlug || all[2][11] != secondLetter {
		t.Errorf("export of every letter: %v", all)
	}
	one := csvRows(t, mod.Post("/admin/export", url.Values{"letter": {secondLetter}}))
	if len(one) != 2 || one[1][2] != "Second Org" {
		t.Errorf("export of the second letter: %v", one)
	}
	if events := auditEvents(t, h, "export"); len(events) != 2 || events[0].LetterID != nil || events[1].LetterID == nil {
		t.Errorf("exports audited with letters: %+v", events)
	}
	res := mod.Post("/admin/export", url.Values{"letter": {"no-such-letter"}})
	if res.Status != http.StatusUnprocessableEntity || !strings.Contains(res.Doc().Find("#f-letter-error").Text(), "No letter has this address") {
		t.Errorf("export of an unknown letter: %d", res.Status)
	}
	checkUnknownLetter(t, mod, "/admin/export")
}

// TestMailShowsAndFiltersByLetter: failed mail names the letter of its
// signature, the header counts mail by letter, and ?letter=slug limits the
// counts and the list to one letter.
func TestMailShowsAndFiltersByLetter(t *testing.T) {
	h := webtest.New(t, func(c *config.Config) {
		c.Mail.Outbox.MaxAttempts = 1
		c.Letters = append(c.Letters, config.Letter{Slug: secondLetter, Title: "A second letter", Body: "Also.", Lang: "en"})
	})
	h.SMTP.RefuseNext(2)
	h.Sign(webtest.SignForm("ada@example.org"))
	h.PostForm("/letters/"+secondLetter+"/sign", webtest.SignForm("bea@example.org"))
	h.DrainOutbox()
	mod := h.LoginAs("mod@campaign.example", store.RoleModerator)

	all := mod.Get("/admin/mail")
	checkPageBasics(t, "/admin/mail", all)
	if header := letterHeader(all); header != "Keep encryption strong: 0 waiting, 1 failed|A second letter: 0 waiting, 1 failed" {
		t.Errorf("mail header: %q", header)
	}
	if rows := all.Doc().Find("table.mail tbody tr"); rows.Length() != 2 {
		t.Errorf("%d failed mails listed, want 2", rows.Length())
	}
	one := mod.Get("/admin/mail?letter=" + secondLetter)
	rows := one.Doc().Find("table.mail tbody tr")
	if rows.Length() != 1 || strings.TrimSpace(rows.Find("td").Eq(2).Text()) != "A second letter" {
		t.Errorf("?letter=second-letter lists %d failed mails: %s", rows.Length(), rows.Text())
	}
	if failed := one.Doc().Find("dl.details dd").Eq(1).Text(); failed != "1" {
		t.Errorf("failed mail of the second letter counted as %q, want 1", failed)
	}
	checkUnknownLetter(t, mod, "/admin/mail")
}

// TestAbuseInvalidationNamesTheLetter: ?letter=slug chooses the letter of
// the bulk invalidation, whose preview counts that letter's signatures only
// and names it; an unknown letter is said beside the select.
func TestAbuseInvalidationNamesTheLetter(t *testing.T) {
	h := twoLetters(t)
	admin := h.LoginAs("admin@campaign.example", store.RoleAdmin)
	page := admin.Get("/admin/abuse?letter=" + secondLetter)
	checkPageBasics(t, "/admin/abuse", page)
	if selected, _ := page.Doc().Find(`#f-letter option[selected]`).Attr("value"); selected != secondLetter {
		t.Errorf("letter chosen for the invalidation: %q", selected)
	}
	preview := admin.Post("/admin/abuse/invalidate", url.Values{"letter": {secondLetter}, "network": {"127.0.0.1"}})
	if notice := strings.Join(strings.Fields(preview.Doc().Find(".notice").Text()), " "); notice != "1 signature matches. Letter: “A second letter”." {
		t.Errorf("preview on the second letter: %q", notice)
	}
	checkUnknownLetter(t, admin, "/admin/abuse")
}
