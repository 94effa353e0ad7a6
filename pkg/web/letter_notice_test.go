package web_test

import (
	"log/slog"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/undersigned/undersigned/pkg/config"
	"github.com/undersigned/undersigned/pkg/letters"
	"github.com/undersigned/undersigned/pkg/mail/mailtest"
	"github.com/undersigned/undersigned/pkg/store"
	"github.com/undersigned/undersigned/pkg/web/webtest"
)

// interfaceLanguages are the languages a letter's text may be written in.
var interfaceLanguages = []string{"en", "de", "fr", "es", "pt", "ar"}

// individualForm is an individual's sign form, named name.
func individualForm(name, email string) url.Values {
	f := webtest.SignForm(email)
	f.Set("name", name)
	return f
}

// saveText saves e as the harness letter's text, as an admin, waits for
// the notices it queues and drains the outbox; it returns the mail sent.
func saveText(t *testing.T, h *webtest.Harness, e letters.TextEdit) (letters.Saved, []mailtest.Message) {
	t.Helper()
	letter, _ := h.App.Letters.BySlug(webtest.LetterSlug)
	saved, err := h.App.LetterConsole.SaveText(t.Context(), store.Actor{Name: "admin@campaign.example"}, letter.ID, e, interfaceLanguages)
	if err != nil {
		t.Fatalf("saving the %s text: %v", e.Lang, err)
	}
	h.App.Notices.Wait()
	before := len(h.SMTP.Messages())
	h.DrainOutbox()
	return saved, h.SMTP.Messages()[before:]
}

// TestMaterialChangeMailsTheSignersWhoStand: with signatures published,
// awaiting review, hidden, rejected, withdrawn and unconfirmed, a minor
// change to the text mails no one; a material change to its French text
// mails exactly the published, pending and hidden signers, each in their
// language, with staff's note quoted in French, the letter's link and
// their own manage link.
func TestMaterialChangeMailsTheSignersWhoStand(t *testing.T) {
	h := webtest.New(t)
	mod := h.LoginAs("mod@campaign.example", store.RoleModerator)
	standing := map[string]url.Values{
		"ada@example.org":        individualForm("Ada Byron", "ada@example.org"),
		"kim@openrights.example": orgForm("Open Rights Lab", "https://openrights.example", "kim@openrights.example", "DE"),
		"hal@example.org":        individualForm("Hal Hidden", "hal@example.org"),
	}
	for _, form := range standing {
		signAndConfirm(t, h, form)
	}
	signAndConfirm(t, h, orgForm("Spam Corp", "https://spam.example", "x@spam.example", "FR"))
	signAndConfirm(t, h, individualForm("Wes Withdrawn", "wes@example.org"))
	h.Sign(individualForm("Una Unconfirmed", "una@example.org"))
	h.PostForm("/letters/"+webtest.LetterSlug+"/sign?lang=fr", individualForm("Élise Fournier", "elise@example.org"))
	h.DrainOutbox()
	for _, m := range h.SMTP.Messages() {
		if m.To[0] == "elise@example.org" {
			h.PostForm(webtest.ConfirmLink(t, h.URL, m), nil)
		}
	}
	decide(t, mod, "hide", []uint64{signatureByName(t, h, "Hal Hidden").ID})
	decide(t, mod, "reject", []uint64{signatureByName(t, h, "Spam Corp").ID}, "reason", "out_of_scope")
	h.DrainOutbox()
	manage := map[string]string{}
	for _, m := range h.SMTP.Messages() {
		if _, ok := manage[m.To[0]]; !ok && strings.Contains(m.Text, "/manage/") {
			manage[m.To[0]] = manageLink(t, h, m)
		}
	}
	h.PostForm(manage["wes@example.org"]+"/withdraw", url.Values{"sure": {"yes"}})
	if sig := signatureByName(t, h, "Hal Hidden"); sig.Status != store.StatusHidden {
		t.Fatalf("Hal's signature is %s, want hidden", sig.Status)
	}

	body := "We ask governments to:\n\n1. Keep encryption strong.\n"
	if _, mailed := saveText(t, h, letters.TextEdit{Lang: "fr", TextFields: letters.TextFields{Title: "Gardons le chiffrement", Body: "Nous demandons."}}); len(mailed) != 0 {
		t.Errorf("a first French text mailed %d signers", len(mailed))
	}
	saved, mailed := saveText(t, h, letters.TextEdit{Lang: "en", TextFields: letters.TextFields{Title: "Keep encryption strong", Body: body + "2. Typo fixed.\n"},
		Change: store.TextMinor})
	if !saved.New || saved.Notified || len(mailed) != 0 {
		t.Errorf("a minor change: %+v, mailed %v; want a new version and no mail", saved, recipients(mailed))
	}

	note := "Le deuxième paragraphe demande désormais une loi."
	saved, mailed = saveText(t, h, letters.TextEdit{Lang: "fr", TextFields: letters.TextFields{Title: "Gardons le chiffrement", Body: "Nous demandons une loi."},
		Change: store.TextMaterial, Note: note})
	if !saved.Notified {
		t.Fatalf("a material change: %+v, want Notified", saved)
	}
	var to []string
	for _, m := range mailed {
		to = append(to, m.To...)
	}
	slices.Sort(to)
	if want := []string{"ada@example.org", "elise@example.org", "hal@example.org", "kim@openrights.example"}; !slices.Equal(to, want) {
		t.Fatalf("a material change mailed %v, want %v", to, want)
	}
	for _, m := range mailed {
		link := manageLink(t, h, m)
		if link != manage[m.To[0]] {
			t.Errorf("%s's notice carries the manage link %s, want theirs, %s", m.To[0], link, manage[m.To[0]])
		}
		subject, words := "The text you signed has changed: Keep encryption strong", []string{"26 November 2026", "withdraw"}
		if m.To[0] == "elise@example.org" {
			subject, words = "Le texte que vous avez signé a changé : Gardons le chiffrement", []string{"26 novembre 2026", "retirer"}
		}
		if m.Subject != subject {
			t.Errorf("%s's notice: subject %q, want %q", m.To[0], m.Subject, subject)
		}
		for _, want := range append(words, note, h.URL+"/letters/"+webtest.LetterSlug) {
			if !strings.Contains(m.Text, want) {
				t.Errorf("%s's notice lacks %q:\n%s", m.To[0], want, m.Text)
			}
		}
		if !strings.Contains(m.HTML, `<blockquote lang="fr" dir="ltr"`) || !strings.Contains(m.HTML, "Le deuxième paragraphe") {
			t.Errorf("%s's notice does not quote the note in French:\n%s", m.To[0], m.HTML)
		}
	}
}

// countingWaker is the outbox, counting how often it is woken.
type countingWaker struct {
	letters.Waker
	wakes int
}

func (w *countingWaker) Wake() { w.wakes++; w.Waker.Wake() }

// TestNoticesGoInChunksAfterSignersMail queues the notices of a change for
// five signers two at a time, with mail.bulk_per_minute at 3: every signer
// gets one notice, queued in three chunks; the outbox sends three notices,
// then a new signer's confirmation though notices still wait, then the
// last two notices once the cap allows them, forty seconds later.
func TestNoticesGoInChunksAfterSignersMail(t *testing.T) {
	h := webtest.New(t, func(c *config.Config) { c.Mail.BulkPerMinute = 3 })
	h.SeedPending(5, "DE")
	letter, _ := h.App.Letters.BySlug(webtest.LetterSlug)
	text, err := store.CurrentText(h.App.Store.Read(t.Context()), letter.ID, "en")
	if err != nil {
		t.Fatal(err)
	}
	outbox := &countingWaker{Waker: h.App.Outbox}
	notices := letters.NewNotices(h.App.Store, outbox, h.Clock.Now, 2, 0, slog.New(slog.DiscardHandler))
	if n, err := notices.Queue(t.Context(), letter.ID, text.ID); err != nil || n != 5 || outbox.wakes != 3 {
		t.Fatalf("queued %d notices in %d chunks (%v); want 5 in 3", n, outbox.wakes, err)
	}

	sent := func() []string {
		before := len(h.SMTP.Messages())
		h.DrainOutbox()
		var to []string
		for _, m := range h.SMTP.Messages()[before:] {
			to = append(to, m.To[0]+" "+strings.SplitN(m.Subject, ":", 2)[0])
		}
		slices.Sort(to)
		return to
	}
	notice := " The text you signed has changed"
	if got := sent(); len(got) != 3 || !strings.HasSuffix(got[0], notice) {
		t.Errorf("the first drain sent %q; want three notices", got)
	}
	h.Sign(webtest.SignForm("new@example.org"))
	if got := sent(); !slices.Equal(got, []string{"new@example.org Confirm your signature"}) {
		t.Errorf("with notices waiting, a signer's drain sent %q; want the confirmation only", got)
	}
	h.Clock.Advance(40 * time.Second)
	if got := sent(); len(got) != 2 || !strings.HasSuffix(got[1], notice) {
		t.Errorf("forty seconds later the drain sent %q; want the two notices left", got)
	}
	var unsent int64
	err = h.App.Store.Read(t.Context()).Model(&store.MailJob{}).Where("status <> ?", store.JobSent).Count(&unsent).Error
	if err != nil || unsent != 0 {
		t.Errorf("%d jobs unsent (%v)", unsent, err)
	}
}

// TestNoticesGiveWayToSigners: with SQLite's writer busy, as on a launch,
// queueing the notices of a change waits mail.outbox.yield_to_signing
// before its chunk and queues nothing meanwhile; once a write finds the
// writer free again, every signer's notice is queued.
func TestNoticesGiveWayToSigners(t *testing.T) {
	h := webtest.New(t)
	if h.App.Store.Driver != "sqlite" {
		t.Skip("PostgreSQL has no one writer to give way to")
	}
	h.SeedPending(3, "DE")
	letter, _ := h.App.Letters.BySlug(webtest.LetterSlug)
	text, err := store.CurrentText(h.App.Store.Read(t.Context()), letter.ID, "en")
	if err != nil {
		t.Fatal(err)
	}
	notices := letters.NewNotices(h.App.Store, h.App.Outbox, h.Clock.Now, 2, 5*time.Second, slog.New(slog.DiscardHandler))
	ctx, stop := withWriterBusy(t, h)
	defer stop()
	start := time.Now()
	n, _ := notices.Queue(ctx, letter.ID, text.ID)
	if waited := time.Since(start); n != 0 || waited < 250*time.Millisecond {
		t.Errorf("with the writer busy, %d notices were queued after %s; want none, after a wait", n, waited)
	}
	h.Sign(webtest.SignForm("calm@example.org")) // a write that finds the writer free
	if n, err := notices.Queue(t.Context(), letter.ID, text.ID); err != nil || n != 3 {
		t.Errorf("once the rush was over, %d notices were queued (%v); want 3", n, err)
	}
}
