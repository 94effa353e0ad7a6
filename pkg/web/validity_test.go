package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/undersigned/undersigned/pkg/config"
	"github.com/undersigned/undersigned/pkg/media/mediatest"
	"github.com/undersigned/undersigned/pkg/store"
	"github.com/undersigned/undersigned/pkg/web/webtest"
)

// TestPublicPagesAreValidHTML renders every page a signer or a staff member
// can reach, in each of its states (forms with errors, lists with names,
// links used and expired), and has the W3C Nu Html Checker validate them all
// in one run. It is skipped where java or vnu.jar is missing, except in CI.
func TestPublicPagesAreValidHTML(t *testing.T) {
	h := webtest.New(t)
	letter := "/letters/" + webtest.LetterSlug
	pages := map[string]string{}
	// add records a page under name after checking its status and type.
	add := func(name string, res *webtest.Response, status int) *webtest.Response {
		t.Helper()
		if res.Status != status {
			t.Errorf("%s: status %d, want %d\n%s", name, res.Status, status, res.Body)
		}
		if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
			t.Errorf("%s: content type %q, want HTML", name, ct)
		}
		if _, dup := pages[name]; dup {
			t.Fatalf("page %q collected twice", name)
		}
		pages[name] = res.Body
		return res
	}
	mustContain := func(name, body, want string) {
		t.Helper()
		if !strings.Contains(body, want) {
			t.Errorf("%s: the page lacks %q, so it is not in the state under test", name, want)
		}
	}

	// The letter page with nobody yet, and its sign form for each kind.
	add("GET "+letter+"?kind=individual", h.Get(letter+"?kind=individual"), http.StatusOK)
	add("GET "+letter+"?kind=organisation", h.Get(letter+"?kind=organisation"), http.StatusOK)

	// The sign form sent back with errors beside the fields and a summary.
	bad := webtest.SignForm("ada@@example")
	bad.Set("name", " ")
	bad.Del("consent")
	res := add("POST "+letter+"/sign (individual, 422)", h.PostForm(letter+"/sign", bad), http.StatusUnprocessableEntity)
	mustContain("POST "+letter+"/sign (individual, 422)", res.Body, "error-summary")
	badOrg := orgForm("Open Rights Lab", "javascript:alert(1)", "kim@openrights.example", "XX")
	badOrg.Del("contact_name")
	add("POST "+letter+"/sign (organisation, 422)", h.PostForm(letter+"/sign", badOrg), http.StatusUnprocessableEntity)

	// Two published individuals, one of them not named; and what signers see
	// when they press the confirm button.
	quiet := webtest.SignForm("quiet@example.org")
	quiet.Set("name", "Quiet Person")
	quiet.Del("show_name")
	add("POST /confirm/{token} (individual, confirmed)", signAndConfirm(t, h, quiet), http.StatusOK)
	signAndConfirm(t, h, webtest.SignForm("ada@example.org"))
	res = add("GET "+letter+" (2 individuals published)", h.Get(letter), http.StatusOK)
	mustContain("GET "+letter+" (2 individuals published)", res.Body, "Ada Lovelace")
	mustContain("GET "+letter+" (2 individuals published)", res.Body, "chose not to be named")

	// An organisation that confirmed and waits for review (the console's queue).
	res = signAndConfirm(t, h, orgForm("Open Rights Lab", "https://openrights.example", "kim@openrights.example", "DE"))
	add("POST /confirm/{token} (organisation, pending review)", res, http.StatusOK)

	// The pages around the confirmation mail.
	add("GET "+letter+"/check-inbox", h.Get(letter+"/check-inbox"), http.StatusOK)
	add("GET "+letter+"/resend", h.Get(letter+"/resend"), http.StatusOK)
	add("POST "+letter+"/resend (422)", h.PostForm(letter+"/resend", url.Values{"email": {"not an email"}}), http.StatusUnprocessableEntity)

	// A link not yet used; the same link once used.
	before := len(h.SMTP.Messages())
	h.Sign(webtest.SignForm("grace@example.org"))
	h.DrainOutbox()
	fresh := webtest.ConfirmLink(t, h.URL, h.SMTP.WaitFor(t, before+1, 5*time.Second)[before])
	res = add("GET /confirm/{token} (ready)", h.Get(fresh), http.StatusOK)
	mustContain("GET /confirm/{token} (ready)", res.Body, "Confirm my signature")
	before = len(h.SMTP.Messages())
	h.Sign(webtest.SignForm("used@example.org"))
	h.DrainOutbox()
	used := webtest.ConfirmLink(t, h.URL, h.SMTP.WaitFor(t, before+1, 5*time.Second)[before])
	if res := h.PostForm(used, nil); res.Status != http.StatusOK {
		t.Fatalf("confirming %s: %d", used, res.Status)
	}
	res = add("GET /confirm/{token} (used)", h.Get(used), http.StatusOK)
	mustContain("GET /confirm/{token} (used)", res.Body, "already been used")

	// The public list's other views: a country's own page, a search, the counter.
	res = add("GET "+letter+"/countries/GB", h.Get(letter+"/countries/GB"), http.StatusOK)
	mustContain("GET "+letter+"/countries/GB", res.Body, "Ada Lovelace")
	add("GET "+letter+"/countries/FR (nobody)", h.Get(letter+"/countries/FR"), http.StatusOK)
	res = add("GET "+letter+"?q=ada (search)", h.Get(letter+"?q=ada&filter_country=GB"), http.StatusOK)
	mustContain("GET "+letter+"?q=ada (search)", res.Body, "search-results")
	add("GET "+letter+"/embed", h.Get(letter+"/embed"), http.StatusOK)
	res = add("GET "+letter+"/print", h.Get(letter+"/print"), http.StatusOK)
	mustContain("GET "+letter+"/print", res.Body, "Ada Lovelace")

	// A second site whose letter is under embargo, beside another letter:
	// the counter saying when counting starts, and the home page's list.
	embargoed := webtest.New(t, withSecondLetter, func(c *config.Config) {
		c.Letters[0].PublishAt = time.Date(2026, 12, 10, 9, 0, 0, 0, time.UTC)
	})
	res = add("GET "+letter+"/embed (embargo)", embargoed.Get(letter+"/embed"), http.StatusOK)
	mustContain("GET "+letter+"/embed (embargo)", res.Body, "Counting starts on")
	// The home page lists the public letters: the embargoed one is not.
	res = add("GET / (two letters)", webtest.New(t, withSecondLetter).Get("/"), http.StatusOK)
	if n := res.Doc().Find("ul.letters li a").Length(); n != 2 {
		t.Errorf("GET / (two letters): %d letters listed, want 2", n)
	}
	if got := embargoed.Get("/"); got.Status != http.StatusFound {
		t.Errorf("GET / with one of two letters embargoed: %d, want 302 to the public one", got.Status)
	}
	// A letter with a goal: the progress on its page and in the counter.
	withGoal := webtest.New(t, func(c *config.Config) { c.Letters[0].Goals = []int64{1000} })
	res = add("GET "+letter+" (goal)", withGoal.Get(letter), http.StatusOK)
	mustContain("GET "+letter+" (goal)", res.Body, "<progress")
	add("GET "+letter+"/embed (goal)", withGoal.Get(letter+"/embed"), http.StatusOK)
	res = add("GET "+letter+"/print (nobody)", withGoal.Get(letter+"/print?lang=de"), http.StatusOK)
	mustContain("GET "+letter+"/print (nobody)", res.Body, "print-none")

	// The signer's own page behind the manage link, with an error, and after withdrawing.
	manage := manageLink(t, h, h.SMTP.Messages()[0])
	add("GET /manage/{token}", h.Get(manage), http.StatusOK)
	add("POST /manage/{token} (422)", h.PostForm(manage, url.Values{"name": {""}, "country": {"XX"}}), http.StatusUnprocessableEntity)
	add("POST /manage/{token}/withdraw", h.PostForm(manage+"/withdraw", url.Values{"sure": {"yes"}}), http.StatusOK)

	add("GET /confirm/{unknown}", h.Get("/confirm/"+strings.Repeat("A", 43)), http.StatusNotFound)
	add("GET /privacy", h.Get("/privacy"), http.StatusOK)
	add("GET /letters/no-such-letter (404)", h.Get("/letters/no-such-letter"), http.StatusNotFound)

	// The console, logged out and logged in as an admin.
	add("GET /admin/login", h.Get("/admin/login"), http.StatusOK)
	add("POST /admin/login (wrong password, 401)", h.NewBrowser().Login("nobody@campaign.example", "wrong password"), http.StatusUnauthorized)
	admin := h.LoginAs("admin@campaign.example", store.RoleAdmin)
	res = add("GET /admin (1 pending organisation)", admin.Get("/admin"), http.StatusOK)
	if n := res.Doc().Find("table.queue tbody tr").Length(); n != 1 {
		t.Errorf("GET /admin: %d rows in the queue, want the 1 pending organisation", n)
	}
	sig := signatureByName(t, h, "Open Rights Lab")
	add("GET /admin/signatures/{id}", admin.Get(fmt.Sprintf("/admin/signatures/%d", sig.ID)), http.StatusOK)
	add("GET /admin/audit", admin.Get("/admin/audit"), http.StatusOK)
	add("GET /admin/export", admin.Get("/admin/export"), http.StatusOK)
	add("GET /admin/staff", admin.Get("/admin/staff"), http.StatusOK)
	add("GET /admin/mail", admin.Get("/admin/mail"), http.StatusOK)
	add("GET /admin/abuse", admin.Get("/admin/abuse"), http.StatusOK)
	res = add("POST /admin/abuse/invalidate (preview)", admin.Post("/admin/abuse/invalidate",
		url.Values{"letter": {webtest.LetterSlug}, "domain": {"example.org"}}), http.StatusOK)
	mustContain("POST /admin/abuse/invalidate (preview)", res.Body, "match")
	res = add("POST /admin/imports (not UTF-8, 422)", admin.Upload("/admin/imports", url.Values{"letter": {webtest.LetterSlug}}, "file", "bad.csv",
		[]byte("name\nCaf\xe9\n")), http.StatusUnprocessableEntity)
	mustContain("POST /admin/imports (not UTF-8, 422)", res.Body, "not UTF-8")
	upload := admin.Upload("/admin/imports", url.Values{"letter": {webtest.LetterSlug}}, "file", "people.csv",
		[]byte("name,email,country\nAda Import,ada-import@example.org,GB\nBea,bad,XX\n"))
	imported := upload.Header.Get("Location")
	res = add("GET /admin/imports/{id} (preview)", admin.Get(imported), http.StatusOK)
	mustContain("GET /admin/imports/{id} (preview)", res.Body, "Rows refused")
	start := url.Values{"action": {"start"}, "mode": {"staff"}, "map_name": {"0"}, "map_email": {"1"}, "map_country": {"2"}}
	add("POST /admin/imports/{id} (no basis, 422)", admin.Post(imported, start), http.StatusUnprocessableEntity)
	start.Set("basis", "signed by email")
	admin.Post(imported, start)
	res = add("GET /admin/imports/{id} (done)", admin.Get(imported), http.StatusOK)
	mustContain("GET /admin/imports/{id} (done)", res.Body, "Imported: 1.")
	add("GET /admin/imports", admin.Get("/admin/imports"), http.StatusOK)
	res = add("POST /admin/signatures/{id}/erase (not ticked, 422)", admin.Post(fmt.Sprintf("/admin/signatures/%d/erase", sig.ID), nil), http.StatusUnprocessableEntity)
	mustContain("POST /admin/signatures/{id}/erase (not ticked, 422)", res.Body, "Tick the box")
	addLetterPages(t, h, admin, add, mustContain)
	addWebhookPages(t, h, admin, add, mustContain)
	res = add("POST /admin/decisions/preview", admin.Post("/admin/decisions/preview",
		url.Values{"action": {"reject"}, "reason": {"duplicate"}, "kind": {"organisation"}}), http.StatusOK)
	mustContain("POST /admin/decisions/preview", res.Body, "1 signature matches this filter")
	decide(t, admin, "approve", []uint64{sig.ID})
	bulk := admin.Post("/admin/decisions", previewed(admin.Post("/admin/decisions/preview",
		url.Values{"action": {"hide"}, "status": {"published"}, "kind": {"organisation"}})))
	h.App.Moderator.WaitJobs()
	res = add("GET /admin/decisions/{id} (finished)", admin.Get(bulk.Header.Get("Location")), http.StatusOK)
	mustContain("GET /admin/decisions/{id} (finished)", res.Body, "Finished. Signatures changed: 1.")
	historyLetter, _ := h.App.Letters.BySlug(webtest.LetterSlug)
	res = add("GET /admin/letters/{id}/history", admin.Get(fmt.Sprintf("/admin/letters/%d/history?interval=hour", historyLetter.ID)), http.StatusOK)
	mustContain("GET /admin/letters/{id}/history", res.Body, "<svg")
	res = add("POST /admin/signatures/actions (already decided, 409)", decide(t, admin, "approve", []uint64{sig.ID}), http.StatusConflict)
	mustContain("POST /admin/signatures/actions (already decided, 409)", res.Body, "Already decided by admin@campaign.example")
	invalidation := admin.Post("/admin/abuse/invalidate", url.Values{"letter": {webtest.LetterSlug}, "domain": {"openrights.example"}, "confirm": {"yes"}})
	h.App.Moderator.WaitJobs()
	res = add("GET /admin/abuse/invalidations/{id} (finished)", admin.Get(invalidation.Header.Get("Location")), http.StatusOK)
	mustContain("GET /admin/abuse/invalidations/{id} (finished)", res.Body, "Finished. Signatures invalidated: 1.")

	// An organisation with a logo and a statement: the form refusing an SVG,
	// the review on the signature's page, the signer's manage page, then
	// the logo wall and the statement once approved.
	logoPage := "POST " + letter + "/sign (organisation, logo refused, 422)"
	res = add(logoPage, postWithLogo(t, h, letter+"/sign", orgForm("Logo Lab", "https://logolab.example", "kim@logolab.example", "DE"),
		"logo.svg", mediatest.SVG()), http.StatusUnprocessableEntity)
	mustContain(logoPage, res.Body, "f-logo-error")
	logoSig := signWithLogo(t, h, "Logo Lab", "We sign for open science.", "logo.png", mediatest.PNG(120, 60))
	res = add("GET /admin/signatures/{id} (logo and statement to review)", admin.Get(fmt.Sprintf("/admin/signatures/%d", logoSig.ID)), http.StatusOK)
	mustContain("GET /admin/signatures/{id} (logo and statement to review)", res.Body, "logo-review")
	add("GET /manage/{token} (organisation with a logo)", h.Get(manageLink(t, h, h.SMTP.Messages()[len(h.SMTP.Messages())-1])), http.StatusOK)
	decide(t, admin, "approve", []uint64{logoSig.ID})
	decideMedia(t, admin, logoSig.ID, "logo", "approve")
	decideMedia(t, admin, logoSig.ID, "statement", "approve")
	res = add("GET "+letter+" (logo wall and statement)", h.Get(letter), http.StatusOK)
	mustContain("GET "+letter+" (logo wall and statement)", res.Body, "logo-wall")
	mustContain("GET "+letter+" (logo wall and statement)", res.Body, "We sign for open science.")

	// Last, as it moves the clock: the unused link once it has expired.
	h.Clock.Advance(8 * 24 * time.Hour)
	res = add("GET /confirm/{token} (expired, 410)", h.Get(fresh), http.StatusGone)
	mustContain("GET /confirm/{token} (expired, 410)", res.Body, "expired")

	webtest.CheckHTML(t, pages)
}

// addLetterPages collects the console's letter pages: the list, the new
// letter form empty, with errors and previewed, a signed letter's page with
// a refused schedule and a refused move, and its texts to edit and to add.
func addLetterPages(t *testing.T, h *webtest.Harness, admin *webtest.Browser,
	add func(string, *webtest.Response, int) *webtest.Response, mustContain func(string, string, string)) {
	t.Helper()
	add("GET /admin/letters", admin.Get("/admin/letters"), http.StatusOK)
	add("GET /admin/letters/new", admin.Get("/admin/letters/new"), http.StatusOK)
	bad := newLetterForm()
	bad.Set("slug", "Not A Slug")
	bad.Set("title", "")
	res := add("POST /admin/letters (422)", admin.Post("/admin/letters", bad), http.StatusUnprocessableEntity)
	mustContain("POST /admin/letters (422)", res.Body, "error-summary")
	preview := newLetterForm()
	preview.Set("action", "preview")
	res = add("POST /admin/letters (preview)", admin.Post("/admin/letters", preview), http.StatusOK)
	mustContain("POST /admin/letters (preview)", res.Body, "<strong>you</strong>")
	letter, _ := h.App.Letters.BySlug(webtest.LetterSlug)
	page := fmt.Sprintf("/admin/letters/%d", letter.ID)
	add("GET /admin/letters/{id}", admin.Get(page), http.StatusOK)
	res = add("POST /admin/letters/{id}/schedule (422)", admin.Post(page+"/schedule", url.Values{"closes_at": {"2020-01-01T00:00"}}), http.StatusUnprocessableEntity)
	mustContain("POST /admin/letters/{id}/schedule (422)", res.Body, "This date has passed")
	res = add("POST /admin/letters/{id}/events (409)", admin.Post(page+"/events", url.Values{"event": {"open"}}), http.StatusConflict)
	mustContain("POST /admin/letters/{id}/events (409)", res.Body, "is not possible")
	res = add("GET /admin/letters/{id}/texts/en (signed)", admin.Get(page+"/texts/en"), http.StatusOK)
	mustContain("GET /admin/letters/{id}/texts/en (signed)", res.Body, "What kind of change is this?")
	res = add("POST /admin/letters/{id}/texts/en (422)", admin.Post(page+"/texts/en", url.Values{"title": {"T"}, "body": {"Changed."}}), http.StatusUnprocessableEntity)
	mustContain("POST /admin/letters/{id}/texts/en (422)", res.Body, "minor or material")
	add("GET /admin/letters/{id}/texts/fr (to add)", admin.Get(page+"/texts/fr"), http.StatusOK)
}
