package web_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/undersigned/undersigned/pkg/config"
	"github.com/undersigned/undersigned/pkg/store"
	"github.com/undersigned/undersigned/pkg/web/webtest"
)

// receiver is a webhook endpoint started by a test, over TLS: it answers
// 500 to its first failures requests and 200 after, and keeps what it got.
type receiver struct {
	srv      *httptest.Server
	mu       sync.Mutex
	failures int
	got      []receivedHook
}

// receivedHook is one request a receiver got.
type receivedHook struct {
	Header http.Header
	Body   []byte
}

func startReceiver(t *testing.T, failures int) *receiver {
	t.Helper()
	r := &receiver{failures: failures}
	r.srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		defer r.mu.Unlock()
		r.got = append(r.got, receivedHook{Header: req.Header.Clone(), Body: body})
		if len(r.got) <= r.failures {
			w.WriteHeader(http.StatusInternalServerError)
		}
	}))
	t.Cleanup(r.srv.Close)
	return r
}

// requests is what the receiver got so far.
func (r *receiver) requests() []receivedHook {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]receivedHook(nil), r.got...)
}

// trustedBy makes the harness trust the receiver's certificate and, with
// allowLoopback, let webhooks reach loopback addresses.
func (r *receiver) trustedBy(t *testing.T, allowLoopback bool) func(*config.Config) {
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	cert := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: r.srv.Certificate().Raw})
	if err := os.WriteFile(caFile, cert, 0o600); err != nil {
		t.Fatal(err)
	}
	return func(c *config.Config) {
		c.Webhooks.CAFile = caFile
		if allowLoopback {
			c.Webhooks.AllowPrivate = []string{"127.0.0.0/8"}
		}
	}
}

// verifyWebhook checks a request as a receiver would: the signature
// header's HMAC-SHA256 of "t.body" under secret, and t within five minutes
// of now. It returns the decoded body.
func verifyWebhook(t *testing.T, secret string, got receivedHook, now time.Time) map[string]any {
	t.Helper()
	var ts, sig string
	for part := range strings.SplitSeq(got.Header.Get("Undersigned-Signature"), ",") {
		k, v, _ := strings.Cut(part, "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			sig = v
		}
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(ts + "."))
	mac.Write(got.Body)
	want := hex.EncodeToString(mac.Sum(nil))
	if !hmac.Equal([]byte(sig), []byte(want)) {
		t.Fatalf("signature %q does not verify with the secret (header %q)", sig, got.Header.Get("Undersigned-Signature"))
	}
	unix, _ := strconv.ParseInt(ts, 10, 64)
	if d := now.Sub(time.Unix(unix, 0)); d < 0 || d > 5*time.Minute {
		t.Errorf("timestamp %s is %s from now", ts, d)
	}
	var body map[string]any
	if err := json.Unmarshal(got.Body, &body); err != nil {
		t.Fatalf("body %s: %v", got.Body, err)
	}
	return body
}

// addWebhook adds an endpoint for url taking events through the console as
// admin, and returns the secret the page shows once.
func addWebhook(t *testing.T, admin *webtest.Browser, letterID uint, endpoint string, events ...string) string {
	t.Helper()
	res := admin.Post(webhooksPath(letterID), url.Values{"url": {endpoint}, "events": events})
	if res.Status != http.StatusCreated {
		t.Fatalf("adding webhook %s: %d\n%s", endpoint, res.Status, res.Body)
	}
	secret, _ := res.Doc().Find("#webhook-secret").Attr("value")
	if !strings.HasPrefix(secret, "whsec_") {
		t.Fatalf("the page shows no secret: %q", secret)
	}
	if again := admin.Get(webhooksPath(letterID)); strings.Contains(again.Body, secret) {
		t.Error("the secret is shown again")
	}
	return secret
}

func webhooksPath(letterID uint) string {
	return "/admin/letters/" + strconv.FormatUint(uint64(letterID), 10) + "/webhooks"
}

// drainWebhooks delivers every due webhook now.
func drainWebhooks(t *testing.T, h *webtest.Harness) {
	t.Helper()
	if _, err := h.App.Webhooks.Drain(t.Context()); err != nil {
		t.Fatal(err)
	}
}

// TestWebhooksDeliverEachEventSigned: an admin adds an endpoint taking
// every event; a signer confirms (published at once) and withdraws; the
// receiver gets confirmed, published and withdrawn, each signed with the
// secret shown once, the first two with the public fields, source and
// language, the withdrawal with the signature's id, the letter and the
// time only. The test button sends a test event, and the log shows it
// delivered with the receiver's status.
func TestWebhooksDeliverEachEventSigned(t *testing.T) {
	rcv := startReceiver(t, 0)
	h := webtest.New(t, rcv.trustedBy(t, true))
	admin := h.LoginAs("admin@campaign.example", store.RoleAdmin)
	letter, _ := h.App.Letters.BySlug(webtest.LetterSlug)
	secret := addWebhook(t, admin, letter.ID, rcv.srv.URL+"/hook", "signature.confirmed", "signature.published", "signature.withdrawn")

	addPartner(t, admin, letter.ID, "Electronic Frontier Foundation", "eff")
	form := individualForm("Ada Byron", "ada@example.org")
	form.Set("ref", "eff")
	form.Set("keep_informed", "on")
	form.Set("partner_contact", "on")
	link := mailedConfirmLink(t, h, form)
	h.PostForm(link, nil)
	drainWebhooks(t, h)
	got := rcv.requests()
	if len(got) != 2 {
		t.Fatalf("the receiver got %d requests after confirming, want 2", len(got))
	}
	for i, want := range []string{"signature.confirmed", "signature.published"} {
		body := verifyWebhook(t, secret, got[i], h.Clock.Now())
		sig, _ := body["signature"].(map[string]any)
		if body["type"] != want || got[i].Header.Get("Undersigned-Event") != want {
			t.Errorf("request %d is %v, want %s", i, body["type"], want)
		}
		if sig["name"] != "Ada Byron" || sig["locale"] != "en" || sig["country"] != form.Get("country") || sig["consent_version"] == "" {
			t.Errorf("%s lacks the public fields, language or consent: %v", want, sig)
		}
		wantConsents := map[string]any{"keep_informed": true, "keep_informed_version": h.App.Config.Signing.UpdatesConsentVersion,
			"partner_contact": true, "partner_contact_version": h.App.Config.Signing.PartnerConsentVersion}
		if consents, _ := sig["consents"].(map[string]any); sig["ref"] != "eff" || !maps.Equal(consents, wantConsents) {
			t.Errorf("%s: ref %v, consents %v, want eff and %v", want, sig["ref"], sig["consents"], wantConsents)
		}
	}

	h.DrainOutbox()
	var manage string
	for _, m := range h.SMTP.Messages() {
		if m.To[0] == "ada@example.org" && strings.Contains(m.Text, "/manage/") {
			manage = manageLink(t, h, m)
		}
	}
	h.PostForm(manage+"/withdraw", url.Values{"sure": {"yes"}})
	drainWebhooks(t, h)
	got = rcv.requests()
	if len(got) != 3 {
		t.Fatalf("the receiver got %d requests after withdrawing, want 3", len(got))
	}
	body := verifyWebhook(t, secret, got[2], h.Clock.Now())
	if body["type"] != "signature.withdrawn" || len(body) != 4 {
		t.Errorf("withdrawn event %s", got[2].Body)
	}
	if sig, _ := body["signature"].(map[string]any); len(sig) != 1 || sig["id"] == nil {
		t.Errorf("the withdrawn event tells more than the id: %s", got[2].Body)
	}
	if strings.Contains(string(got[2].Body), "Ada") || strings.Contains(string(got[2].Body), "example.org") {
		t.Errorf("the withdrawn event carries personal data: %s", got[2].Body)
	}

	logPath := webhooksPath(letter.ID) + "/1"
	if res := admin.Post(logPath+"/test", nil); res.Status != http.StatusSeeOther {
		t.Fatalf("test button: %d", res.Status)
	}
	drainWebhooks(t, h)
	got = rcv.requests()
	if len(got) != 4 {
		t.Fatalf("the receiver got %d requests after the test button, want 4", len(got))
	}
	if body := verifyWebhook(t, secret, got[3], h.Clock.Now()); body["type"] != "webhook.test" {
		t.Errorf("test event %s", got[3].Body)
	}
	rows := admin.Get(logPath).Doc().Find("table.webhook-log tbody tr")
	if rows.Length() != 4 || !strings.Contains(rows.First().Text(), "webhook.test") || !strings.Contains(rows.First().Text(), "Delivered") ||
		!strings.Contains(rows.First().Text(), "200") {
		t.Errorf("the log shows %d rows, the newest %q", rows.Length(), rows.First().Text())
	}
}

// TestWebhookRetriesUntilTheReceiverAnswers: a receiver that fails three
// times gets the event on the fourth try, each retry only once its backoff
// has passed on the harness clock.
func TestWebhookRetriesUntilTheReceiverAnswers(t *testing.T) {
	rcv := startReceiver(t, 3)
	h := webtest.New(t, rcv.trustedBy(t, true))
	admin := h.LoginAs("admin@campaign.example", store.RoleAdmin)
	letter, _ := h.App.Letters.BySlug(webtest.LetterSlug)
	secret := addWebhook(t, admin, letter.ID, rcv.srv.URL+"/hook", "signature.confirmed")
	admin.Post(webhooksPath(letter.ID)+"/1/test", nil)
	for try := 1; try <= 4; try++ {
		drainWebhooks(t, h)
		if n := len(rcv.requests()); n != try {
			t.Fatalf("try %d: the receiver got %d requests", try, n)
		}
		drainWebhooks(t, h) // not due again before its backoff
		if n := len(rcv.requests()); n != try {
			t.Fatalf("try %d: retried before the backoff, %d requests", try, n)
		}
		h.Clock.Advance(2 * h.App.Config.Mail.Outbox.RetryMax)
	}
	got := rcv.requests()
	verifyWebhook(t, secret, got[3], h.Clock.Now().Add(-2*h.App.Config.Mail.Outbox.RetryMax))
	if string(got[0].Body) != string(got[3].Body) {
		t.Errorf("the retry sent another body: %s, then %s", got[0].Body, got[3].Body)
	}
	drainWebhooks(t, h)
	if n := len(rcv.requests()); n != 4 {
		t.Errorf("delivered again after the receiver accepted: %d requests", n)
	}
	admin = h.LoginAs("admin2@campaign.example", store.RoleAdmin) // the first session ended while the clock ran
	cells := admin.Get(webhooksPath(letter.ID) + "/1").Doc().Find("table.webhook-log tbody tr").First().Find("td")
	if state, attempts, answer := cells.Eq(2).Text(), cells.Eq(3).Text(), cells.Eq(4).Text(); state != "Delivered" || attempts != "4" || answer != "200" {
		t.Errorf("the log shows %s after %s attempts, answer %s; want delivered at the fourth with 200", state, attempts, answer)
	}
}

// TestWebhookRefusesLoopback: without webhooks.allow_private an endpoint on
// a loopback address is refused when added, with the message beside the
// field and the URL kept; one whose name resolves to loopback by the time
// it is called (stored as if DNS changed since) is refused at dial time.
func TestWebhookRefusesLoopback(t *testing.T) {
	rcv := startReceiver(t, 0)
	h := webtest.New(t, rcv.trustedBy(t, false))
	admin := h.LoginAs("admin@campaign.example", store.RoleAdmin)
	letter, _ := h.App.Letters.BySlug(webtest.LetterSlug)
	port := rcv.srv.URL[strings.LastIndex(rcv.srv.URL, ":")+1:]
	for _, endpoint := range []string{rcv.srv.URL + "/hook", "https://localhost:" + port + "/hook", "https://169.254.169.254/latest"} {
		res := admin.Post(webhooksPath(letter.ID), url.Values{"url": {endpoint}, "events": {"signature.confirmed"}})
		doc := res.Doc()
		described, _ := doc.Find("#f-url").Attr("aria-describedby")
		value, _ := doc.Find("#f-url").Attr("value")
		if res.Status != http.StatusUnprocessableEntity || !strings.Contains(doc.Find("#f-url-error").Text(), "private network") ||
			!strings.Contains(described, "f-url-error") || value != endpoint {
			t.Errorf("%s: %d, error %q, described by %q, value %q", endpoint, res.Status, doc.Find("#f-url-error").Text(), described, value)
		}
	}
	if res := admin.Post(webhooksPath(letter.ID), url.Values{"url": {"http://crm.example.org/hook"}, "events": {"signature.confirmed"}}); res.Status != http.StatusUnprocessableEntity ||
		!strings.Contains(res.Doc().Find("#f-url-error").Text(), "https://") {
		t.Errorf("an http endpoint: %d", res.Status)
	}

	sealed, err := h.App.Vault.Seal("webhook.secret", "whsec_test")
	if err != nil {
		t.Fatal(err)
	}
	hook := &store.Webhook{LetterID: letter.ID, URL: "https://localhost:" + port + "/hook", SecretSealed: sealed, Events: "signature.confirmed"}
	if err := h.App.Store.Write(t.Context(), func(tx *gorm.DB) error { return store.AddWebhook(tx, hook) }); err != nil {
		t.Fatal(err)
	}
	if err := h.App.Webhooks.SendTest(t.Context(), letter, hook.ID); err != nil {
		t.Fatal(err)
	}
	drainWebhooks(t, h)
	if n := len(rcv.requests()); n != 0 {
		t.Fatalf("the loopback receiver got %d requests", n)
	}
	row := admin.Get(webhooksPath(letter.ID) + "/" + strconv.FormatUint(hook.ID, 10)).Doc().Find("table.webhook-log tbody tr").First().Text()
	if !strings.Contains(row, "not public") || !strings.Contains(row, "Waiting") {
		t.Errorf("the log shows %q, want the dial refused and a retry waiting", row)
	}
}

// addWebhookPages adds the webhook pages to the validity check: the list,
// the form refusing a loopback endpoint, and an endpoint's log after a
// test event.
func addWebhookPages(t *testing.T, h *webtest.Harness, admin *webtest.Browser,
	add func(string, *webtest.Response, int) *webtest.Response, mustContain func(string, string, string)) {
	t.Helper()
	letter, _ := h.App.Letters.BySlug(webtest.LetterSlug)
	add("GET /admin/letters/{id}/webhooks", admin.Get(webhooksPath(letter.ID)), http.StatusOK)
	res := add("POST /admin/letters/{id}/webhooks (loopback, 422)", admin.Post(webhooksPath(letter.ID),
		url.Values{"url": {"https://127.0.0.1/hook"}}), http.StatusUnprocessableEntity)
	mustContain("POST /admin/letters/{id}/webhooks (loopback, 422)", res.Body, "f-url-error")
	hook := &store.Webhook{LetterID: letter.ID, URL: "https://127.0.0.1/hook", SecretSealed: []byte("x"), Events: "signature.confirmed"}
	if err := h.App.Store.Write(t.Context(), func(tx *gorm.DB) error { return store.AddWebhook(tx, hook) }); err != nil {
		t.Fatal(err)
	}
	logPath := webhooksPath(letter.ID) + "/" + strconv.FormatUint(hook.ID, 10)
	admin.Post(logPath+"/test", nil)
	res = add("GET /admin/letters/{id}/webhooks/{hook}", admin.Get(logPath+"?test=1"), http.StatusOK)
	mustContain("GET /admin/letters/{id}/webhooks/{hook}", res.Body, "webhook.test")
}

// TestWebhookBatchGoesOutOnceEach queues more test events than one claim
// takes to a receiver that turns away every third delivery: one drain
// posts each delivery exactly once, and the log records each outcome with
// its own answer, 200 delivered and 500 to be retried.
func TestWebhookBatchGoesOutOnceEach(t *testing.T) {
	var mu sync.Mutex
	seen := map[string]int{}
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		_, _ = io.Copy(io.Discard, req.Body)
		id := req.Header.Get("Undersigned-Delivery")
		mu.Lock()
		seen[id]++
		mu.Unlock()
		if n, _ := strconv.Atoi(id); n%3 == 0 {
			w.WriteHeader(http.StatusInternalServerError)
		}
	}))
	t.Cleanup(srv.Close)
	h := webtest.New(t, (&receiver{srv: srv}).trustedBy(t, true))
	admin := h.LoginAs("admin@campaign.example", store.RoleAdmin)
	letter, _ := h.App.Letters.BySlug(webtest.LetterSlug)
	addWebhook(t, admin, letter.ID, srv.URL+"/hook", "signature.confirmed")
	const events = 90 // more than two claims take
	for range events {
		if res := admin.Post(webhooksPath(letter.ID)+"/1/test", nil); res.Status != http.StatusSeeOther {
			t.Fatalf("test button: %d", res.Status)
		}
	}
	drainWebhooks(t, h)
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != events {
		t.Fatalf("the receiver got %d distinct deliveries; want %d", len(seen), events)
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("delivery %s was posted %d times", id, n)
		}
	}
	log, err := store.WebhookLog(h.App.Store.Read(t.Context()), 1, events)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range log {
		want, answer := store.JobSent, 200
		if d.ID%3 == 0 {
			want, answer = store.JobQueued, 500
		}
		if d.Status != want || d.ResponseStatus != answer || d.Attempts != 1 {
			t.Errorf("delivery %d: %s, answer %d, %d attempts; want %s, %d, 1", d.ID, d.Status, d.ResponseStatus, d.Attempts, want, answer)
		}
	}
}

// TestWebhooksGiveWayToSigners: with SQLite's writer busy, as on a launch,
// the webhook worker waits mail.outbox.yield_to_signing before its batch,
// as the mail outbox does, and the event stays queued; once a write finds
// the writer free again, it goes out.
func TestWebhooksGiveWayToSigners(t *testing.T) {
	rcv := startReceiver(t, 0)
	trust := rcv.trustedBy(t, true)
	h := webtest.New(t, func(c *config.Config) { trust(c); c.Mail.Outbox.YieldToSigning = 5 * time.Second })
	if h.App.Store.Driver != "sqlite" {
		t.Skip("PostgreSQL has no one writer to give way to")
	}
	admin := h.LoginAs("admin@campaign.example", store.RoleAdmin)
	letter, _ := h.App.Letters.BySlug(webtest.LetterSlug)
	addWebhook(t, admin, letter.ID, rcv.srv.URL+"/hook", "signature.confirmed")
	admin.Post(webhooksPath(letter.ID)+"/1/test", nil)
	ctx, stop := withWriterBusy(t, h)
	defer stop()
	start := time.Now()
	sent, _ := h.App.Webhooks.Drain(ctx)
	if waited := time.Since(start); sent != 0 || waited < 250*time.Millisecond || len(rcv.requests()) != 0 {
		t.Errorf("with the writer busy the worker delivered %d (the receiver got %d) after %s; want it to wait",
			sent, len(rcv.requests()), waited)
	}
	h.Sign(webtest.SignForm("calm@example.org")) // a write that finds the writer free
	drainWebhooks(t, h)
	if got := len(rcv.requests()); got != 1 {
		t.Errorf("once the rush was over the receiver got %d requests, want 1", got)
	}
}

// TestAdminRemovesAWebhook: an admin removes an endpoint from its log page;
// its queued event is never sent, the console no longer lists it, its log
// is gone, and the audit log, filtered to the letter, records who removed
// it. A moderator may not.
func TestAdminRemovesAWebhook(t *testing.T) {
	rcv := startReceiver(t, 0)
	h := webtest.New(t, rcv.trustedBy(t, true))
	admin := h.LoginAs("admin@campaign.example", store.RoleAdmin)
	letter, _ := h.App.Letters.BySlug(webtest.LetterSlug)
	endpoint := rcv.srv.URL + "/hook"
	addWebhook(t, admin, letter.ID, endpoint, "signature.confirmed")
	logPath := webhooksPath(letter.ID) + "/1"
	admin.Post(logPath+"/test", nil)
	if res := admin.Get(logPath); !strings.Contains(res.Body, `action="`+logPath+`/remove"`) {
		t.Fatalf("the log page offers no removal:\n%s", res.Body)
	}
	moderator := h.LoginAs("mod@campaign.example", store.RoleModerator)
	if res := moderator.Post(logPath+"/remove", nil); res.Status != http.StatusForbidden {
		t.Errorf("a moderator removing an endpoint: %d, want 403", res.Status)
	}
	res := admin.Post(logPath+"/remove", nil)
	if res.Status != http.StatusSeeOther || res.Header.Get("Location") != webhooksPath(letter.ID)+"?removed=1" {
		t.Fatalf("removing: %d to %q", res.Status, res.Header.Get("Location"))
	}
	list := admin.Get(webhooksPath(letter.ID) + "?removed=1")
	if flash := strings.TrimSpace(list.Doc().Find(".flash").Text()); flash == "" || strings.Contains(list.Body, endpoint) {
		t.Errorf("after removing, the list says %q and still shows the endpoint: %v", flash, strings.Contains(list.Body, endpoint))
	}
	drainWebhooks(t, h)
	if n := len(rcv.requests()); n != 0 {
		t.Errorf("the removed endpoint got %d requests", n)
	}
	if res := admin.Get(logPath); res.Status != http.StatusNotFound {
		t.Errorf("the removed endpoint's log: %d, want 404", res.Status)
	}
	if res := admin.Post(logPath+"/remove", nil); res.Status != http.StatusNotFound {
		t.Errorf("removing it again: %d, want 404", res.Status)
	}
	var events []store.AuditEvent
	err := h.App.Store.Read(t.Context()).Where("action IN ? AND letter_id = ?", []string{"webhook_add", "webhook_remove"}, letter.ID).
		Order("id").Find(&events).Error
	if err != nil || len(events) != 2 || events[1].Action != "webhook_remove" || events[1].Subject != endpoint ||
		events[1].StaffEmail != "admin@campaign.example" {
		t.Errorf("audit entries of the letter's endpoint: %+v, %v; want its adding and its removal by the admin", events, err)
	}
}

// TestWebhookLogIsPrunedAfterKeepSent keeps a delivery delivered or given up
// for mail.outbox.keep_sent after its last attempt, then deletes it, as the
// mail outbox does its sent mail; the log shows what is left.
func TestWebhookLogIsPrunedAfterKeepSent(t *testing.T) {
	rcv := startReceiver(t, 1)
	trust := rcv.trustedBy(t, true)
	h := webtest.New(t, func(c *config.Config) { trust(c); c.Mail.Outbox.MaxAttempts = 1 })
	admin := h.LoginAs("admin@campaign.example", store.RoleAdmin)
	letter, _ := h.App.Letters.BySlug(webtest.LetterSlug)
	addWebhook(t, admin, letter.ID, rcv.srv.URL+"/hook", "signature.confirmed")
	test := func() {
		if err := h.App.Webhooks.SendTest(t.Context(), letter, 1); err != nil {
			t.Fatal(err)
		}
		drainWebhooks(t, h)
	}
	test() // refused once: given up at once
	test() // delivered
	h.Clock.Advance(h.App.Config.Mail.Outbox.KeepSent - time.Hour)
	test() // delivered, recently
	if n, err := h.App.Webhooks.PruneLog(t.Context()); err != nil || n != 0 {
		t.Fatalf("prune before keep_sent has passed: %d deleted, %v; want 0", n, err)
	}
	h.Clock.Advance(2 * time.Hour)
	if n, err := h.App.Webhooks.PruneLog(t.Context()); err != nil || n != 2 {
		t.Fatalf("prune after keep_sent: %d deleted, %v; want the two old deliveries", n, err)
	}
	log, err := store.WebhookLog(h.App.Store.Read(t.Context()), 1, 10)
	if err != nil || len(log) != 1 || log[0].Status != store.JobSent || log[0].ID != 3 {
		t.Errorf("left %+v, %v; want the recent delivery", log, err)
	}
}

// TestWebhookPostsPastALeaseShorterThanTheTimeout: with
// mail.outbox.claim_lease under the 10 s timeout, no post of a claim can
// end within its lease, yet the worker posts one delivery a claim rather
// than none, and every delivery goes out once.
func TestWebhookPostsPastALeaseShorterThanTheTimeout(t *testing.T) {
	rcv := startReceiver(t, 0)
	trust := rcv.trustedBy(t, true)
	h := webtest.New(t, func(c *config.Config) { trust(c); c.Mail.Outbox.ClaimLease = 2 * time.Second })
	admin := h.LoginAs("admin@campaign.example", store.RoleAdmin)
	letter, _ := h.App.Letters.BySlug(webtest.LetterSlug)
	addWebhook(t, admin, letter.ID, rcv.srv.URL+"/hook", "signature.confirmed")
	for range 3 {
		admin.Post(webhooksPath(letter.ID)+"/1/test", nil)
	}
	ctx, stop := context.WithTimeout(t.Context(), 10*time.Second)
	defer stop()
	if sent, err := h.App.Webhooks.Drain(ctx); err != nil || sent != 3 || len(rcv.requests()) != 3 {
		t.Errorf("drained %d (%v), the receiver got %d; want 3 and 3", sent, err, len(rcv.requests()))
	}
}
