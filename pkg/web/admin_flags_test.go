package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/undersigned/undersigned/pkg/store"
	"github.com/undersigned/undersigned/pkg/web/webtest"
)

// queueRowOf is the queue row of the signature named name on page, or fails.
func queueRowOf(t *testing.T, doc *goquery.Document, name string) *goquery.Selection {
	t.Helper()
	var row *goquery.Selection
	doc.Find("table.queue tbody tr").Each(func(_ int, tr *goquery.Selection) {
		if tr.Find("strong").First().Text() == name {
			row = tr
		}
	})
	if row == nil {
		t.Fatalf("no queue row for %q", name)
	}
	return row
}

// flagText is the text of a row's flag with code, "" when it has none.
func flagText(row *goquery.Selection, code string) string {
	return strings.Join(strings.Fields(row.Find("ul.flags li.flag-"+code).Text()), " ")
}

// TestQueueFlagsPossibleDuplicatesAndLookAlikes signs crafted pairs against
// "Access Now": the same name written otherwise, a look-alike name with a
// Cyrillic "А", the same website's registrable domain, the same mailbox
// written otherwise, and a website on another domain than the email. Each
// row carries its flags in words, each possible duplicate links to the
// other, and the queue filters by every flag.
func TestQueueFlagsPossibleDuplicatesAndLookAlikes(t *testing.T) {
	h := webtest.New(t)
	sign := func(form url.Values) {
		signAndConfirm(t, h, form)
		h.Clock.Advance(time.Minute)
	}
	sign(orgForm("Access Now", "https://www.accessnow.example", "press@accessnow.example", "DE"))
	sign(orgForm("access-now!", "https://other-one.example", "kim@other-one.example", "FR"))
	sign(orgForm("\u0410ccess Now", "https://third.example", "x@third.example", "FR"))
	sign(orgForm("Digital Rights Desk", "https://blog.accessnow.example", "desk@accessnow.example", "GB"))
	sign(orgForm("Contact Twin", "https://twin.example", "Press+again@mail.accessnow.example", "GB"))
	sign(orgForm("Unrelated Society", "https://unrelated.example", "hi@unrelated.example", "GB"))
	first := signatureByName(t, h, "Access Now")
	b := h.LoginAs("mod@campaign.example", store.RoleModerator)

	doc := b.Get("/admin").Doc()
	link := fmt.Sprintf(`a[href="/admin/signatures/%d"]`, first.ID)
	for name, reason := range map[string]string{
		"access-now!":         "same name",
		"\u0410ccess Now":     "look-alike name",
		"Digital Rights Desk": "same website domain",
		"Contact Twin":        "same contact address",
	} {
		row := queueRowOf(t, doc, name)
		text := flagText(row, "duplicate")
		if !strings.Contains(text, "Possible duplicate") || !strings.Contains(text, reason) ||
			row.Find("ul.flags li.flag-duplicate "+link).Length() != 1 {
			t.Errorf("%q: duplicate flag %q, want %q with a link to signature %d", name, text, reason, first.ID)
		}
	}
	if text := flagText(queueRowOf(t, doc, "Access Now"), "duplicate"); !strings.Contains(text, "access-now!") {
		t.Errorf("the first signature is not flagged with those that came after it: %q", text)
	}
	if text := flagText(queueRowOf(t, doc, "\u0410ccess Now"), "confusable"); text != "Name imitates letters of another script" {
		t.Errorf("confusable flag: %q", text)
	}
	if text := flagText(queueRowOf(t, doc, "Contact Twin"), "domain_mismatch"); text != "Email domain differs from the website" {
		t.Errorf("domain-mismatch flag: %q", text)
	}
	if flags := queueRowOf(t, doc, "Unrelated Society").Find("ul.flags").Length(); flags != 0 {
		t.Errorf("an unrelated signature is flagged")
	}
	checkPageBasics(t, "/admin", b.Get("/admin"))

	for flag, want := range map[string][]string{
		"duplicate":       {"Contact Twin", "Digital Rights Desk", "\u0410ccess Now", "access-now!", "Access Now"},
		"confusable":      {"\u0410ccess Now"},
		"domain_mismatch": {"Contact Twin"},
		"corrected":       nil,
	} {
		var got []string
		b.Get("/admin?flag=" + flag).Doc().Find("table.queue tbody tr strong").Each(func(_ int, s *goquery.Selection) {
			got = append(got, s.Text())
		})
		if strings.Join(got, "|") != strings.Join(want, "|") {
			t.Errorf("?flag=%s: %q, want %q", flag, got, want)
		}
	}
	if res := b.Get("/admin?flag=bogus"); res.Status != http.StatusBadRequest {
		t.Errorf("unknown flag: %d", res.Status)
	}

	page := b.Get(fmt.Sprintf("/admin/signatures/%d", first.ID)).Doc()
	if page.Find("ul.flags li.flag-duplicate a[href^='/admin/signatures/']").Length() != 4 {
		t.Errorf("the signature page lists %d possible duplicates, want 4: %q",
			page.Find("ul.flags li.flag-duplicate a").Length(), page.Find("ul.flags").Text())
	}
}

// TestSignerRenameShowsFieldByFieldAndComesBackFlagged publishes an
// organisation that then renames itself through its manage link: it is
// back in review, flagged as corrected by the signer, and the audit log and
// its history show the change as a list of fields, never JSON; so does a
// staff edit.
func TestSignerRenameShowsFieldByFieldAndComesBackFlagged(t *testing.T) {
	h := webtest.New(t)
	signAndConfirm(t, h, orgForm("Access Now", "https://accessnow.example", "kim@accessnow.example", "DE"))
	b := h.LoginAs("mod@campaign.example", store.RoleModerator)
	id := signatureByName(t, h, "Access Now").ID
	decide(t, b, "approve", []uint64{id})
	h.DrainOutbox()
	link := manageLink(t, h, h.SMTP.Messages()[0])
	res := h.PostForm(link, url.Values{"name": {"Access Later"}, "website": {"https://accessnow.example"}, "org_type": {"ngo"}, "country": {"DE"}})
	if res.Status != http.StatusSeeOther {
		t.Fatalf("correct: %d", res.Status)
	}

	corrected := b.Get("/admin?flag=corrected").Doc()
	if text := flagText(queueRowOf(t, corrected, "Access Later"), "corrected"); text != "Corrected by the signer" {
		t.Errorf("the renamed organisation in review: flag %q", text)
	}
	wantName, wantStatus := "Name: Access Now → Access Later", "Status: Published → Awaiting review"
	audit := b.Get("/admin/audit?action=correct").Doc().Find("table.audit tbody tr")
	if audit.Length() != 1 {
		t.Fatalf("%d correct events in the audit log", audit.Length())
	}
	changes := changeLines(audit.Find("ul.changes li"))
	if !slices.Contains(changes, wantName) || !slices.Contains(changes, wantStatus) || len(changes) != 2 {
		t.Errorf("audit log: changes %q, want %q and %q", changes, wantName, wantStatus)
	}
	if text := audit.Text(); strings.Contains(text, `"name"`) || strings.Contains(text, "{") {
		t.Errorf("the audit log shows raw JSON: %q", text)
	}
	history := b.Get(fmt.Sprintf("/admin/signatures/%d", id)).Doc().Find("ul.history")
	if changes := changeLines(history.Find("ul.changes li")); !slices.Contains(changes, wantName) {
		t.Errorf("history: changes %q, want %q", changes, wantName)
	}

	edit := b.Post(fmt.Sprintf("/admin/signatures/%d", id), url.Values{"name": {"Access Later"},
		"website": {"https://accesslater.example"}, "org_type": {"ngo"}, "country": {"FR"}})
	if edit.Status != http.StatusSeeOther {
		t.Fatalf("staff edit: %d", edit.Status)
	}
	edited := changeLines(b.Get("/admin/audit?action=edit").Doc().Find("table.audit tbody tr ul.changes li"))
	for _, want := range []string{"Website: https://accessnow.example → https://accesslater.example", "Country: Germany → France"} {
		if !slices.Contains(edited, want) {
			t.Errorf("staff edit in the audit log: %q, want %q", edited, want)
		}
	}
}

// changeLines are the texts of the change list items, spaces collapsed.
func changeLines(items *goquery.Selection) []string {
	var out []string
	items.Each(func(_ int, li *goquery.Selection) { out = append(out, strings.Join(strings.Fields(li.Text()), " ")) })
	return out
}
