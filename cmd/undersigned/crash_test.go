package main

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	_ "github.com/mattn/go-sqlite3"

	"github.com/undersigned/undersigned/pkg/mail/mailtest"
	"github.com/undersigned/undersigned/pkg/signing"
	"github.com/undersigned/undersigned/pkg/vault"
)

// kills is how many times the crash test kills the server mid-flight.
const kills = 20

// TestSignaturesSurviveKills signs continuously over HTTP against the real
// binary while killing it with SIGKILL at random moments, restarting it each
// time on the same data. Afterwards every signature the client saw
// acknowledged (303) must be in the database, every one must have had its
// confirmation mail delivered, and SQLite's integrity check must pass.
func TestSignaturesSurviveKills(t *testing.T) {
	sqliteOnly(t)
	if testing.Short() {
		t.Skip("the crash test starts the server 21 times")
	}
	bin := buildBinary(t)
	smtp := mailtest.Start(t, mailtest.Options{})
	dataDir := t.TempDir()
	addr := freeAddr(t)
	baseURL := "http://" + addr
	env := append(os.Environ(), "UNDERSIGNED_DATA_DIR="+dataDir, "UNDERSIGNED_SERVER_ADDR="+addr, "UNDERSIGNED_BASE_URL="+baseURL,
		"UNDERSIGNED_MAIL_TRANSPORT=smtp", "UNDERSIGNED_MAIL_SMTP_HOST="+smtp.Host, fmt.Sprintf("UNDERSIGNED_MAIL_SMTP_PORT=%d", smtp.Port),
		"UNDERSIGNED_MAIL_SMTP_TLS=none", "UNDERSIGNED_MAIL_OUTBOX_POLL_INTERVAL=100ms", "UNDERSIGNED_MAIL_OUTBOX_RETRY_MIN=100ms", "UNDERSIGNED_MAIL_OUTBOX_CLAIM_LEASE=1s",
		"UNDERSIGNED_ABUSE_IP_ALLOWLIST=127.0.0.0/8", "UNDERSIGNED_ABUSE_MIN_FORM_TIME=0s", "UNDERSIGNED_LOG_LEVEL=error")
	seed := time.Now().UnixNano()
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(uint64(seed), 0))

	var mu sync.Mutex
	var acknowledged []string
	n := 0
	for round := range kills {
		srv := startBinary(t, bin, env, baseURL)
		deadline := time.Now().Add(time.Duration(50+rng.IntN(300)) * time.Millisecond)
		var wg sync.WaitGroup
		for range 3 { // three clients at once
			wg.Go(func() {
				for time.Now().Before(deadline) {
					mu.Lock()
					n++
					email := fmt.Sprintf("crash%d-%d@example.org", round, n)
					mu.Unlock()
					if signOnce(baseURL, email) {
						mu.Lock()
						acknowledged = append(acknowledged, email)
						mu.Unlock()
					}
				}
			})
		}
		// Killed while the clients are still signing: some requests are cut off.
		time.Sleep(time.Until(deadline) - time.Duration(rng.IntN(40))*time.Millisecond)
		_ = srv.Process.Signal(syscall.SIGKILL)
		wg.Wait()
		_ = srv.Wait()
	}
	// One last run lets the outbox send what the kills left queued.
	last := startBinary(t, bin, env, baseURL)
	defer func() { _ = last.Process.Signal(syscall.SIGTERM); _ = last.Wait() }()
	t.Logf("%d signatures acknowledged across %d kills", len(acknowledged), kills)
	if len(acknowledged) < kills {
		t.Fatalf("only %d signatures acknowledged; the test did not exercise the server", len(acknowledged))
	}
	waitForMail(t, smtp, acknowledged, 60*time.Second)
	checkStored(t, dataDir, acknowledged)
}

// startBinary runs the server and waits until it answers.
func startBinary(t *testing.T, bin string, env []string, baseURL string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(bin, "--config", "../../config.yaml")
	cmd.Env = env
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if res, err := http.Get(baseURL + "/healthz"); err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return cmd
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	_ = cmd.Process.Kill()
	t.Fatal("the server did not start")
	return nil
}

// signOnce posts the sign form and reports whether the server acknowledged it.
func signOnce(baseURL, email string) bool {
	client := &http.Client{Timeout: 5 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	form := url.Values{"kind": {"individual"}, "name": {"Crash Tester"}, "country": {"DE"}, "email": {email}, "consent": {"yes"}}
	res, err := client.PostForm(baseURL+"/letters/"+sampleSlug+"/sign", form)
	if err != nil {
		return false
	}
	res.Body.Close()
	return res.StatusCode == http.StatusSeeOther
}

func waitForMail(t *testing.T, smtp *mailtest.Server, want []string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		got := map[string]bool{}
		for _, m := range smtp.Messages() {
			for _, to := range m.To {
				got[to] = true
			}
		}
		var missing []string
		for _, e := range want {
			if !got[e] {
				missing = append(missing, e)
			}
		}
		if len(missing) == 0 {
			t.Logf("%d mails delivered for %d signatures (at-least-once)", len(smtp.Messages()), len(want))
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d acknowledged signatures got no confirmation mail, e.g. %v", len(missing), missing[:min(3, len(missing))])
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func checkStored(t *testing.T, dataDir string, acknowledged []string) {
	t.Helper()
	key, err := vault.LoadKey("", filepath.Join(dataDir, "secret.key"), nil)
	if err != nil {
		t.Fatal(err)
	}
	v, err := vault.New(key, nil)
	if err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite3", "file:"+filepath.Join(dataDir, "undersigned.db")+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var check string
	if err := db.QueryRowContext(context.Background(), "PRAGMA integrity_check").Scan(&check); err != nil || check != "ok" {
		t.Fatalf("integrity_check = %q, %v", check, err)
	}
	stored := map[string]bool{}
	rows, err := db.Query("SELECT email_hash FROM signatures")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var h string
		if err := rows.Scan(&h); err != nil {
			t.Fatal(err)
		}
		stored[h] = true
	}
	lost := 0
	for _, e := range acknowledged {
		if !stored[v.Hash(vault.PurposeEmail, signing.CanonicalEmail(e))] {
			lost++
		}
	}
	if lost > 0 {
		t.Errorf("%d of %d acknowledged signatures are not in the database", lost, len(acknowledged))
	}
	if !strings.HasPrefix(check, "ok") {
		t.Errorf("integrity: %s", check)
	}
}
