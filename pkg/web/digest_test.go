package web_test

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/undersigned/undersigned/pkg/mail/mailtest"
	"github.com/undersigned/undersigned/pkg/store"
	"github.com/undersigned/undersigned/pkg/web/webtest"
)

// TestAccountPageSetsTheDigest chooses a digest on the account page: a bad
// value is answered 422 with the message beside the field; a good one is
// saved, confirmed and audited.
func TestAccountPageSetsTheDigest(t *testing.T) {
	h := webtest.New(t)
	mod := h.LoginAs("mod@campaign.example", store.RoleModerator)

	page := mod.Get("/admin/account").Doc()
	if href, _ := page.Find(`nav a[href="/admin/account"]`).Attr("href"); href == "" {
		t.Error("the console's navigation does not link to the account page")
	}
	if label := page.Find(`label[for="f-digest"]`).Text(); !strings.Contains(label, "signatures awaiting review") {
		t.Errorf("the digest choice's label reads %q", label)
	}
	if v, _ := page.Find("#f-digest option[selected]").Attr("value"); v != "hourly" {
		t.Errorf("a new moderator's digest is %q, want hourly", v)
	}

	res := mod.Post("/admin/account", url.Values{"digest": {"weekly"}})
	doc := res.Doc()
	if res.Status != http.StatusUnprocessableEntity {
		t.Fatalf("a bad digest: %d, want 422", res.Status)
	}
	described, _ := doc.Find("#f-digest").Attr("aria-describedby")
	if msg := doc.Find("#f-digest-error").Text(); msg == "" || !strings.Contains(described, "f-digest-error") {
		t.Errorf("no message beside the field: %q, aria-describedby %q", msg, described)
	}

	res = mod.Post("/admin/account", url.Values{"digest": {"immediate"}})
	if res.Status != http.StatusSeeOther || res.Header.Get("Location") != "/admin/account?saved=1" {
		t.Fatalf("saving: %d to %q", res.Status, res.Header.Get("Location"))
	}
	doc = mod.Get("/admin/account?saved=1").Doc()
	if v, _ := doc.Find("#f-digest option[selected]").Attr("value"); v != "immediate" || doc.Find(".flash").Text() == "" {
		t.Errorf("after saving: %q selected, flash %q", v, doc.Find(".flash").Text())
	}
	if events := auditEvents(t, h, "staff_digest"); len(events) != 1 || events[0].StaffEmail != "mod@campaign.example" ||
		events[0].Subject != "mod@campaign.example: immediate" {
		t.Errorf("audit: %+v", events)
	}
}

// TestStaffAreToldWhatAwaitsReview follows a digest from the account page to
// the inbox, through the real server and SMTP: a moderator who chose
// "immediate" is mailed, a minute after an organisation confirms, its
// letter's counts and queue link, and no signer's details; one who chose
// "never" gets nothing; the next digest waits five minutes and counts what
// is new; a digest whose signatures were all decided before it went out is
// recorded as sent, unmailed.
func TestStaffAreToldWhatAwaitsReview(t *testing.T) {
	h := webtest.New(t)
	mod := h.LoginAs("mod@campaign.example", store.RoleModerator)
	quiet := h.LoginAs("quiet@campaign.example", store.RoleAdmin)
	for b, choice := range map[*webtest.Browser]string{mod: "immediate", quiet: "never"} {
		if res := b.Post("/admin/account", url.Values{"digest": {choice}}); res.Status != http.StatusSeeOther {
			t.Fatalf("choosing %s: %d", choice, res.Status)
		}
	}
	signAndConfirm(t, h, orgForm("Open Rights Lab", "openrights.example", "kim@openrights.example", "DE"))

	h.Clock.Advance(time.Minute)
	digests := queueAndSendDigests(t, h, 1)
	if len(digests) != 1 || digests[0].To[0] != "mod@campaign.example" {
		t.Fatalf("digests to %v, want one to the moderator", recipients(digests))
	}
	m := digests[0]
	queue := h.URL + "/admin?letter=" + webtest.LetterSlug
	for _, want := range []string{"Keep encryption strong: 1 awaiting review, 1 new since your last digest", queue} {
		if !strings.Contains(m.Text, want) {
			t.Errorf("the digest lacks %q:\n%s", want, m.Text)
		}
	}
	if !slices.Contains(strings.Fields(m.Text), h.URL+"/admin") {
		t.Errorf("the digest lacks the whole queue's link %s/admin:\n%s", h.URL, m.Text)
	}
	if !strings.Contains(m.Subject, "1 signature awaits review") || !strings.Contains(m.HTML, `href="`+queue+`"`) {
		t.Errorf("subject %q; HTML:\n%s", m.Subject, m.HTML)
	}
	for _, private := range []string{"kim@openrights.example", "Kim Park", "Open Rights Lab"} {
		if strings.Contains(string(m.Raw), private) {
			t.Errorf("the digest carries %q", private)
		}
	}

	h.Clock.Advance(time.Minute)
	signAndConfirm(t, h, orgForm("Privacy Circle", "privacy.example", "lee@privacy.example", "FR"))
	h.Clock.Advance(time.Minute)
	queueAndSendDigests(t, h, 0) // two minutes after the last: too soon
	h.Clock.Advance(3 * time.Minute)
	digests = queueAndSendDigests(t, h, 1)
	if len(digests) != 1 || !strings.Contains(digests[0].Text, "2 awaiting review, 1 new since your last digest") {
		t.Fatalf("the second digest:\n%v", digests)
	}

	h.Clock.Advance(time.Minute)
	signAndConfirm(t, h, orgForm("Code Commons", "commons.example", "ray@commons.example", "ES"))
	h.Clock.Advance(4 * time.Minute)
	if n, err := h.App.Digests.QueueDue(t.Context()); err != nil || n != 1 {
		t.Fatalf("queueing the third digest: %d (%v)", n, err)
	}
	var pending []uint64
	for _, name := range []string{"Open Rights Lab", "Privacy Circle", "Code Commons"} {
		pending = append(pending, signatureByName(t, h, name).ID)
	}
	decide(t, mod, "approve", pending)
	before := len(h.SMTP.Messages())
	h.DrainOutbox()
	if got := digestsIn(h.SMTP.Messages()[before:]); len(got) != 0 {
		t.Errorf("a digest went out with nothing awaiting review: %v", got)
	}
	var unsent int64
	if err := h.App.Store.Read(t.Context()).Model(&store.MailJob{}).
		Where("kind = ? AND status <> ?", store.MailDigest, store.JobSent).Count(&unsent).Error; err != nil || unsent != 0 {
		t.Errorf("%d digest jobs not marked sent (%v)", unsent, err)
	}
}

// queueAndSendDigests runs the digest loop's step once, checks it queued
// want, drains the outbox and returns the digests mailed.
func queueAndSendDigests(t *testing.T, h *webtest.Harness, want int) []mailtest.Message {
	t.Helper()
	n, err := h.App.Digests.QueueDue(t.Context())
	if err != nil || n != want {
		t.Fatalf("queued %d digests (%v), want %d", n, err, want)
	}
	before := len(h.SMTP.Messages())
	h.DrainOutbox()
	return digestsIn(h.SMTP.Messages()[before:])
}

func digestsIn(msgs []mailtest.Message) []mailtest.Message {
	var out []mailtest.Message
	for _, m := range msgs {
		if strings.Contains(m.Subject, "await") {
			out = append(out, m)
		}
	}
	return out
}

func recipients(msgs []mailtest.Message) [][]string {
	var to [][]string
	for _, m := range msgs {
		to = append(to, m.To)
	}
	return to
}
