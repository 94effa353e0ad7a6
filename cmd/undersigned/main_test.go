package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/undersigned/undersigned/pkg/mail/mailtest"
	"github.com/undersigned/undersigned/pkg/store"
	"github.com/undersigned/undersigned/pkg/web/webtest"
)

const sampleSlug = "protect-strong-encryption"

// syncBuffer collects the server's log while it runs.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// startServer runs the command as `go run ./cmd/undersigned` would, with the
// committed config.yaml and env on top, on a fresh data folder, and waits
// until /healthz answers.
func startServer(t *testing.T, env ...string) (baseURL, dataDir string, logs *syncBuffer) {
	t.Helper()
	dataDir = t.TempDir()
	baseURL, logs = startServerIn(t, dataDir, env...)
	return baseURL, dataDir, logs
}

func sign(t *testing.T, baseURL, email string) {
	t.Helper()
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	form := url.Values{"kind": {"individual"}, "name": {"Grace Hopper"}, "country": {"US"}, "email": {email},
		"show_name": {"yes"}, "consent": {"yes"}}
	res, err := client.PostForm(baseURL+"/letters/"+sampleSlug+"/sign", form)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign: %d", res.StatusCode)
	}
}

func TestServeSignsAndConfirmsOverSMTP(t *testing.T) {
	smtp := mailtest.Start(t, mailtest.Options{Username: "campaign", Password: "s3cret-relay"})
	baseURL, dataDir, logs := startServer(t,
		"UNDERSIGNED_MAIL_TRANSPORT=smtp", "UNDERSIGNED_MAIL_SMTP_HOST="+smtp.Host,
		fmt.Sprintf("UNDERSIGNED_MAIL_SMTP_PORT=%d", smtp.Port), "UNDERSIGNED_MAIL_SMTP_TLS=none",
		"UNDERSIGNED_MAIL_SMTP_USERNAME=campaign", "UNDERSIGNED_MAIL_SMTP_PASSWORD=s3cret-relay")

	sign(t, baseURL, "grace@example.org")
	// The server's own outbox worker delivers the mail; wait for it to arrive.
	t.Cleanup(func() {
		if t.Failed() {
			t.Log(logs.String())
		}
	})
	msg := smtp.WaitFor(t, 1, 10*time.Second)[0]
	link := webtest.ConfirmLink(t, baseURL, msg)
	res, err := http.PostForm(baseURL+link, nil)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("confirm: %d", res.StatusCode)
	}

	res, err = http.Get(baseURL + "/api/v1/letters/" + sampleSlug + "/signatories")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	var list struct {
		Signatories []struct{ Name, Country string } `json:"signatories"`
	}
	if err := json.Unmarshal(body, &list); err != nil || len(list.Signatories) != 1 || list.Signatories[0].Name != "Grace Hopper" {
		t.Fatalf("signatories = %s (%v)", body, err)
	}

	if os.Getenv(webtest.PostgresEnv) != "" {
		return // the rest is about files in the data folder
	}
	info, err := os.Stat(filepath.Join(dataDir, "secret.key"))
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("secret key file: %v, mode %v; want 0600", err, info.Mode().Perm())
	}
	if _, err := os.Stat(filepath.Join(dataDir, "undersigned.db")); err != nil {
		t.Errorf("database file: %v", err)
	}
}

func TestServeWritesMailToFilesByDefault(t *testing.T) {
	baseURL, dataDir, logs := startServer(t)
	sign(t, baseURL, "grace@example.org")
	deadline := time.Now().Add(10 * time.Second)
	for {
		files, _ := filepath.Glob(filepath.Join(dataDir, "mail", "*.eml"))
		if len(files) == 1 {
			raw, err := os.ReadFile(files[0])
			if err != nil {
				t.Fatal(err)
			}
			m, err := mailtest.Parse(raw)
			if err != nil {
				t.Fatal(err)
			}
			link := webtest.ConfirmLink(t, baseURL, m)
			if !strings.Contains(logs.String(), link) {
				t.Errorf("the confirmation link is not in the log:\n%s", logs)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no .eml file written; log:\n%s", logs)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// commandEnv is the environment of a one-off command: a fresh data folder,
// and a fresh database when the suite runs on PostgreSQL.
func commandEnv(t *testing.T) []string {
	env := []string{"UNDERSIGNED_DATA_DIR=" + t.TempDir()}
	if dsn := webtest.PostgresDatabase(t); dsn != "" {
		env = append(env, "UNDERSIGNED_DATABASE_DRIVER=postgres", "UNDERSIGNED_DATABASE_DSN="+dsn)
	}
	return env
}

func TestMigrateIsRepeatable(t *testing.T) {
	env := commandEnv(t)
	for i := range 2 {
		if err := run(t.Context(), []string{"--config", "../../config.yaml", "migrate"}, env, quiet()); err != nil {
			t.Fatalf("migrate run %d: %v", i+1, err)
		}
	}
}

func TestBadConfigurationNamesTheKey(t *testing.T) {
	env := []string{"UNDERSIGNED_DATA_DIR=" + t.TempDir(), "UNDERSIGNED_MAIL_TRANSPORT=pigeon"}
	err := run(t.Context(), []string{"--config", "../../config.yaml"}, env, quiet())
	if err == nil || !strings.Contains(err.Error(), "mail.transport") || !strings.Contains(err.Error(), "UNDERSIGNED_MAIL_TRANSPORT") {
		t.Errorf("err = %v, want it to name mail.transport and its variable", err)
	}
	if err := run(t.Context(), []string{"--config", "missing.yaml"}, nil, quiet()); err == nil {
		t.Error("a missing config file was accepted")
	}
	if err := run(t.Context(), []string{"--config", "../../config.yaml", "fly"}, []string{"UNDERSIGNED_DATA_DIR=" + t.TempDir()}, quiet()); err == nil {
		t.Error("an unknown command was accepted")
	}
}

func quiet() console { return console{in: strings.NewReader(""), out: io.Discard, err: io.Discard} }

func TestStaffCommands(t *testing.T) {
	env := commandEnv(t)
	cfg := []string{"--config", "../../config.yaml"}
	runWith := func(stdin string, args ...string) (string, error) {
		var out strings.Builder
		err := run(t.Context(), append(cfg, args...), env, console{in: strings.NewReader(stdin), out: &out, err: io.Discard})
		return out.String(), err
	}
	if _, err := runWith("a long enough password\n", "staff", "add", "Admin@Campaign.example", "--role", "admin"); err != nil {
		t.Fatalf("staff add: %v", err)
	}
	if _, err := runWith("another long password\n", "staff", "add", "--role", "moderator", "mod@campaign.example"); err != nil {
		t.Fatalf("staff add with the flag first: %v", err)
	}
	if _, err := runWith("short\n", "staff", "add", "weak@campaign.example", "--role", "moderator"); err == nil || !strings.Contains(err.Error(), "12") {
		t.Errorf("a short password was accepted: %v", err)
	}
	if _, err := runWith("a long enough password\n", "staff", "add", "who@campaign.example", "--role", "owner"); err == nil {
		t.Error("an unknown role was accepted")
	}
	if _, err := runWith("", "staff", "add", "empty@campaign.example", "--role", "admin"); err == nil {
		t.Error("an empty standard input was taken as a password")
	}
	if _, err := runWith("", "staff", "disable", "mod@campaign.example"); err != nil {
		t.Fatalf("staff disable: %v", err)
	}
	out, err := runWith("", "staff", "list")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || !strings.Contains(lines[1], "admin@campaign.example") || !strings.Contains(lines[1], "admin") ||
		!strings.Contains(lines[2], "mod@campaign.example") || !strings.Contains(lines[2], "disabled") {
		t.Errorf("staff list:\n%s", out)
	}
	if _, err := runWith("", "staff", "disable", "nobody@campaign.example"); err == nil {
		t.Error("disabling an unknown account succeeded")
	}
	var audit []string
	for _, e := range auditLog(t, env) {
		audit = append(audit, e.Action+" "+e.Subject+" by "+e.StaffEmail)
	}
	me := commandLine().Name
	want := []string{"staff_add admin@campaign.example (admin) by " + me, "staff_add mod@campaign.example (moderator) by " + me,
		"staff_disable mod@campaign.example by " + me}
	if !slices.Equal(audit, want) || !strings.HasPrefix(me, "command line (") || me == "command line ()" {
		t.Errorf("audit log:\n%s\nwant:\n%s", strings.Join(audit, "\n"), strings.Join(want, "\n"))
	}
}

// auditLog reads the audit log of the database the environment names.
func auditLog(t *testing.T, env []string) []store.AuditEvent {
	t.Helper()
	opts := store.Options{Driver: "sqlite", Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	for _, kv := range env {
		key, value, _ := strings.Cut(kv, "=")
		switch key {
		case "UNDERSIGNED_DATA_DIR":
			opts.DataDir = value
		case "UNDERSIGNED_DATABASE_DRIVER":
			opts.Driver = value
		case "UNDERSIGNED_DATABASE_DSN":
			opts.DSN = value
		}
	}
	st, err := store.Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var events []store.AuditEvent
	if err := st.Read(t.Context()).Order("id").Find(&events).Error; err != nil {
		t.Fatal(err)
	}
	return events
}

// sqliteOnly skips tests about the SQLite file when the suite runs on PostgreSQL.
func sqliteOnly(t *testing.T) {
	t.Helper()
	if os.Getenv(webtest.PostgresEnv) != "" {
		t.Skip("about the SQLite file (backup, crash recovery, the data folder); PostgreSQL has its own tools")
	}
}
