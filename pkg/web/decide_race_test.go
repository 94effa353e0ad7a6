package web_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/undersigned/undersigned/pkg/store"
	"github.com/undersigned/undersigned/pkg/web/webtest"
)

// outcome is what one moderator's request got.
type outcome struct {
	who    string
	status int
	body   string
	err    error
}

// decideAsync posts a decision on one signature from its own goroutine, as
// a second browser tab would, without failing the test from there.
func decideAsync(h *webtest.Harness, b *webtest.Browser, who, action string, id uint64, out chan<- outcome) {
	v := url.Values{"action": {action}, "ids": {fmt.Sprint(id)}, "return": {"/admin"}, "csrf": {b.CSRF()},
		"reason": {"out_of_scope"}}
	req, err := http.NewRequest(http.MethodPost, h.URL+"/admin/signatures/actions", strings.NewReader(v.Encode()))
	if err != nil {
		out <- outcome{who: who, err: err}
		return
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res, err := b.Client.Do(req)
	if err != nil {
		out <- outcome{who: who, err: err}
		return
	}
	body, err := io.ReadAll(res.Body)
	_ = res.Body.Close()
	out <- outcome{who: who, status: res.StatusCode, body: string(body), err: err}
}

// holdRow locks the signature's row on PostgreSQL until release is called,
// so that requests deciding on it meanwhile all reach the guarded UPDATE
// before any of them can commit. On SQLite it does nothing: its one writer
// runs the requests one after the other.
func holdRow(t *testing.T, h *webtest.Harness, id uint64) (release func()) {
	t.Helper()
	if h.App.Store.Driver != "postgres" {
		return func() {}
	}
	locked, done := make(chan struct{}), make(chan struct{})
	finished := make(chan error, 1)
	go func() {
		finished <- h.App.Store.Write(context.Background(), func(tx *gorm.DB) error {
			if err := tx.Exec("SELECT id FROM signatures WHERE id = ? FOR UPDATE", id).Error; err != nil {
				return err
			}
			close(locked)
			<-done
			return nil
		})
	}()
	select {
	case <-locked:
	case err := <-finished:
		t.Fatalf("lock the row: %v", err)
	}
	return func() {
		close(done)
		if err := <-finished; err != nil {
			t.Errorf("release the row: %v", err)
		}
	}
}

// waitForLockWaiters waits until n statements of this database wait for a
// row lock on PostgreSQL.
func waitForLockWaiters(t *testing.T, h *webtest.Harness, n int) {
	t.Helper()
	if h.App.Store.Driver != "postgres" {
		return
	}
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		var waiting int
		err := h.App.Store.Read(t.Context()).Raw("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'").Scan(&waiting).Error
		if err != nil {
			t.Fatal(err)
		}
		if waiting >= n {
			return
		}
	}
	t.Fatalf("%d requests never waited on the row together", n)
}

// TestTwoModeratorsDecideAtOnce: one approves, the other rejects the same
// signature at the same moment. Exactly one decision wins; the other
// moderator is told who decided first, and the counts, the audit log and
// the outbox hold the winner's decision only. On PostgreSQL both requests
// are in flight together, waiting at the guarded UPDATE.
func TestTwoModeratorsDecideAtOnce(t *testing.T) {
	h := webtest.New(t)
	id := h.SeedPending(1, "DE")[0]
	alice := h.LoginAs("alice@campaign.example", store.RoleModerator)
	bob := h.LoginAs("bob@campaign.example", store.RoleModerator)

	release := holdRow(t, h, id)
	results := make(chan outcome, 2)
	go decideAsync(h, alice, "alice@campaign.example", "approve", id, results)
	go decideAsync(h, bob, "bob@campaign.example", "reject", id, results)
	waitForLockWaiters(t, h, 2)
	release()

	var won, lost outcome
	for range 2 {
		r := <-results
		switch {
		case r.err != nil:
			t.Fatalf("%s: %v", r.who, r.err)
		case r.status == http.StatusSeeOther:
			won = r
		case r.status == http.StatusConflict:
			lost = r
		default:
			t.Fatalf("%s got %d", r.who, r.status)
		}
	}
	if won.who == "" || lost.who == "" {
		t.Fatalf("want one winner and one refusal; won %q, lost %q", won.who, lost.who)
	}
	if !strings.Contains(lost.body, "Already decided by "+won.who) {
		t.Errorf("%s was not told who decided first", lost.who)
	}

	sig := signatureByName(t, h, "Org 0000")
	wantStatus, wantTotal := store.StatusPublished, int64(1)
	if won.who == "bob@campaign.example" {
		wantStatus, wantTotal = store.StatusRejected, 0
	}
	if sig.Status != wantStatus {
		t.Errorf("status %s after %s won", sig.Status, won.who)
	}
	if got := totals(t, h); got.Total != wantTotal {
		t.Errorf("total %d after %s won", got.Total, won.who)
	}
	if n := len(auditEvents(t, h, "approve")) + len(auditEvents(t, h, "reject")); n != 1 {
		t.Errorf("%d decisions audited, want the winner's", n)
	}
	var jobs int64
	if err := h.App.Store.Read(t.Context()).Model(&store.MailJob{}).Where("signature_id = ?", id).Count(&jobs).Error; err != nil || jobs != 1 {
		t.Errorf("%d mails queued for the signer (%v), want the winner's", jobs, err)
	}
}
