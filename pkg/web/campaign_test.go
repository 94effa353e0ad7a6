package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/undersigned/undersigned/pkg/store"
	"github.com/undersigned/undersigned/pkg/web/webtest"
)

// TestACampaignRunFromTheConsole runs a whole campaign through the real
// server and real SMTP: an admin writes a letter in the console, adds its
// French text, schedules it; it opens privately on its date (signable, list
// private), is published, collects a signature in French, has its French
// body changed materially (the signer is mailed, in French, with the note
// and a manage link), is closed, and every step is in the audit log.
func TestACampaignRunFromTheConsole(t *testing.T) {
	h := webtest.New(t)
	admin := h.LoginAs("admin@campaign.example", store.RoleAdmin)
	const slug = "keep-encryption-strong"
	public := "/letters/" + slug

	// Write it, then translate it.
	page := createLetter(t, admin, url.Values{
		"slug": {slug}, "title": {"Keep encryption strong"}, "summary": {"Experts ask governments."},
		"recipients": {"To the leaders of the world's governments"}, "lang": {"en"},
		"body": {"We ask you to keep encryption strong."}, "review": {"organisation"}, "action": {"save"},
	})
	if res := h.Get(public); res.Status != http.StatusNotFound {
		t.Errorf("a new draft's public page: %d, want 404", res.Status)
	}
	res := admin.Post(page+"/texts/fr", url.Values{"title": {"Gardons un chiffrement fort"},
		"recipients": {"Aux dirigeants des gouvernements du monde"}, "body": {"Nous vous demandons de garder un chiffrement fort."},
		"action": {"save"}})
	if res.Status != http.StatusSeeOther {
		t.Fatalf("adding the French text: %d\n%s", res.Status, res.Body)
	}

	// Schedule it: it opens privately in ten minutes, goes public in two days.
	now := h.Clock.Now().UTC()
	opens, publishes := now.Add(10*time.Minute).Truncate(time.Minute), now.Add(48*time.Hour).Truncate(time.Minute)
	res = admin.Post(page+"/schedule", url.Values{"opens_at": {opens.Format("2006-01-02T15:04")},
		"publish_at": {publishes.Format("2006-01-02T15:04")}, "closes_at": {""}})
	if res.Status != http.StatusSeeOther {
		t.Fatalf("scheduling: %d\n%s", res.Status, res.Body)
	}
	doc := h.Get(public + "?lang=fr").Doc()
	if doc.Find("form[action$='/sign#sign']").Length() != 0 || !strings.Contains(doc.Find("#sign").Text(), "Les signatures ouvrent le") {
		t.Errorf("before opening the page should say when it opens and take no signature:\n%s", doc.Find("#sign").Text())
	}

	// Its opening date passes: the schedule opens it, privately.
	h.Clock.Advance(11 * time.Minute)
	if n, err := h.App.LetterConsole.Advance(t.Context()); err != nil || n != 1 {
		t.Fatalf("the schedule's moves: %d, %v; want 1", n, err)
	}
	doc = h.Get(public + "?lang=fr").Doc()
	if doc.Find("form[action$='/sign#sign']").Length() != 1 || doc.Find("#totals-title").Length() != 0 ||
		!strings.Contains(doc.Find("#signatories").Text(), "La liste des signataires sera publiée le") {
		t.Error("under embargo the page should take signatures and keep the list and count private")
	}
	if res := h.Get("/api/v1/letters/" + slug); res.Status != http.StatusNotFound {
		t.Errorf("the API under embargo: %d, want 404", res.Status)
	}

	// Launch day: publish now.
	if res := moveButton(t, admin, page, "Publish now"); res.Status != http.StatusSeeOther {
		t.Fatalf("publishing: %d\n%s", res.Status, res.Body)
	}
	if !strings.Contains(h.Get("/api/v1/letters").Body, `"slug":"`+slug+`"`) {
		t.Error("the published letter is not in GET /api/v1/letters")
	}

	// A reader signs in French, from the form of the French text.
	doc = h.Get(public + "?lang=fr").Doc()
	version, _ := doc.Find(`input[name="version"]`).Attr("value")
	if version != "fr/1" || !strings.Contains(doc.Find(".recipients").Text(), "Aux dirigeants") {
		t.Errorf("the French page: form version %q, recipients %q", version, doc.Find(".recipients").Text())
	}
	form := webtest.SignForm("marie@example.fr")
	form.Set("name", "Marie Curie")
	form.Set("country", "FR")
	form.Set("version", version)
	before := len(h.SMTP.Messages())
	if res := h.PostForm(public+"/sign?lang=fr", form); res.Status != http.StatusSeeOther {
		t.Fatalf("signing in French: %d\n%s", res.Status, res.Body)
	}
	h.DrainOutbox()
	mails := h.SMTP.WaitFor(t, before+1, 5*time.Second)[before:]
	if !strings.Contains(mails[0].Subject, "Confirmez") {
		t.Errorf("the confirmation mail's subject: %q, want French", mails[0].Subject)
	}
	link := webtest.ConfirmLink(t, h.URL, mails[0])
	if res := h.PostForm(link+"?lang=fr", nil); res.Status != http.StatusOK || !strings.Contains(res.Body, "Merci d’avoir signé") {
		t.Fatalf("confirming: %d\n%s", res.Status, res.Body)
	}
	sig := signatureByName(t, h, "Marie Curie")
	if sig.Status != store.StatusPublished || sig.LetterVersion != "fr/1" || sig.Locale != "fr" {
		t.Errorf("the signature: %s, version %q, locale %q; want published, fr/1, fr", sig.Status, sig.LetterVersion, sig.Locale)
	}

	// A material change to the French body: the signer is told.
	before = len(h.SMTP.Messages())
	res = admin.Post(page+"/texts/fr", url.Values{"title": {"Gardons un chiffrement fort"},
		"recipients": {"Aux dirigeants des gouvernements du monde"},
		"body":       {"Nous vous demandons de garder un chiffrement fort, sans porte dérobée."},
		"change":     {"material"}, "note": {"La lettre refuse désormais toute porte dérobée."}, "action": {"save"}})
	if res.Status != http.StatusSeeOther {
		t.Fatalf("the material change: %d\n%s", res.Status, res.Body)
	}
	h.App.Notices.Wait()
	h.DrainOutbox()
	mails = h.SMTP.WaitFor(t, before+1, 5*time.Second)[before:]
	if len(mails) != 1 || mails[0].To[0] != "marie@example.fr" || !strings.Contains(mails[0].Subject, "Le texte que vous avez signé a changé") ||
		!strings.Contains(mails[0].Text, "La lettre refuse désormais toute porte dérobée.") || !strings.Contains(mails[0].Text, h.URL+"/manage/") {
		t.Fatalf("mail after the material change: %+v", mails)
	}
	doc = h.Get(public + "?lang=fr").Doc()
	if !strings.Contains(doc.Find(".updated").Text(), "Mise à jour le") || doc.Find(".changes ins").Length() == 0 {
		t.Errorf("the page does not say it was updated or show the change:\n%s", doc.Find("article").Text())
	}
	if got, _ := doc.Find(`input[name="version"]`).Attr("value"); got != "fr/2" {
		t.Errorf("the form now signs version %q, want fr/2", got)
	}
	// A form drawn before the change is sent back to be read again.
	late := webtest.SignForm("late@example.fr")
	late.Set("version", "fr/1")
	if res := h.PostForm(public+"/sign?lang=fr", late); res.Status != http.StatusUnprocessableEntity ||
		!strings.Contains(res.Body, "La lettre a été modifiée pendant votre lecture") {
		t.Errorf("signing the text before a material change: %d", res.Status)
	}

	// Close it: the final list stays, the form goes.
	if res := moveButton(t, admin, page, "Close now"); res.Status != http.StatusSeeOther {
		t.Fatalf("closing: %d\n%s", res.Status, res.Body)
	}
	doc = h.Get(public).Doc()
	if doc.Find("form[action$='/sign#sign']").Length() != 0 || !strings.Contains(doc.Text(), "This letter closed on") ||
		!strings.Contains(doc.Find("#signatories").Text(), "Marie Curie") {
		t.Error("a closed letter should show its final list and no form")
	}
	if res := h.PostForm(public+"/sign", webtest.SignForm("after@example.org")); res.Status != http.StatusForbidden {
		t.Errorf("signing a closed letter: %d, want 403", res.Status)
	}

	// Every step is in the audit log, by whom it was done.
	var steps []string
	for _, e := range auditEventsOf(t, h, "letter.") {
		steps = append(steps, e.Action+" by "+e.StaffEmail)
	}
	want := []string{
		"letter.create by admin@campaign.example", "letter.text by admin@campaign.example",
		"letter.schedule by admin@campaign.example", "letter.open by schedule",
		"letter.publish by admin@campaign.example", "letter.text by admin@campaign.example",
		"letter.close by admin@campaign.example",
	}
	if strings.Join(steps, "\n") != strings.Join(want, "\n") {
		t.Errorf("audit log:\n%s\nwant:\n%s", strings.Join(steps, "\n"), strings.Join(want, "\n"))
	}
	rows := admin.Get("/admin/audit?letter=" + slug).Doc().Find("table tbody tr")
	var logged []string
	rows.Each(func(_ int, r *goquery.Selection) {
		logged = append(logged, strings.Join(strings.Fields(r.Text()), " "))
	})
	for i, words := range []string{"Closed the letter", "fr version 2 (material)", "Confirmed (signer) Keep encryption strong Marie Curie",
		"Published the letter", "schedule Opened the letter privately", "Changed the letter's schedule", "fr version 1", "Created the letter"} {
		if i >= len(logged) || !strings.Contains(logged[i], words) {
			t.Errorf("the audit log filtered to the letter, newest first, row %d: want %q in\n%s", i, words, strings.Join(logged, "\n"))
			break
		}
	}
}
