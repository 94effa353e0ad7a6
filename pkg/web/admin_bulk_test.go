package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"gorm.io/gorm"

	"github.com/undersigned/undersigned/pkg/config"
	"github.com/undersigned/undersigned/pkg/moderation"
	"github.com/undersigned/undersigned/pkg/store"
	"github.com/undersigned/undersigned/pkg/web/webtest"
)

// otherLetter is a second letter, whose signatures a filter on the first
// must leave alone.
const otherLetter = "other-letter"

func withOtherLetter(c *config.Config) {
	c.Letters = append(c.Letters, config.Letter{Slug: otherLetter, Title: "Another letter", Body: "Another.", Lang: "en",
		Review: []string{"organisation"}})
}

// TestSelectAllMatchingApprovesEveryPageWhileSigningGoesOn approves every
// pending signature of one letter (3,000, sixty pages of the queue) after a
// preview that counts them, while signers go on signing through the public
// form. The job leaves alone what the preview did not count: another
// letter's signatures, one confirmed after the preview, those signed during
// the job; it counts as left as they were those decided meanwhile; and it is
// audited once with its filter besides each signature's own entry.
func TestSelectAllMatchingApprovesEveryPageWhileSigningGoesOn(t *testing.T) {
	h := webtest.New(t, withOtherLetter)
	admin := h.LoginAs("admin@campaign.example", store.RoleAdmin)
	lateLink := mailedConfirmLink(t, h, orgForm("Late Confirmer", "https://late.example", "kim@late.example", "DE"))
	renameLink := publishedManageLink(t, h, admin, orgForm("Renamed Later", "https://renamed.example", "kim@renamed.example", "DE"))
	ids := h.SeedPending(3020, "DE")
	moveToLetter(t, h, ids[3000:], otherLetter) // they match every other term of the filter
	filter := url.Values{"letter": {webtest.LetterSlug}, "status": {"pending_review"}, "kind": {"organisation"}, "country": {"DE"}}

	queue := admin.Get("/admin?" + filter.Encode())
	if button := queue.Doc().Find(`button[formaction="/admin/decisions/preview"]`).Text(); button != "Apply to all 3,000 matching this filter…" {
		t.Errorf("queue's button: %q", button)
	}
	form := url.Values{"action": {"approve"}}
	for k, v := range filter {
		form[k] = v
	}
	preview := admin.Post("/admin/decisions/preview", form)
	if preview.Status != http.StatusOK || !strings.Contains(preview.Body, "3,000 signatures match this filter") ||
		preview.Doc().Find(`form[action="/admin/decisions"] button`).Text() != "Approve: all 3,000 signatures" {
		t.Fatalf("preview: %d %s", preview.Status, preview.Doc().Find("main").Text())
	}
	if terms := preview.Doc().Find("dl.details").Text(); !strings.Contains(terms, "Keep encryption strong") || !strings.Contains(terms, "Germany") {
		t.Errorf("the preview does not put the filter in words: %q", terms)
	}
	confirm := previewed(preview)

	// After the preview: one signature is confirmed into the queue, a
	// published one is corrected by its signer and so comes back to review,
	// and two are decided one by one by another moderator.
	h.Clock.Advance(time.Minute)
	if res := h.PostForm(lateLink, nil); res.Status != http.StatusOK {
		t.Fatalf("late confirmation: %d", res.Status)
	}
	correction := url.Values{"name": {"Renamed Later Still"}, "website": {"https://renamed.example"}, "org_type": {"ngo"}, "country": {"DE"}}
	if res := h.PostForm(renameLink, correction); res.Status != http.StatusSeeOther {
		t.Fatalf("correction: %d", res.Status)
	}
	mod := h.LoginAs("mod@campaign.example", store.RoleModerator)
	if res := decide(t, mod, "reject", ids[:2], "reason", "duplicate"); res.Status != http.StatusSeeOther {
		t.Fatalf("reject two meanwhile: %d", res.Status)
	}

	signers := signWhileRunning(h, 20)
	started := time.Now()
	res := admin.Post("/admin/decisions", confirm)
	if res.Status != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/admin/decisions/") {
		t.Fatalf("confirm: %d %s", res.Status, res.Header.Get("Location"))
	}
	signers.follow(h, strings.TrimPrefix(res.Header.Get("Location"), "/admin/decisions/"))
	h.App.Moderator.WaitJobs()
	took := time.Since(started)
	signed, during := signers.wait()
	t.Logf("the job took %s; %d signed beside it, %d of them taken while it ran", took.Round(time.Millisecond), len(signed), during)
	if len(signers.errs) > 0 || during == 0 {
		t.Errorf("signing beside the job: %d answered while it ran, errors %v", during, signers.errs)
	}

	page := admin.Get(res.Header.Get("Location"))
	if msg := page.Doc().Find(`main [role="status"]`).Text(); msg != "Finished. Signatures changed: 2998. Left as they were, as they had changed meanwhile: 2." {
		t.Errorf("progress page at the end: %q", msg)
	}
	if got := totals(t, h); got.Total != 2998 {
		t.Errorf("published: %d, want 2998", got.Total)
	}
	for _, name := range []string{"Late Confirmer", "Renamed Later Still"} {
		if n := countWhere(t, h, "name = ? AND status = ?", name, store.StatusPendingReview); n != 1 {
			t.Errorf("%s came into the queue after the preview, and was decided too", name)
		}
	}
	if n := countWhere(t, h, "letter_id <> (SELECT id FROM letters WHERE slug = ?) AND status = ?", webtest.LetterSlug, store.StatusPendingReview); n != 20 {
		t.Errorf("the other letter has %d left awaiting review, want its 20", n)
	}
	if n := countWhere(t, h, "id IN ? AND status = ?", ids[:2], store.StatusRejected); n != 2 {
		t.Errorf("the bulk approval overrode %d decisions made meanwhile", 2-n)
	}
	checkBulkAudited(t, h, admin)
	if n := countMail(t, h, store.MailPublished); n != 2998+1 {
		t.Errorf("%d published mails queued, want 2998 and the one approved by hand", n)
	}
	confirmAll(t, h, signed)
	if n := countWhere(t, h, "name LIKE ? AND status = ?", "Signed During The Job%", store.StatusPendingReview); n != int64(len(signed)) {
		t.Errorf("signed during the job: %d of %d confirmed and awaiting review", n, len(signed))
	}
}

// publishedManageLink signs with form, confirms, has staff approve the
// signature, and returns the manage link mailed to the signer.
func publishedManageLink(t *testing.T, h *webtest.Harness, staff *webtest.Browser, form url.Values) string {
	t.Helper()
	signAndConfirm(t, h, form)
	if res := decide(t, staff, "approve", []uint64{signatureByName(t, h, form.Get("name")).ID}); res.Status != http.StatusSeeOther {
		t.Fatalf("approve %s: %d", form.Get("name"), res.Status)
	}
	for _, m := range h.SMTP.Messages() {
		if m.To[0] == form.Get("email") {
			return manageLink(t, h, m)
		}
	}
	t.Fatalf("no mail to %s", form.Get("email"))
	return ""
}

func moveToLetter(t *testing.T, h *webtest.Harness, ids []uint64, slug string) {
	t.Helper()
	letter, _ := h.App.Letters.BySlug(slug)
	err := h.App.Store.Write(t.Context(), func(tx *gorm.DB) error {
		return tx.Model(&store.Signature{}).Where("id IN ?", ids).Update("letter_id", letter.ID).Error
	})
	if err != nil {
		t.Fatal(err)
	}
}

func countWhere(t *testing.T, h *webtest.Harness, query string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := h.App.Store.Read(t.Context()).Model(&store.Signature{}).Where(query, args...).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

func countMail(t *testing.T, h *webtest.Harness, kind store.MailKind) int64 {
	t.Helper()
	var n int64
	if err := h.App.Store.Read(t.Context()).Model(&store.MailJob{}).Where("kind = ?", kind).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

// checkBulkAudited checks that the bulk approval is one entry of the audit
// log, with its filter and counts, besides each signature's own entry.
func checkBulkAudited(t *testing.T, h *webtest.Harness, admin *webtest.Browser) {
	t.Helper()
	bulk := auditEvents(t, h, moderation.ActionBulkDecision)
	want := `approve by filter (status pending_review, letter test-letter, kind organisation, country DE): 3000 matched, 2998 changed, 2 left as they were`
	if len(bulk) != 1 || bulk[0].Subject != want || bulk[0].StaffEmail != "admin@campaign.example" || bulk[0].LetterID == nil {
		t.Fatalf("bulk audit entries: %+v", bulk)
	}
	if n := len(auditEvents(t, h, "approve")); n != 2998+1 {
		t.Errorf("%d approvals in the audit log, want one per signature and the one approved by hand", n)
	}
	log := admin.Get("/admin/audit?action=" + moderation.ActionBulkDecision)
	if rows := log.Doc().Find("table tbody tr"); rows.Length() != 1 || !strings.Contains(rows.Text(), "Decided in bulk by filter") {
		t.Errorf("audit log filtered by the bulk action: %q", rows.Text())
	}
}

// signers sign organisations through the public form from a goroutine until
// told to stop, having signed at least a minimum.
type signers struct {
	stop   chan struct{}
	wg     sync.WaitGroup
	emails []string
	errs   []string
	mu     sync.Mutex
	job    func() (moderation.Job, bool)
	during int // signatures taken while the job was running
}

// follow tells the signers which job they sign beside.
func (s *signers) follow(h *webtest.Harness, id string) {
	n, _ := strconv.Atoi(id)
	s.mu.Lock()
	s.job = func() (moderation.Job, bool) { return h.App.Moderator.JobStatus(n) }
	s.mu.Unlock()
}

// running reports whether the job followed has started changing
// signatures and not finished.
func (s *signers) running() bool {
	s.mu.Lock()
	job := s.job
	s.mu.Unlock()
	if job == nil {
		return false
	}
	j, ok := job()
	return ok && !j.Finished
}

// signWhileRunning starts signing at once and goes on until wait.
func signWhileRunning(h *webtest.Harness, least int) *signers {
	s := &signers{stop: make(chan struct{})}
	s.wg.Go(func() {
		for i := 0; ; i++ {
			select {
			case <-s.stop:
				if i >= least {
					return
				}
			default:
			}
			email := fmt.Sprintf("during%d@during%d.example", i, i)
			form := orgForm(fmt.Sprintf("Signed During The Job %d", i), fmt.Sprintf("https://during%d.example", i), email, "DE")
			res, err := h.Client.PostForm(h.URL+"/letters/"+webtest.LetterSlug+"/sign", form)
			if err != nil {
				s.errs = append(s.errs, err.Error())
				continue
			}
			res.Body.Close()
			if res.StatusCode != http.StatusSeeOther {
				s.errs = append(s.errs, fmt.Sprintf("%s: %d", email, res.StatusCode))
				continue
			}
			s.emails = append(s.emails, email)
			if s.running() {
				s.during++
			}
		}
	})
	return s
}

// wait stops the signers once the job they sign beside has finished, and
// returns the addresses whose signatures were taken and how many of them
// were taken while it ran.
func (s *signers) wait() ([]string, int) {
	close(s.stop)
	s.wg.Wait()
	return s.emails, s.during
}

// confirmAll confirms each address's signature through the link mailed to it.
func confirmAll(t *testing.T, h *webtest.Harness, emails []string) {
	t.Helper()
	h.DrainOutbox()
	links := map[string]string{}
	for _, m := range h.SMTP.Messages() {
		if strings.Contains(m.Text, h.URL+"/confirm/") {
			links[m.To[0]] = webtest.ConfirmLink(t, h.URL, m)
		}
	}
	for _, email := range emails {
		if res := h.PostForm(links[email], nil); links[email] == "" || res.Status != http.StatusOK {
			t.Errorf("confirm %s: no link or not confirmed", email)
		}
	}
}

// TestApproveAndOpenTheNextFollowsTheQueue goes through a filtered queue from
// its first signature with "… and open the next": each decision opens the
// next signature of the same filter, and the last leads back to the queue
// with a notice.
func TestApproveAndOpenTheNextFollowsTheQueue(t *testing.T) {
	h := webtest.New(t)
	ids := h.SeedPending(4, "DE")
	err := h.App.Store.Write(t.Context(), func(tx *gorm.DB) error {
		return tx.Model(&store.Signature{}).Where("id = ?", ids[1]).Update("country", "FR").Error
	})
	if err != nil {
		t.Fatal(err)
	}
	mod := h.LoginAs("mod@campaign.example", store.RoleModerator)
	open, _ := mod.Get("/admin?country=DE").Doc().Find(`table.queue tbody a[href^="/admin/signatures/"]`).First().Attr("href")
	if open != fmt.Sprintf("/admin/signatures/%d?country=DE", ids[3]) {
		t.Fatalf("the queue's first link: %q", open)
	}
	steps := []struct {
		button string
		extra  url.Values
		want   string
	}{
		{"Approve and open the next", nil, fmt.Sprintf("/admin/signatures/%d?changed=1&country=DE&skipped=0", ids[2])},
		{"Reject and open the next", url.Values{"reason": {"duplicate"}}, fmt.Sprintf("/admin/signatures/%d?changed=1&country=DE&skipped=0", ids[0])},
		{"Approve and open the next", nil, "/admin?country=DE&queue_done=1"},
	}
	for _, step := range steps {
		res := pressButton(t, mod, open, step.button, step.extra)
		if res.Status != http.StatusSeeOther || res.Header.Get("Location") != step.want {
			t.Fatalf("%s on %s: %d to %q, want %q", step.button, open, res.Status, res.Header.Get("Location"), step.want)
		}
		open = step.want
	}
	if flash := mod.Get(open).Doc().Find(".flash").Text(); flash != "Done. No signature is left after it in this queue." {
		t.Errorf("queue's notice at the end: %q", flash)
	}
	want := map[uint64]store.Status{ids[3]: store.StatusPublished, ids[2]: store.StatusRejected, ids[0]: store.StatusPublished, ids[1]: store.StatusPendingReview}
	for id, status := range want {
		if n := countWhere(t, h, "id = ? AND status = ?", id, status); n != 1 {
			t.Errorf("signature %d is not %s", id, status)
		}
	}
}

// pressButton posts the form of the page at path that holds the button
// labelled label, as a browser would: its fields, the button's own name and
// value, and extra.
func pressButton(t *testing.T, b *webtest.Browser, path, label string, extra url.Values) *webtest.Response {
	t.Helper()
	page := b.Get(path)
	button := page.Doc().Find("form button").FilterFunction(func(_ int, s *goquery.Selection) bool {
		return strings.TrimSpace(s.Text()) == label
	})
	if button.Length() != 1 {
		t.Fatalf("%s: %d buttons labelled %q", path, button.Length(), label)
	}
	form := button.Closest("form")
	values := url.Values{}
	form.Find("input[type=hidden], select").Each(func(_ int, s *goquery.Selection) {
		if s.Is("select") {
			values.Set(s.AttrOr("name", ""), s.Find("option").First().AttrOr("value", ""))
			return
		}
		values.Add(s.AttrOr("name", ""), s.AttrOr("value", ""))
	})
	values.Set(button.AttrOr("name", ""), button.AttrOr("value", ""))
	for k, v := range extra {
		values[k] = v
	}
	return b.Post(form.AttrOr("action", ""), values)
}

// previewed is the confirmation form of a bulk decision's preview, as the
// preview filled it in.
func previewed(preview *webtest.Response) url.Values {
	confirm := url.Values{}
	preview.Doc().Find(`form[action="/admin/decisions"] input[type="hidden"]`).Each(func(_ int, s *goquery.Selection) {
		confirm.Set(s.AttrOr("name", ""), s.AttrOr("value", ""))
	})
	return confirm
}

// TestBulkDecisionRefusesBadInput: a rejection without a known reason is
// answered 422 with the reason and a way back to the queue, before anything
// is counted; a filter matching nothing offers nothing to confirm; a
// confirmation that lost what the preview counted is refused.
func TestBulkDecisionRefusesBadInput(t *testing.T) {
	h := webtest.New(t)
	h.SeedPending(3, "DE")
	mod := h.LoginAs("mod@campaign.example", store.RoleModerator)
	res := mod.Post("/admin/decisions/preview", url.Values{"action": {"reject"}, "reason": {"no-such-reason"}, "country": {"DE"}})
	if res.Status != http.StatusUnprocessableEntity || !strings.Contains(res.Body, "Choose a reason") ||
		res.Doc().Find(`a[href="/admin?country=DE"]`).Length() != 1 {
		t.Errorf("unknown reason: %d %q", res.Status, res.Doc().Find("main").Text())
	}
	if res := mod.Post("/admin/decisions/preview", url.Values{"action": {"delete"}}); res.Status != http.StatusBadRequest {
		t.Errorf("unknown action: %d", res.Status)
	}
	if res := mod.Post("/admin/decisions/preview", url.Values{"action": {"approve"}, "status": {"unconfirmed"}}); res.Status != http.StatusBadRequest {
		t.Errorf("a status the queue does not offer: %d", res.Status)
	}
	none := mod.Post("/admin/decisions/preview", url.Values{"action": {"approve"}, "country": {"FR"}})
	if none.Status != http.StatusOK || !strings.Contains(none.Body, "No signature matches this filter.") ||
		none.Doc().Find(`form[action="/admin/decisions"]`).Length() != 0 {
		t.Errorf("a filter matching nothing: %d %q", none.Status, none.Doc().Find("main").Text())
	}
	confirm := previewed(mod.Post("/admin/decisions/preview", url.Values{"action": {"approve"}}))
	confirm.Del("as_of")
	if res := mod.Post("/admin/decisions", confirm); res.Status != http.StatusBadRequest {
		t.Errorf("a confirmation without the preview's time: %d", res.Status)
	}
	if n := countWhere(t, h, "status = ?", store.StatusPendingReview); n != 3 {
		t.Errorf("%d left awaiting review, want all 3", n)
	}
}

// TestBulkDecisionCommitsAChunkAtATime: 1,000 approvals by filter are
// committed in transactions of at most 100, each reported as it commits, so
// that signers are served between them.
func TestBulkDecisionCommitsAChunkAtATime(t *testing.T) {
	h := webtest.New(t)
	h.SeedPending(1000, "DE")
	admin := h.AddStaff("admin@campaign.example", store.RoleAdmin)
	sel, err := h.App.Moderator.PreviewSelection(t.Context(), moderation.Filter{})
	if err != nil || sel.Count != 1000 {
		t.Fatalf("preview: %d (%v)", sel.Count, err)
	}
	var progress []int
	var took []time.Duration
	last := time.Now()
	res, err := h.App.Moderator.ApplyToSelection(t.Context(), admin, sel, moderation.Decision{Action: moderation.ActionApprove},
		func(done int) {
			progress = append(progress, done)
			took = append(took, time.Since(last).Round(time.Millisecond))
			last = time.Now()
		})
	if err != nil || res.Changed != 1000 {
		t.Fatalf("approved %d (%v), want 1000", res.Changed, err)
	}
	t.Logf("each chunk took %v", took)
	prev := 0
	for _, done := range progress {
		if done-prev > 100 || done <= prev {
			t.Fatalf("progress %v, want a report after each chunk of at most 100", progress)
		}
		prev = done
	}
	if len(progress) != 10 || totals(t, h).Total != 1000 {
		t.Errorf("progress %v, %d published", progress, totals(t, h).Total)
	}
}
