package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/undersigned/undersigned/pkg/config"
	"github.com/undersigned/undersigned/pkg/store"
	"github.com/undersigned/undersigned/pkg/web/webtest"
)

func TestHealthz(t *testing.T) {
	h := webtest.New(t)
	res := h.Get("/healthz")
	if res.Status != http.StatusOK || !strings.Contains(res.Body, `"ok"`) {
		t.Errorf("healthz = %d %s", res.Status, res.Body)
	}
	if err := h.App.Store.Close(); err != nil {
		t.Fatal(err)
	}
	if res := h.Get("/healthz"); res.Status != http.StatusServiceUnavailable {
		t.Errorf("healthz with the database closed = %d, want 503", res.Status)
	}
}

func TestAPIErrorsAreJSONWithStableCodes(t *testing.T) {
	h := webtest.New(t)
	base := "/api/v1/letters/" + webtest.LetterSlug
	tests := []struct {
		path   string
		status int
		code   string
	}{
		{"/api/v1/letters/nope", http.StatusNotFound, "not_found"},
		{"/api/v1/letters/nope/signatories", http.StatusNotFound, "not_found"},
		{base + "/signatories?country=XX", http.StatusBadRequest, "invalid_country"},
		{base + "/signatories?country=gb", http.StatusBadRequest, "invalid_country"},
		{base + "/signatories?kind=robot", http.StatusBadRequest, "invalid_kind"},
		{base + "/signatories?page=0", http.StatusBadRequest, "invalid_page"},
		{base + "/signatories?page=two", http.StatusBadRequest, "invalid_page"},
		{base + "/signatories?q=" + strings.Repeat("x", 101), http.StatusBadRequest, "invalid_query"},
		{"/api/v1/nothing-here", http.StatusNotFound, "not_found"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			res := h.Get(tt.path)
			var body struct {
				Error struct{ Code, Message string } `json:"error"`
			}
			if err := json.Unmarshal([]byte(res.Body), &body); err != nil {
				t.Fatalf("not JSON: %v\n%s", err, res.Body)
			}
			if res.Status != tt.status || body.Error.Code != tt.code || body.Error.Message == "" {
				t.Errorf("= %d %+v, want %d %s with a message", res.Status, body.Error, tt.status, tt.code)
			}
		})
	}
}

func TestSignatoriesFilterAndPaginate(t *testing.T) {
	h := webtest.New(t, func(c *config.Config) { c.Letters[0].Review = nil })
	for i := range 103 {
		form := webtest.SignForm(fmt.Sprintf("person%03d@example.org", i))
		form.Set("name", fmt.Sprintf("Person %03d", i))
		if i%2 == 0 {
			form.Set("country", "DE")
		}
		if i == 7 {
			form.Set("affiliation", "Chaos Research 100%")
		}
		h.Sign(form)
	}
	h.DrainOutbox()
	for _, m := range h.SMTP.Messages() {
		if res := h.PostForm(webtest.ConfirmLink(t, h.URL, m), nil); res.Status != http.StatusOK {
			t.Fatalf("confirm: %d", res.Status)
		}
	}
	base := "/api/v1/letters/" + webtest.LetterSlug + "/signatories"
	first := getJSON[signatoriesJSON](t, h, base)
	if len(first.Signatories) != 100 || first.NextPage == nil || *first.NextPage != 2 {
		t.Fatalf("page 1: %d signatories, next %v", len(first.Signatories), first.NextPage)
	}
	second := getJSON[signatoriesJSON](t, h, base+"?page=2")
	if len(second.Signatories) != 3 || second.NextPage != nil || second.Signatories[2].Name != "Person 102" {
		t.Fatalf("page 2: %+v", second)
	}
	if de := getJSON[signatoriesJSON](t, h, base+"?country=DE"); len(de.Signatories) != 52 {
		t.Errorf("DE: %d, want 52", len(de.Signatories))
	}
	search := getJSON[signatoriesJSON](t, h, base+"?q=chaos+research+100%25")
	if len(search.Signatories) != 1 || search.Signatories[0].Name != "Person 007" {
		t.Errorf("search by affiliation: %+v", search.Signatories)
	}
	if none := getJSON[signatoriesJSON](t, h, base+"?q=%25%25%25"); len(none.Signatories) != 0 {
		t.Errorf("a search of %% wildcards matched %d", len(none.Signatories))
	}
	if orgs := getJSON[signatoriesJSON](t, h, base+"?kind=organisation"); len(orgs.Signatories) != 0 {
		t.Errorf("kind=organisation: %d", len(orgs.Signatories))
	}
	letter := getJSON[letterJSON](t, h, "/api/v1/letters/"+webtest.LetterSlug)
	if letter.Total != 103 || letter.Countries[0].Code != "DE" || letter.Countries[0].Total != 52 {
		t.Errorf("letter: total %d, first country %+v", letter.Total, letter.Countries[0])
	}
}

func TestFailedSendStaysQueuedAndIsRetried(t *testing.T) {
	h := webtest.New(t)
	h.SMTP.RefuseNext(1)
	h.Sign(webtest.SignForm("ada@example.org"))
	if sent := h.DrainOutbox(); sent != 0 {
		t.Fatalf("sent %d while the relay refuses", sent)
	}
	var job struct {
		Status    string
		Attempts  int
		LastError string
	}
	if err := h.App.Store.Read(t.Context()).Table("mail_jobs").Select("status, attempts, last_error").Take(&job).Error; err != nil {
		t.Fatal(err)
	}
	if job.Status != "queued" || job.Attempts != 1 || !strings.Contains(job.LastError, "451") {
		t.Fatalf("job after a refusal = %+v", job)
	}
	if sent := h.DrainOutbox(); sent != 0 {
		t.Errorf("retried before its backoff: sent %d", sent)
	}
	h.Clock.Advance(h.App.Config.Mail.Outbox.RetryMin)
	if sent := h.DrainOutbox(); sent != 1 {
		t.Fatalf("after the backoff sent %d, want 1", sent)
	}
	if msgs := h.SMTP.Messages(); len(msgs) != 1 || !strings.HasPrefix(msgs[0].Subject, "Confirm") {
		t.Errorf("delivered %d mails", len(msgs))
	}
}

func TestResendForm(t *testing.T) {
	h := webtest.New(t)
	path := "/letters/" + webtest.LetterSlug + "/resend"
	bad := h.PostForm(path, map[string][]string{"email": {"nope"}})
	if bad.Status != http.StatusUnprocessableEntity || !strings.Contains(bad.Doc().Find("#f-email-error").Text(), "right format") {
		t.Errorf("bad address: %d", bad.Status)
	}
	if v, _ := bad.Doc().Find("#f-email").Attr("value"); v != "nope" {
		t.Errorf("typed address came back as %q", v)
	}
	unknown := h.PostForm(path, map[string][]string{"email": {"stranger@example.org"}})
	if unknown.Status != http.StatusSeeOther || h.DrainOutbox() != 0 {
		t.Errorf("unknown address: %d, or a mail was sent", unknown.Status)
	}
	h.Sign(webtest.SignForm("ada@example.org"))
	h.DrainOutbox()
	if res := h.PostForm(path, map[string][]string{"email": {"ada@example.org"}}); res.Status != http.StatusSeeOther || h.DrainOutbox() != 0 {
		t.Errorf("within the cooldown: %d, or a mail was sent", res.Status)
	}
	h.Clock.Advance(6 * time.Minute)
	known := h.PostForm(path, map[string][]string{"email": {" ada@example.org "}})
	if known.Status != unknown.Status || known.Header.Get("Location") != unknown.Header.Get("Location") {
		t.Errorf("known and unknown addresses answer differently: %d vs %d", known.Status, unknown.Status)
	}
	if h.DrainOutbox() != 1 {
		t.Error("no new link sent to a known, unconfirmed address")
	}
}

func TestRefusedRecipientFailsForGoodWithoutStoringTheAddress(t *testing.T) {
	h := webtest.New(t)
	h.SMTP.RefuseRecipient("nobody@example.org")
	h.Sign(webtest.SignForm("nobody@example.org"))
	if sent := h.DrainOutbox(); sent != 0 {
		t.Fatalf("sent %d", sent)
	}
	var job store.MailJob
	if err := h.App.Store.Read(t.Context()).Take(&job).Error; err != nil {
		t.Fatal(err)
	}
	if job.Status != store.JobFailed || !strings.Contains(job.LastError, "550") {
		t.Errorf("job = %s %q, want failed with the 550", job.Status, job.LastError)
	}
	if strings.Contains(job.LastError, "nobody") {
		t.Errorf("the address is in last_error: %q", job.LastError)
	}
	h.Clock.Advance(24 * time.Hour)
	if sent := h.DrainOutbox(); sent != 0 {
		t.Error("a permanent failure was retried")
	}
}

func TestBurstOfMailUsesOneConnection(t *testing.T) {
	h := webtest.New(t)
	for i := range 5 {
		h.Sign(webtest.SignForm(fmt.Sprintf("p%d@example.org", i)))
	}
	if sent := h.DrainOutbox(); sent != 5 {
		t.Fatalf("sent %d", sent)
	}
	if n := h.SMTP.Connections(); n != 1 {
		t.Errorf("%d SMTP connections for 5 mails, want 1", n)
	}
}

// TestOutboxStopsBetweenJobsAndReleasesTheRest stops the worker while the
// relay holds the second mail of a batch: the first is recorded sent, and
// the mails it never attempted are due again at once, not after the lease.
func TestOutboxStopsBetweenJobsAndReleasesTheRest(t *testing.T) {
	h := webtest.New(t)
	for i := range 4 {
		h.Sign(webtest.SignForm(fmt.Sprintf("p%d@example.org", i)))
	}
	release := h.SMTP.HoldAfter(1)
	ctx, stop := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		_, err := h.App.Outbox.Drain(ctx)
		done <- err
	}()
	h.SMTP.WaitFor(t, 1, 10*time.Second)
	stop() // while the second mail is held by the relay
	release()
	if err := <-done; err != nil {
		t.Fatalf("drain: %v", err)
	}
	var jobs []store.MailJob
	if err := h.App.Store.Read(t.Context()).Order("id").Find(&jobs).Error; err != nil {
		t.Fatal(err)
	}
	if len(jobs) != 4 || jobs[0].Status != store.JobSent {
		t.Fatalf("jobs after the stop: %+v, want 4 with the first sent", jobs)
	}
	for _, job := range jobs[2:] {
		if job.Status != store.JobQueued || job.Attempts != 0 || job.NextAttemptAt.After(h.Clock.Now()) {
			t.Errorf("job %d never attempted: %s, %d attempts, due %s; want queued, 0, due now (%s)",
				job.ID, job.Status, job.Attempts, job.NextAttemptAt, h.Clock.Now())
		}
	}
}

// TestSentMailRecordsArePrunedAfterKeepSent keeps a sent mail's record for
// mail.outbox.keep_sent, then deletes it, and never a failed one.
func TestSentMailRecordsArePrunedAfterKeepSent(t *testing.T) {
	h := webtest.New(t, func(c *config.Config) { c.Mail.Outbox.MaxAttempts = 1 })
	h.Sign(webtest.SignForm("old@example.org"))
	h.DrainOutbox()
	h.SMTP.RefuseNext(1)
	h.Sign(webtest.SignForm("refused@example.org"))
	h.DrainOutbox()
	h.Clock.Advance(h.App.Config.Mail.Outbox.KeepSent - time.Hour)
	h.Sign(webtest.SignForm("recent@example.org"))
	h.DrainOutbox()

	count := func(status store.JobStatus) int64 {
		var n int64
		if err := h.App.Store.Read(t.Context()).Model(&store.MailJob{}).Where("status = ?", status).Count(&n).Error; err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n, err := h.App.Outbox.PruneSent(t.Context()); err != nil || n != 0 {
		t.Fatalf("prune before keep_sent has passed: %d deleted, %v; want 0", n, err)
	}
	h.Clock.Advance(2 * time.Hour)
	if n, err := h.App.Outbox.PruneSent(t.Context()); err != nil || n != 1 {
		t.Fatalf("prune after keep_sent: %d deleted, %v; want the one old record", n, err)
	}
	if sent, failed := count(store.JobSent), count(store.JobFailed); sent != 1 || failed != 1 {
		t.Errorf("left %d sent (want the recent one) and %d failed (want it kept for staff)", sent, failed)
	}
}

func TestMailGivesUpAfterMaxAttempts(t *testing.T) {
	h := webtest.New(t, func(c *config.Config) { c.Mail.Outbox.MaxAttempts = 3 })
	h.SMTP.RefuseNext(100)
	h.Sign(webtest.SignForm("ada@example.org"))
	for range 5 {
		h.DrainOutbox()
		h.Clock.Advance(2 * time.Hour)
	}
	var job store.MailJob
	h.App.Store.Read(t.Context()).Take(&job)
	if job.Status != store.JobFailed || job.Attempts != 3 {
		t.Errorf("job after 3 refusals: %s with %d attempts", job.Status, job.Attempts)
	}
}

func TestStaffSeeFailedMailAndAdminsRequeueIt(t *testing.T) {
	h := webtest.New(t, func(c *config.Config) { c.Mail.Outbox.MaxAttempts = 1 })
	h.SMTP.RefuseNext(1)
	h.Sign(webtest.SignForm("ada@example.org"))
	h.DrainOutbox()
	mod := h.LoginAs("mod@campaign.example", store.RoleModerator)
	page := mod.Get("/admin/mail")
	checkPageBasics(t, "/admin/mail", page)
	if failed := page.Doc().Find("dl.details dd").Eq(1).Text(); failed != "1" {
		t.Errorf("failed mail shown as %q, want 1", failed)
	}
	if !strings.Contains(page.Body, "451") {
		t.Error("the relay's answer is not shown")
	}
	if res := mod.Post("/admin/mail/requeue", nil); res.Status != http.StatusForbidden {
		t.Errorf("moderator requeue: %d, want 403", res.Status)
	}
	admin := h.LoginAs("admin@campaign.example", store.RoleAdmin)
	if res := admin.Post("/admin/mail/requeue", nil); res.Status != http.StatusSeeOther {
		t.Fatalf("admin requeue: %d", res.Status)
	}
	if sent := h.DrainOutbox(); sent != 1 {
		t.Errorf("after requeue sent %d", sent)
	}
	if len(auditEvents(t, h, "mail_requeue")) != 1 {
		t.Error("requeue not audited")
	}
}

// TestConcurrentWorkersNeverSendAJobTwice drains the outbox from two
// goroutines at once (as two servers sharing a database would): every job
// is claimed by one of them only.
func TestConcurrentWorkersNeverSendAJobTwice(t *testing.T) {
	h := webtest.New(t)
	const n = 40
	for i := range n {
		h.Sign(webtest.SignForm(fmt.Sprintf("p%d@example.org", i)))
	}
	var wg sync.WaitGroup
	sent := make([]int, 2)
	for w := range 2 {
		wg.Go(func() {
			k, err := h.App.Outbox.Drain(t.Context())
			if err != nil {
				t.Error(err)
			}
			sent[w] = k
		})
	}
	wg.Wait()
	if msgs := len(h.SMTP.Messages()); msgs != n || sent[0]+sent[1] != n {
		t.Errorf("%d mails delivered (%d + %d), want each of %d once", msgs, sent[0], sent[1], n)
	}
}

// TestOutboxDropsMailThatNoLongerApplies drains an outbox that held mail
// for a signature deleted since (its job goes with it) and a confirmation
// link for a signature already published (dropped when its batch is loaded):
// neither is sent or retried, and the rest of the batch goes out.
func TestOutboxDropsMailThatNoLongerApplies(t *testing.T) {
	h := webtest.New(t)
	for _, e := range []string{"kept@example.org", "gone@example.org", "confirmed@example.org"} {
		h.Sign(webtest.SignForm(e))
	}
	var ids []uint64
	if err := h.App.Store.Read(t.Context()).Model(&store.Signature{}).Order("id").Pluck("id", &ids).Error; err != nil || len(ids) != 3 {
		t.Fatalf("signatures %v, %v", ids, err)
	}
	err := h.App.Store.Write(t.Context(), func(tx *gorm.DB) error {
		if err := tx.Exec("DELETE FROM signatures WHERE id = ?", ids[1]).Error; err != nil {
			return err
		}
		return tx.Model(&store.Signature{}).Where("id = ?", ids[2]).Update("status", store.StatusPublished).Error
	})
	if err != nil {
		t.Fatal(err)
	}
	if sent := h.DrainOutbox(); sent != 1 {
		t.Errorf("sent %d, want 1", sent)
	}
	var to []string
	for _, m := range h.SMTP.Messages() {
		to = append(to, m.To...)
	}
	if fmt.Sprint(to) != "[kept@example.org]" {
		t.Errorf("delivered to %v, want only kept@example.org", to)
	}
	var left []store.MailJob
	if err := h.App.Store.Read(t.Context()).Where("status <> ?", store.JobSent).Find(&left).Error; err != nil || len(left) != 0 {
		t.Errorf("jobs left unsent: %+v, %v; want the two dropped", left, err)
	}
}

// TestOutboxGivesWayToSigners makes SQLite's writer busy, as a launch does,
// with a group commit of many writes: the outbox then waits
// mail.outbox.yield_to_signing before its batch, and the mail stays queued;
// once a write finds the writer free again, it goes out.
func TestOutboxGivesWayToSigners(t *testing.T) {
	h := webtest.New(t, func(c *config.Config) { c.Mail.Outbox.YieldToSigning = 5 * time.Second })
	if h.App.Store.Driver != "sqlite" {
		t.Skip("PostgreSQL has no one writer to give way to")
	}
	h.Sign(webtest.SignForm("rush@example.org"))
	ctx, stop := withWriterBusy(t, h)
	defer stop()
	start := time.Now()
	sent, _ := h.App.Outbox.Drain(ctx)
	if waited := time.Since(start); sent != 0 || waited < 250*time.Millisecond {
		t.Errorf("with the writer busy the outbox sent %d mails after %s; want it to wait", sent, waited)
	}
	if got := len(h.SMTP.Messages()); got != 0 {
		t.Fatalf("%d mails delivered while signers queued", got)
	}
	h.Sign(webtest.SignForm("calm@example.org")) // a write that finds the writer free
	if sent := h.DrainOutbox(); sent != 2 {
		t.Errorf("once the rush was over the outbox sent %d mails, want 2", sent)
	}
}

// withWriterBusy makes SQLite's writer look busy, as a launch does, with
// group commits of many writes, and returns a context that ends 300 ms on,
// for a worker that should wait longer than that.
func withWriterBusy(t *testing.T, h *webtest.Harness) (context.Context, context.CancelFunc) {
	t.Helper()
	for attempt := 0; !h.App.Store.Busy(); attempt++ {
		if attempt == 20 {
			t.Fatal("the writer never looked busy")
		}
		queueWrites(t, h.App.Store, 200)
	}
	return context.WithTimeout(t.Context(), 300*time.Millisecond)
}

// queueWrites starts n empty writes at once, behind one that holds the
// writer until all have started, so that they reach it together.
func queueWrites(t *testing.T, st *store.Store, n int) {
	t.Helper()
	holding, hold := make(chan struct{}), make(chan struct{})
	var started, wg sync.WaitGroup
	started.Add(n)
	wg.Go(func() {
		_ = st.Write(t.Context(), func(*gorm.DB) error { close(holding); <-hold; return nil })
	})
	<-holding
	for range n {
		wg.Go(func() {
			started.Done()
			if err := st.Write(t.Context(), func(*gorm.DB) error { return nil }); err != nil {
				t.Error(err)
			}
		})
	}
	started.Wait()
	close(hold)
	wg.Wait()
}
