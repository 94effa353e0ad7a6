package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/undersigned/undersigned/pkg/config"
	"github.com/undersigned/undersigned/pkg/store"
	"github.com/undersigned/undersigned/pkg/web/webtest"
)

// newLetterForm is a valid new-letter form; tests change what they need.
func newLetterForm() url.Values {
	return url.Values{
		"slug": {"protect-encryption"}, "title": {"Protect encryption"}, "summary": {"Experts ask governments."},
		"recipients": {"To the leaders of the world's governments"}, "lang": {"en"},
		"body": {"We ask **you** to keep encryption strong."}, "review": {"organisation"}, "goal": {"1000"},
		"action": {"save"},
	}
}

// fieldMessage is the message beside a field and whether the field points
// to it with aria-describedby.
func fieldMessage(doc *goquery.Document, name string) (message string, described bool) {
	id := "f-" + strings.ReplaceAll(name, "_", "-")
	message = strings.TrimSpace(doc.Find("#" + id + "-error").Text())
	by, _ := doc.Find("#" + id).Attr("aria-describedby")
	return message, strings.Contains(by, id+"-error")
}

// formValue is what a form field of the page holds: an input's value or a
// textarea's text.
func formValue(doc *goquery.Document, name string) string {
	field := doc.Find(`[name="` + name + `"]`).First()
	switch goquery.NodeName(field) {
	case "textarea":
		return field.Text()
	case "select":
		value, _ := field.Find("option[selected]").Attr("value")
		return value
	}
	value, _ := field.Attr("value")
	return value
}

// createLetter saves a new letter from the console and returns its page.
func createLetter(t *testing.T, admin *webtest.Browser, form url.Values) string {
	t.Helper()
	res := admin.Post("/admin/letters", form)
	if res.Status != http.StatusSeeOther {
		t.Fatalf("create letter: %d\n%s", res.Status, res.Body)
	}
	return strings.TrimSuffix(res.Header.Get("Location"), "?created=1")
}

// TestCreateLetterRefusesBadInput: each bad input gets 422 with its message
// beside its field, everything typed is kept and no letter is stored; a
// body of 120 kB reaches validation past the server's 64 KiB body limit.
func TestCreateLetterRefusesBadInput(t *testing.T) {
	h := webtest.New(t)
	admin := h.LoginAs("admin@campaign.example", store.RoleAdmin)
	long := strings.Repeat("A long letter. ", 8192) // 120 kB
	for _, tc := range []struct {
		name, field, value, message string
	}{
		{"slug collision", "slug", webtest.LetterSlug, "Another letter has this address already. Choose another."},
		{"bad slug", "slug", "Protect Encryption!", "Use up to 80 lower-case letters, digits and single dashes, such as protect-strong-encryption."},
		{"empty title", "title", " ", "Enter the letter's title."},
		{"empty body", "body", "\n\n", "Enter the text of the letter."},
		{"body over 100 kB", "body", long, "The text is over 100 kB. Shorten it; nothing was saved."},
		{"goal not a number", "goal", "many", "Enter a whole number of signatures from 1 to 1,000,000,000, or leave it empty for no goal."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			form := newLetterForm()
			form.Set(tc.field, tc.value)
			res := admin.Post("/admin/letters", form)
			if res.Status != http.StatusUnprocessableEntity {
				t.Fatalf("status %d, want 422", res.Status)
			}
			doc := res.Doc()
			if message, described := fieldMessage(doc, tc.field); message != tc.message || !described {
				t.Errorf("beside %s: %q (described by it: %v), want %q", tc.field, message, described, tc.message)
			}
			if summary := doc.Find(".error-summary a").AttrOr("href", ""); summary != "#f-"+tc.field {
				t.Errorf("error summary links to %q", summary)
			}
			for name, want := range form {
				if name == "action" || name == "review" {
					continue
				}
				if got := formValue(doc, name); got != want[0] {
					t.Errorf("%s not kept: %.40q, want %.40q", name, got, want[0])
				}
			}
			if _, checked := doc.Find("#f-review-organisation").Attr("checked"); !checked {
				t.Error("the review choice was not kept")
			}
			if n := len(h.App.Letters.All()); n != 1 {
				t.Errorf("%d letters stored, want the harness's 1 alone", n)
			}
		})
	}
}

// TestPreviewRendersTheBodyAndKeepsTheForm: the Preview button renders the
// body below the form as the letter page will, everything typed kept; a
// body too long gets its message and is kept too; nothing is stored. The
// live preview's endpoint answers the same fragment.
func TestPreviewRendersTheBodyAndKeepsTheForm(t *testing.T) {
	h := webtest.New(t)
	admin := h.LoginAs("admin@campaign.example", store.RoleAdmin)
	form := newLetterForm()
	form.Set("action", "preview")
	form.Set("body", "We ask **you**.\n\n<script>alert(1)</script>")
	res := admin.Post("/admin/letters", form)
	if res.Status != http.StatusOK {
		t.Fatalf("preview: %d", res.Status)
	}
	doc := res.Doc()
	preview, _ := doc.Find("#letter-preview").Html()
	if !strings.Contains(preview, "<strong>you</strong>") || strings.Contains(preview, "<script") {
		t.Errorf("preview: %s", preview)
	}
	if live, _ := doc.Find("#letter-preview").Attr("aria-live"); live != "polite" {
		t.Errorf("preview region aria-live %q", live)
	}
	if got := formValue(doc, "body"); got != form.Get("body") {
		t.Errorf("body not kept: %q", got)
	}
	if got := formValue(doc, "title"); got != "Protect encryption" {
		t.Errorf("title not kept: %q", got)
	}

	form.Set("body", strings.Repeat("x", 120_000))
	res = admin.Post("/admin/letters", form)
	if message, _ := fieldMessage(res.Doc(), "body"); res.Status != http.StatusUnprocessableEntity || message != "The text is over 100 kB. Shorten it; nothing was saved." {
		t.Errorf("preview of 120 kB: %d %q", res.Status, message)
	}
	if got := formValue(res.Doc(), "body"); len(got) != 120_000 {
		t.Errorf("the long body was not kept: %d bytes", len(got))
	}

	live := admin.Post("/admin/letters/preview", url.Values{"body": {"# Title\n\n*new*"}})
	if live.Status != http.StatusOK || !strings.Contains(live.Body, "<em>new</em>") || strings.Contains(live.Body, "<html") {
		t.Errorf("live preview: %d %s", live.Status, live.Body)
	}
	if n := len(h.App.Letters.All()); n != 1 {
		t.Errorf("%d letters stored after previews, want 1", n)
	}
}

// TestCreatedLetterIsListedAsADraft: a saved letter leads to its page, is
// listed with its state, languages and total, and its public page is not
// found while it is a draft.
func TestCreatedLetterIsListedAsADraft(t *testing.T) {
	h := webtest.New(t)
	admin := h.LoginAs("admin@campaign.example", store.RoleAdmin)
	page := createLetter(t, admin, newLetterForm())
	res := admin.Get(page + "?created=1")
	checkPageBasics(t, page, res)
	if title := res.Doc().Find("h1").Text(); title != "Protect encryption" {
		t.Errorf("letter page h1 %q", title)
	}
	if flash := res.Doc().Find(".flash").Text(); flash != "The letter is saved as a draft." {
		t.Errorf("flash %q", flash)
	}

	list := admin.Get("/admin/letters")
	checkPageBasics(t, "/admin/letters", list)
	var rows []string
	list.Doc().Find("tbody tr").Each(func(_ int, s *goquery.Selection) {
		var cells []string
		s.Find("td").Each(func(_ int, td *goquery.Selection) { cells = append(cells, strings.TrimSpace(td.Text())) })
		rows = append(rows, strings.Join(cells, "|"))
	})
	if len(rows) != 2 || rows[1] != "Protect encryptionprotect-encryption|Draft||0|English" {
		t.Errorf("letters listed: %q", rows)
	}
	if href, _ := list.Doc().Find(`a[href="/admin/letters/new"]`).Attr("href"); href == "" {
		t.Error("no New letter link for an admin")
	}
	if res := h.Get("/letters/protect-encryption"); res.Status != http.StatusNotFound {
		t.Errorf("the draft's public page: %d, want 404", res.Status)
	}
}

// moveButton presses the button labelled label on a letter's page.
func moveButton(t *testing.T, admin *webtest.Browser, page, label string) *webtest.Response {
	t.Helper()
	var event string
	admin.Get(page).Doc().Find(`form[action$="/events"] button`).Each(func(_ int, s *goquery.Selection) {
		if s.Text() == label {
			event, _ = s.Attr("value")
		}
	})
	if event == "" {
		t.Fatalf("no button %q on %s", label, page)
	}
	return admin.Post(page+"/events", url.Values{"event": {event}})
}

// TestScheduleAndButtonsMoveTheLetter: dates in the wrong order are refused
// beside the field with the input kept; dates in order say what happens
// next, and the letter opens privately when its date comes; the buttons
// publish, close, reopen and archive it, each audited; a move its state no
// longer allows is a 409 that says so.
func TestScheduleAndButtonsMoveTheLetter(t *testing.T) {
	h := webtest.New(t)
	admin := h.LoginAs("admin@campaign.example", store.RoleAdmin)
	page := createLetter(t, admin, newLetterForm())

	bad := url.Values{"opens_at": {"2026-12-01T09:00"}, "publish_at": {""}, "closes_at": {"2026-11-30T09:00"}}
	res := admin.Post(page+"/schedule", bad)
	message, described := fieldMessage(res.Doc(), "closes_at")
	if res.Status != http.StatusUnprocessableEntity || !described ||
		message != "The letter would close before it opens. Choose a closing date after the opening." {
		t.Errorf("closing before opening: %d %q described %v", res.Status, message, described)
	}
	if got := formValue(res.Doc(), "opens_at"); got != "2026-12-01T09:00" {
		t.Errorf("opening date not kept: %q", got)
	}

	good := url.Values{"opens_at": {"2026-11-26T12:20"}, "publish_at": {"2026-12-10T09:00"}, "closes_at": {""}}
	if res := admin.Post(page+"/schedule", good); res.Status != http.StatusSeeOther {
		t.Fatalf("schedule: %d\n%s", res.Status, res.Body)
	}
	if next := admin.Get(page).Doc().Find(".details dd").First().Text(); next != "Draft. It opens for signing, privately, on 26 November 2026, 12:20 UTC." {
		t.Errorf("before opening: %q", next)
	}
	h.Clock.Advance(25 * time.Minute) // within the session's 30 minutes idle
	doc := admin.Get(page).Doc()
	if next := doc.Find(".details dd").First().Text(); next != "Collecting privately. It goes public on 10 December 2026, 09:00 UTC." {
		t.Errorf("after the opening date: %q", next)
	}
	if _, ro := doc.Find("#f-opens-at").Attr("readonly"); !ro {
		t.Error("the opening, made, is not read-only")
	}
	if res := h.Get("/letters/protect-encryption"); res.Status != http.StatusOK || !strings.Contains(res.Body, "Protect encryption") {
		t.Errorf("embargoed letter's page: %d", res.Status)
	}

	for _, step := range []struct{ button, state string }{
		{"Publish now", "Public"}, {"Close now", "Closed"}, {"Reopen", "Public"}, {"Close now", "Closed"}, {"Archive", "Archived"},
	} {
		if res := moveButton(t, admin, page, step.button); res.Status != http.StatusSeeOther {
			t.Fatalf("%s: %d\n%s", step.button, res.Status, res.Body)
		}
		if state := admin.Get(page).Doc().Find(".details dd").First().Text(); !strings.HasPrefix(state, step.state+".") {
			t.Errorf("after %s: %q", step.button, state)
		}
	}
	res = admin.Post(page+"/events", url.Values{"event": {"publish"}})
	if res.Status != http.StatusConflict || !strings.Contains(res.Doc().Find("[role=alert]").Text(), "“Publish now” is not possible: the letter is now Archived.") {
		t.Errorf("publishing an archived letter: %d %q", res.Status, res.Doc().Find("[role=alert]").Text())
	}
	var moves []string
	for _, e := range auditEventsOf(t, h, "letter.") {
		moves = append(moves, e.Action)
	}
	want := "letter.create letter.schedule letter.publish letter.close letter.reopen letter.close letter.archive"
	if got := strings.Join(moves, " "); got != want {
		t.Errorf("audited: %s, want %s", got, want)
	}
	if res := admin.Get("/admin/audit?letter=protect-encryption"); !strings.Contains(res.Body, "Published the letter") {
		t.Error("the audit log does not name the letter's moves")
	}
}

// auditEventsOf are the audit events whose action starts with prefix, oldest first.
func auditEventsOf(t *testing.T, h *webtest.Harness, prefix string) []store.AuditEvent {
	t.Helper()
	var out []store.AuditEvent
	if err := h.App.Store.Read(t.Context()).Where("action LIKE ?", prefix+"%").Order("id").Find(&out).Error; err != nil {
		t.Fatal(err)
	}
	return out
}

// TestGoalThenTheNextGoal: a goal shows progress on the letter's console
// page; once reached, the form offers to set the next goal.
func TestGoalThenTheNextGoal(t *testing.T) {
	h := webtest.New(t, func(c *config.Config) { c.Letters[0].Review = nil })
	admin, page := harnessLetterPage(t, h)
	if res := admin.Post(page+"/goal", url.Values{"goal": {"1"}}); res.Status != http.StatusSeeOther {
		t.Fatalf("set goal: %d\n%s", res.Status, res.Body)
	}
	if label, max, value, _ := goalOf(admin.Get(page).Doc()); label != "Our goal: 1 signatures" || max != "1" || value != "0" {
		t.Errorf("goal before signing: %q %q %q", label, max, value)
	}
	signAndConfirm(t, h, webtest.SignForm("ada@example.org"))
	doc := admin.Get(page).Doc()
	if label, _, _, _ := goalOf(doc); label != "Goal reached: 1 signatures" {
		t.Errorf("goal reached: %q", label)
	}
	if button := doc.Find(`form[action$="/goal"] button`).Text(); button != "Set the next goal" {
		t.Errorf("goal button once reached: %q", button)
	}
	res := admin.Post(page+"/goal", url.Values{"goal": {"1"}})
	if message, _ := fieldMessage(res.Doc(), "goal"); res.Status != http.StatusUnprocessableEntity || message != "The letter has this many signatures already: set a higher goal." {
		t.Errorf("a goal already reached: %d %q", res.Status, message)
	}
}

// TestModeratorReadsLettersButCannotChangeThem: moderators read every
// letter page; every change is an admin's (403).
func TestModeratorReadsLettersButCannotChangeThem(t *testing.T) {
	h := webtest.New(t)
	letter, _ := h.App.Letters.BySlug(webtest.LetterSlug)
	page := fmt.Sprintf("/admin/letters/%d", letter.ID)
	mod := h.LoginAs("mod@campaign.example", store.RoleModerator)
	if nav := mod.Get("/admin").Doc().Find(`.console-nav a[href="/admin/letters"]`).Text(); nav != "Letters" {
		t.Errorf("console navigation: %q", nav)
	}
	for _, path := range []string{"/admin/letters", page, page + "/texts/en", page + "/texts/fr"} {
		if res := mod.Get(path); res.Status != http.StatusOK {
			t.Errorf("moderator GET %s: %d", path, res.Status)
		}
	}
	if mod.Get("/admin/letters").Doc().Find(`a[href="/admin/letters/new"]`).Length() != 0 {
		t.Error("a moderator is offered New letter")
	}
	for path, form := range map[string]url.Values{
		"/admin/letters":         newLetterForm(),
		"/admin/letters/preview": {"body": {"x"}},
		page + "/events":         {"event": {"close"}},
		page + "/schedule":       {"closes_at": {"2027-01-01T00:00"}},
		page + "/goal":           {"goal": {"10"}},
		page + "/settings":       {"slug": {"other"}, "lang": {"en"}},
		page + "/texts/fr":       {"title": {"Titre"}, "body": {"Texte"}},
	} {
		if res := mod.Post(path, form); res.Status != http.StatusForbidden {
			t.Errorf("moderator POST %s: %d, want 403", path, res.Status)
		}
	}
	if res := mod.Get("/admin/letters/new"); res.Status != http.StatusForbidden {
		t.Errorf("moderator GET /admin/letters/new: %d, want 403", res.Status)
	}
	if got := auditEventsOf(t, h, "letter."); len(got) != 0 {
		t.Errorf("moderators changed letters: %v", got)
	}
}

// harnessLetterPage logs an admin in and returns the console page of the
// harness's letter.
func harnessLetterPage(t *testing.T, h *webtest.Harness) (*webtest.Browser, string) {
	t.Helper()
	admin := h.LoginAs("admin@campaign.example", store.RoleAdmin)
	letter, _ := h.App.Letters.BySlug(webtest.LetterSlug)
	return admin, fmt.Sprintf("/admin/letters/%d", letter.ID)
}

// TestTranslationAddedIsServed: a French text added in the console is what
// a French reader sees on the public page.
func TestTranslationAddedIsServed(t *testing.T) {
	h := webtest.New(t)
	admin, page := harnessLetterPage(t, h)
	if add := admin.Get(page).Doc().Find(`a[href="` + page + `/texts/fr"]`).Text(); add != "Add translation français" {
		t.Errorf("French link: %q", add)
	}
	res := admin.Post(page+"/texts/fr", url.Values{"title": {"Gardons un chiffrement fort"}, "body": {"Nous demandons."}, "action": {"save"}})
	if res.Status != http.StatusSeeOther {
		t.Fatalf("add French: %d\n%s", res.Status, res.Body)
	}
	if flash := admin.Get(res.Header.Get("Location")).Doc().Find(".flash").Text(); flash != "Saved. Version 1 is now the current text in this language." {
		t.Errorf("after saving: %q", flash)
	}
	public := h.Get("/letters/" + webtest.LetterSlug + "?lang=fr")
	if h1 := public.Doc().Find("h1").Text(); h1 != "Gardons un chiffrement fort" {
		t.Errorf("French page h1 %q", h1)
	}
}

// TestEditAfterASignatureAsksWhatKindOfChange: once anyone has signed, the
// slug is read-only and an edit without saying minor or material is
// refused beside the question, the text kept; saying minor makes version 2.
func TestEditAfterASignatureAsksWhatKindOfChange(t *testing.T) {
	h := webtest.New(t)
	admin, page := harnessLetterPage(t, h)
	signAndConfirm(t, h, webtest.SignForm("ada@example.org"))
	if _, ro := admin.Get(page).Doc().Find("#f-slug").Attr("readonly"); !ro {
		t.Error("the slug of a signed letter is editable")
	}
	form := url.Values{"title": {"Keep encryption strong"}, "body": {"We ask governments to keep encryption strong."}, "action": {"save"}}
	res := admin.Post(page+"/texts/en", form)
	doc := res.Doc()
	message, described := fieldMessage(doc, "change")
	if res.Status != http.StatusUnprocessableEntity || !described || message != "People have signed this text: say whether the change is minor or material." {
		t.Errorf("edit without the kind: %d %q described %v", res.Status, message, described)
	}
	if got := formValue(doc, "body"); got != form.Get("body") {
		t.Errorf("body not kept: %q", got)
	}
	if legend := doc.Find("#f-change legend").Text(); legend != "What kind of change is this?" {
		t.Errorf("legend %q", legend)
	}
	form.Set("change", "minor")
	res = admin.Post(page+"/texts/en", form)
	if res.Status != http.StatusSeeOther {
		t.Fatalf("minor edit: %d\n%s", res.Status, res.Body)
	}
	if flash := admin.Get(res.Header.Get("Location")).Doc().Find(".flash").Text(); flash != "Saved. Version 2 is now the current text in this language." {
		t.Errorf("after a minor edit: %q", flash)
	}
}
