package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/undersigned/undersigned/pkg/config"
	"github.com/undersigned/undersigned/pkg/letters"
	"github.com/undersigned/undersigned/pkg/mail/mailtest"
	"github.com/undersigned/undersigned/pkg/store"
	"github.com/undersigned/undersigned/pkg/vault"
	"github.com/undersigned/undersigned/pkg/web/webtest"
)

// signatureSignedBy is the signature signed with the address email.
func signatureSignedBy(t *testing.T, h *webtest.Harness, email string) store.Signature {
	t.Helper()
	var sigs []store.Signature
	if err := h.App.Store.Read(t.Context()).Order("id").Find(&sigs).Error; err != nil {
		t.Fatal(err)
	}
	for _, sig := range sigs {
		if addr, err := h.App.Vault.Open(vault.PurposeEmail, sig.EmailSealed); err == nil && addr == email {
			return sig
		}
	}
	t.Fatalf("no signature of %s", email)
	return store.Signature{}
}

// TestKeepInformedBoxIsUntickedAndRecorded: both kinds' sign forms offer
// an optional "keep me informed" box, unticked; a signer who leaves it
// is not kept informed, one who ticks it is, with the version of its text
// and the time, and the export shows both.
func TestKeepInformedBoxIsUntickedAndRecorded(t *testing.T) {
	h := webtest.New(t, func(c *config.Config) { c.Letters[0].Review = nil })
	for _, path := range []string{"/letters/" + webtest.LetterSlug, "/letters/" + webtest.LetterSlug + "?kind=organisation"} {
		box := h.Get(path).Doc().Find("#f-keep-informed")
		if box.Length() != 1 || box.AttrOr("type", "") != "checkbox" {
			t.Fatalf("%s: no keep-informed checkbox", path)
		}
		if _, ticked := box.Attr("checked"); ticked {
			t.Errorf("%s: the keep-informed box is ticked before the signer ticks it", path)
		}
		if _, required := box.Attr("required"); required {
			t.Errorf("%s: the keep-informed box is required", path)
		}
		if label := h.Get(path).Doc().Find(`label[for="f-keep-informed"]`).Text(); !strings.Contains(label, "Keep me informed about this letter") {
			t.Errorf("%s: the box's label is %q", path, label)
		}
	}
	h.Sign(webtest.SignForm("quiet@example.org"))
	informed := webtest.SignForm("informed@example.org")
	informed.Set("keep_informed", "on")
	h.Sign(informed)

	if quiet := signatureSignedBy(t, h, "quiet@example.org"); quiet.KeepInformed || quiet.KeepInformedVersion != "" || quiet.KeepInformedAt != nil {
		t.Errorf("a signer who left the box: kept informed %v, version %q, at %v", quiet.KeepInformed, quiet.KeepInformedVersion, quiet.KeepInformedAt)
	}
	sig := signatureSignedBy(t, h, "informed@example.org")
	if !sig.KeepInformed || sig.KeepInformedVersion != h.App.Config.Signing.UpdatesConsentVersion || sig.KeepInformedVersion == "" ||
		sig.KeepInformedAt == nil || !sig.KeepInformedAt.Equal(h.Clock.Now()) {
		t.Errorf("a signer who ticked the box: kept informed %v, version %q, at %v", sig.KeepInformed, sig.KeepInformedVersion, sig.KeepInformedAt)
	}

	confirmAll(t, h, []string{"quiet@example.org", "informed@example.org"})
	admin := h.LoginAs("admin@campaign.example", store.RoleAdmin)
	rows := csvRows(t, admin.Post("/admin/export", url.Values{"letter": {webtest.LetterSlug}}))
	column := map[string]int{}
	for i, name := range rows[0] {
		column[name] = i
	}
	byName := map[string]bool{}
	for _, row := range rows[1:] {
		byName[row[column["keep_informed"]]+" "+row[column["keep_informed_version"]]] = true
		if row[column["keep_informed"]] == "true" && row[column["keep_informed_at"]] != h.Clock.Now().Format(time.RFC3339) {
			t.Errorf("exported time of consent %q", row[column["keep_informed_at"]])
		}
	}
	if !byName["true "+sig.KeepInformedVersion] || !byName["false "] {
		t.Errorf("the export's consent columns: %v", rows)
	}
}

// informedForm is an individual's sign form, named name, with the
// keep-informed box ticked.
func informedForm(name, email string) url.Values {
	f := individualForm(name, email)
	f.Set("keep_informed", "yes")
	return f
}

// sortedRecipients are the addresses msgs went to, sorted.
func sortedRecipients(msgs []mailtest.Message) []string {
	var to []string
	for _, m := range msgs {
		to = append(to, m.To...)
	}
	slices.Sort(to)
	return to
}

// sendUpdate sends an update of the harness letter through the console's
// form as admin, waits for it to be queued and drains the outbox; it
// returns the mail sent.
func sendUpdate(t *testing.T, h *webtest.Harness, admin *webtest.Browser, texts url.Values) []mailtest.Message {
	t.Helper()
	letter, _ := h.App.Letters.BySlug(webtest.LetterSlug)
	texts.Set("action", "send")
	if res := admin.Post(fmt.Sprintf("/admin/letters/%d/update", letter.ID), texts); res.Status != http.StatusSeeOther {
		t.Fatalf("sending an update: %d\n%s", res.Status, res.Body)
	}
	h.App.Notices.Wait()
	before := len(h.SMTP.Messages())
	h.DrainOutbox()
	return h.SMTP.Messages()[before:]
}

// TestUpdateReachesInformedSignersWhoStand: with signers who ticked "keep
// me informed" published, hidden, rejected and unconfirmed, one in French,
// and one who did not tick it, an update reaches exactly the published and
// hidden ones who ticked it, each in their language (French, or the
// letter's English for a language it has no text in), with the RFC 8058
// headers and the unsubscribe link in the body. One POST of that link,
// as a mail client's one-click sends it, unsubscribes at once and is
// audited without personal data: the next update skips that signer.
func TestUpdateReachesInformedSignersWhoStand(t *testing.T) {
	h := webtest.New(t)
	mod := h.LoginAs("mod@campaign.example", store.RoleModerator)
	admin := h.LoginAs("admin@campaign.example", store.RoleAdmin)
	for _, form := range []url.Values{informedForm("Ada Byron", "ada@example.org"), informedForm("Hal Hidden", "hal@example.org"),
		individualForm("Quinn Quiet", "quinn@example.org")} {
		signAndConfirm(t, h, form)
	}
	signAndConfirm(t, h, orgForm("Spam Corp", "https://spam.example", "x@spam.example", "FR"))
	h.Sign(informedForm("Una Unconfirmed", "una@example.org"))
	err := h.App.Store.Write(t.Context(), func(tx *gorm.DB) error {
		return tx.Model(&store.Signature{}).Where("name = ?", "Spam Corp").Update("keep_informed", true).Error
	})
	if err != nil {
		t.Fatal(err)
	}
	h.PostForm("/letters/"+webtest.LetterSlug+"/sign?lang=fr", informedForm("Élise Fournier", "elise@example.org"))
	h.PostForm("/letters/"+webtest.LetterSlug+"/sign?lang=de", informedForm("Dora Deutsch", "dora@example.org"))
	h.DrainOutbox()
	for _, m := range h.SMTP.Messages() {
		if m.To[0] == "elise@example.org" || m.To[0] == "dora@example.org" {
			h.PostForm(webtest.ConfirmLink(t, h.URL, m), nil)
		}
	}
	decide(t, mod, "hide", []uint64{signatureByName(t, h, "Hal Hidden").ID})
	decide(t, mod, "reject", []uint64{signatureByName(t, h, "Spam Corp").ID}, "reason", "out_of_scope")
	saveText(t, h, letters.TextEdit{Lang: "fr", TextFields: letters.TextFields{Title: "Gardons le chiffrement", Body: "Nous demandons."}})

	mailed := sendUpdate(t, h, admin, url.Values{"subject_en": {"We met the minister"}, "body_en": {"She **listened**."},
		"subject_fr": {"Nous avons vu la ministre"}, "body_fr": {"Elle a **écouté**."}})
	if got, want := sortedRecipients(mailed), []string{"ada@example.org", "dora@example.org", "elise@example.org", "hal@example.org"}; !slices.Equal(got, want) {
		t.Fatalf("the update went to %v, want %v", got, want)
	}
	unsubscribe := map[string]string{}
	for _, m := range mailed {
		subject, words := "We met the minister – Keep encryption strong", []string{"She **listened**.", "<strong>listened</strong>"}
		if m.To[0] == "elise@example.org" {
			subject, words = "Nous avons vu la ministre – Gardons le chiffrement", []string{"Elle a **écouté**.", "<strong>écouté</strong>"}
		}
		if m.Subject != subject || !strings.Contains(m.Text, words[0]) || !strings.Contains(m.HTML, words[1]) {
			t.Errorf("%s's update: subject %q, want %q, and %q in its text and %q in its HTML:\n%s\n%s", m.To[0], m.Subject, subject, words[0], words[1], m.Text, m.HTML)
		}
		link := strings.Trim(m.Header.Get("List-Unsubscribe"), "<>")
		if !strings.HasPrefix(link, h.URL+"/unsubscribe/") || m.Header.Get("List-Unsubscribe-Post") != "List-Unsubscribe=One-Click" {
			t.Errorf("%s's update: List-Unsubscribe %q, List-Unsubscribe-Post %q", m.To[0], m.Header.Get("List-Unsubscribe"), m.Header.Get("List-Unsubscribe-Post"))
		}
		if !strings.Contains(m.Text, link) || !strings.Contains(m.HTML, link) {
			t.Errorf("%s's update does not carry its unsubscribe link %s in the body", m.To[0], link)
		}
		unsubscribe[m.To[0]] = link
	}
	if events := auditEvents(t, h, "update_send"); len(events) != 1 || events[0].StaffEmail != "admin@campaign.example" {
		t.Errorf("update audited as %+v", events)
	}

	page := h.Get(strings.TrimPrefix(unsubscribe["ada@example.org"], h.URL))
	if page.Status != http.StatusOK || page.Doc().Find(`form[method="post"] button`).Length() != 1 {
		t.Errorf("the unsubscribe page: %d, want a form with a button\n%s", page.Status, page.Body)
	}
	if sig := signatureByName(t, h, "Ada Byron"); sig.UnsubscribedAt != nil {
		t.Error("opening the unsubscribe page unsubscribed")
	}
	req, err := http.NewRequest(http.MethodPost, unsubscribe["ada@example.org"], strings.NewReader("List-Unsubscribe=One-Click"))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if res := h.Do(req); res.Status != http.StatusOK {
		t.Fatalf("the one-click unsubscribe: %d\n%s", res.Status, res.Body)
	}
	if sig := signatureByName(t, h, "Ada Byron"); sig.UnsubscribedAt == nil || !sig.UnsubscribedAt.Equal(h.Clock.Now()) {
		t.Errorf("Ada unsubscribed at %v, want %v", sig.UnsubscribedAt, h.Clock.Now())
	}
	events := auditEvents(t, h, "unsubscribe")
	if len(events) != 1 || events[0].StaffEmail != "signer" || events[0].Subject != "" || events[0].Before != "" || events[0].After != "" {
		t.Errorf("unsubscribe audited as %+v, want one entry by the signer with no personal data", events)
	}
	if res := h.Get("/unsubscribe/" + strings.Repeat("A", 54)); res.Status != http.StatusNotFound {
		t.Errorf("an unknown unsubscribe link: %d, want 404", res.Status)
	}

	mailed = sendUpdate(t, h, admin, url.Values{"subject_en": {"The vote is on Monday"}, "body_en": {"Come."}})
	if got, want := sortedRecipients(mailed), []string{"dora@example.org", "elise@example.org", "hal@example.org"}; !slices.Equal(got, want) {
		t.Errorf("the second update went to %v, want %v", got, want)
	}
}

// TestUpdateFormRefusesAMissingTextBesideTheField: an update without a
// subject in the letter's own language is refused beside the field, the
// body kept, and nothing is sent; Preview shows the Markdown rendered.
func TestUpdateFormRefusesAMissingTextBesideTheField(t *testing.T) {
	h := webtest.New(t)
	admin := h.LoginAs("admin@campaign.example", store.RoleAdmin)
	letter, _ := h.App.Letters.BySlug(webtest.LetterSlug)
	path := fmt.Sprintf("/admin/letters/%d/update", letter.ID)
	res := admin.Post(path, url.Values{"body_en": {"Some *news*."}, "action": {"send"}})
	doc := res.Doc()
	if res.Status != http.StatusUnprocessableEntity || !strings.Contains(doc.Find("#f-subject-en-error").Text(), "Write a subject.") ||
		!strings.Contains(doc.Find("#f-subject-en").AttrOr("aria-describedby", ""), "f-subject-en-error") ||
		doc.Find("#f-body-en").Text() != "Some *news*." {
		t.Errorf("an update without a subject: %d\n%s", res.Status, res.Body)
	}
	if events := auditEvents(t, h, "update_send"); len(events) != 0 {
		t.Errorf("a refused update was audited: %+v", events)
	}
	preview := admin.Post(path, url.Values{"subject_en": {"News"}, "body_en": {"Some *news*."}, "action": {"preview"}})
	if preview.Status != http.StatusOK || !strings.Contains(preview.Body, "<em>news</em>") {
		t.Errorf("the preview: %d\n%s", preview.Status, preview.Body)
	}
	if mod := h.LoginAs("mod@campaign.example", store.RoleModerator); mod.Get(path).Status != http.StatusForbidden {
		t.Error("a moderator reached the update form")
	}
}
