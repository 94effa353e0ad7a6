package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/undersigned/undersigned/pkg/store"
	"github.com/undersigned/undersigned/pkg/vault"
	"github.com/undersigned/undersigned/pkg/web/webtest"
)

// quickSigning lets the test sign some fifty times in a row from this machine
// with example.org addresses. startServer lifts the per-network limit and the
// form timing already; this also lifts the per-domain limit, and gives
// startServerIn (the restored server) all three.
var quickSigning = []string{
	"UNDERSIGNED_ABUSE_IP_ALLOWLIST=127.0.0.0/8,::1/128",
	"UNDERSIGNED_ABUSE_DOMAIN_ALLOWLIST=example.org",
	"UNDERSIGNED_ABUSE_MIN_FORM_TIME=0s",
}

// postSignature signs the sample letter as an individual. Unlike sign it
// returns its error, so goroutines other than the test's may call it.
func postSignature(baseURL, email string) error {
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	form := url.Values{"kind": {"individual"}, "name": {"Ada Lovelace"}, "country": {"GB"}, "email": {email},
		"show_name": {"yes"}, "consent": {"yes"}}
	res, err := client.PostForm(baseURL+"/letters/"+sampleSlug+"/sign", form)
	if err != nil {
		return err
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther {
		return fmt.Errorf("sign as %s: status %d", email, res.StatusCode)
	}
	return nil
}

// startServerIn runs the server on dataDir (fresh, or holding a database and
// key restored from a backup) and waits until /healthz answers.
func startServerIn(t *testing.T, dataDir string, env ...string) (baseURL string, logs *syncBuffer) {
	t.Helper()
	addr := freeAddr(t)
	baseURL = "http://" + addr
	// The tests sign many times from this machine, at machine speed: no per-network
	// limit and no minimum form time (the abuse tests in pkg/web cover those).
	env = append([]string{"UNDERSIGNED_ABUSE_IP_ALLOWLIST=127.0.0.0/8", "UNDERSIGNED_ABUSE_MIN_FORM_TIME=0s"}, env...)
	env = append(env, "UNDERSIGNED_DATA_DIR="+dataDir, "UNDERSIGNED_SERVER_ADDR="+addr, "UNDERSIGNED_BASE_URL="+baseURL)
	if dsn := webtest.PostgresDatabase(t); dsn != "" {
		env = append(env, "UNDERSIGNED_DATABASE_DRIVER=postgres", "UNDERSIGNED_DATABASE_DSN="+dsn)
	}
	ctx, cancel := context.WithCancel(context.Background())
	logs = &syncBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"--config", "../../config.yaml"}, env, console{in: strings.NewReader(""), out: logs, err: logs})
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("server stopped with %v", err)
			}
		case <-time.After(20 * time.Second):
			t.Error("server did not shut down")
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for {
		res, err := http.Get(baseURL + "/healthz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return baseURL, logs
			}
		}
		select {
		case err := <-done:
			t.Fatalf("server exited early: %v\n%s", err, logs)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("server not healthy in time:\n%s", logs)
		}
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// signedEmails opens the SQLite database at dbPath, checks its integrity and
// returns the signers' addresses, unsealed with the key in keyFile.
func signedEmails(t *testing.T, dbPath, keyFile string) map[string]bool {
	t.Helper()
	st, err := store.Open(store.Options{Driver: "sqlite", DSN: dbPath, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	var check []string
	if err := st.Read(ctx).Raw("PRAGMA integrity_check").Scan(&check).Error; err != nil {
		t.Fatal(err)
	}
	if strings.Join(check, "\n") != "ok" {
		t.Errorf("integrity_check of %s = %q", dbPath, check)
	}
	key, err := vault.LoadKey("", keyFile, nil)
	if err != nil {
		t.Fatal(err)
	}
	v, err := vault.New(key, nil)
	if err != nil {
		t.Fatal(err)
	}
	var sigs []store.Signature
	if err := st.Read(ctx).Find(&sigs).Error; err != nil {
		t.Fatal(err)
	}
	emails := make(map[string]bool, len(sigs))
	for _, s := range sigs {
		email, err := v.Open(vault.PurposeEmail, s.EmailSealed)
		if err != nil {
			t.Fatalf("signature %d: %v", s.ID, err)
		}
		emails[email] = true
	}
	return emails
}

func TestBackupWhileServingAndRestore(t *testing.T) {
	sqliteOnly(t)
	baseURL, dataDir, logs := startServer(t, quickSigning...)
	t.Cleanup(func() {
		if t.Failed() {
			t.Log(logs.String())
		}
	})
	before := []string{"before-1@example.org", "before-2@example.org", "before-3@example.org"}
	for _, email := range before {
		if err := postSignature(baseURL, email); err != nil {
			t.Fatal(err)
		}
	}

	// Sign on, from a few clients at once, while the backup runs.
	const during, clients = 50, 4
	var (
		mu       sync.Mutex
		answered []string // addresses whose post was answered: their rows are committed
		signErr  error
		wg       sync.WaitGroup
	)
	stop, started := make(chan struct{}), make(chan struct{})
	var startOnce sync.Once
	for c := range clients {
		wg.Go(func() {
			defer startOnce.Do(func() { close(started) })
			for i := c; i < during; i += clients {
				select {
				case <-stop:
					return
				default:
				}
				email := fmt.Sprintf("during-%d@example.org", i)
				err := postSignature(baseURL, email)
				mu.Lock()
				if err != nil {
					signErr = err
				} else {
					answered = append(answered, email)
				}
				n := len(answered)
				mu.Unlock()
				if err != nil {
					return
				}
				if n == clients {
					startOnce.Do(func() { close(started) })
				}
			}
		})
	}
	<-started
	mu.Lock()
	committed := slices.Clone(answered)
	mu.Unlock()
	target := filepath.Join(t.TempDir(), "backups", "undersigned-backup.db")
	var out, errOut strings.Builder
	err := run(t.Context(), []string{"--config", "../../config.yaml", "backup", target},
		[]string{"UNDERSIGNED_DATA_DIR=" + dataDir}, console{in: strings.NewReader(""), out: &out, err: &errOut})
	close(stop)
	wg.Wait()
	if signErr != nil {
		t.Fatal(signErr)
	}
	if err != nil {
		t.Fatalf("backup: %v\n%s", err, errOut.String())
	}
	t.Logf("%d signatures committed before the backup began, %d in all", len(before)+len(committed), len(before)+len(answered))

	info, err := os.Stat(target)
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o600 {
		t.Errorf("backup mode = %v, want 0600", perm)
	}
	if want := fmt.Sprintf("backed up to %s (%d bytes)\n", target, info.Size()); !strings.HasPrefix(out.String(), want) {
		t.Errorf("output = %q, want it to start %q", out.String(), want)
	}
	if !strings.Contains(out.String(), filepath.Join(dataDir, "secret.key")) {
		t.Errorf("output does not remind of the key file:\n%s", out.String())
	}
	// A second backup to the same file is refused and leaves the first alone.
	if err := run(t.Context(), []string{"--config", "../../config.yaml", "backup", target},
		[]string{"UNDERSIGNED_DATA_DIR=" + dataDir}, quiet()); err == nil || !strings.Contains(err.Error(), "exists") {
		t.Errorf("a backup over an existing file: %v", err)
	}

	// Restore: the backup as the database of a fresh data folder, with the key.
	restoredDir := t.TempDir()
	copyFile(t, target, filepath.Join(restoredDir, "undersigned.db"))
	copyFile(t, filepath.Join(dataDir, "secret.key"), filepath.Join(restoredDir, "secret.key"))

	emails := signedEmails(t, target, filepath.Join(dataDir, "secret.key"))
	for _, email := range before {
		if !emails[email] {
			t.Errorf("%s, signed before the backup, is not in it", email)
		}
	}
	for _, email := range committed {
		if !emails[email] {
			t.Errorf("%s, committed before the backup began, is not in it", email)
		}
	}
	if n := len(emails); n < len(before)+len(committed) || n > len(before)+during {
		t.Errorf("the backup holds %d signatures", n)
	}

	restoredURL, restoredLogs := startServerIn(t, restoredDir, quickSigning...)
	t.Cleanup(func() {
		if t.Failed() {
			t.Log(restoredLogs.String())
		}
	})
	// The restored server knows the earlier signers (their address hashes
	// match under the restored key) and takes new signatures.
	if err := postSignature(restoredURL, before[0]); err != nil {
		t.Fatal(err)
	}
	if err := postSignature(restoredURL, "after@example.org"); err != nil {
		t.Fatal(err)
	}
	restored := signedEmails(t, filepath.Join(restoredDir, "undersigned.db"), filepath.Join(restoredDir, "secret.key"))
	if len(restored) != len(emails)+1 || !restored["after@example.org"] || !restored[before[0]] {
		t.Errorf("restored database has %d signatures (want %d), after@: %v", len(restored), len(emails)+1, restored["after@example.org"])
	}
}
