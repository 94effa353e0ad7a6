// Package webtest is the test harness for the web app: it assembles the real
// app on a temporary SQLite file, with the SMTP transport pointed at a real
// SMTP server on loopback, a controllable clock and seeded randomness, and
// serves it on a real port.
package webtest

import (
	"context"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/undersigned/undersigned"
	"github.com/undersigned/undersigned/pkg/app"
	"github.com/undersigned/undersigned/pkg/config"
	"github.com/undersigned/undersigned/pkg/mail/mailtest"
)

// LetterSlug is the slug of the letter every harness serves.
const LetterSlug = "test-letter"

// Clock is a clock that only moves when told to.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// Harness is one running app under test.
type Harness struct {
	t      testing.TB
	App    *app.App
	URL    string
	SMTP   *mailtest.Server
	Clock  *Clock
	Client *http.Client
}

// Config returns the configuration a harness uses before options change it:
// one letter, organisations reviewed, SMTP to the test server.
func Config(t testing.TB, smtp *mailtest.Server) config.Config {
	t.Helper()
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	if dsn := PostgresDatabase(t); dsn != "" {
		cfg.Database = config.Database{Driver: "postgres", DSN: dsn}
	}
	cfg.SecretKey = strings.Repeat("ab", 32)
	cfg.Log.Level = "warn"
	cfg.Live.MaxStale = 0 // every request sees every change: tests need no waiting
	// Tests sign many times from this machine with example addresses; the
	// abuse tests turn the limits and the form timing back on.
	cfg.Abuse.IPAllowlist = []string{"127.0.0.0/8", "::1/128"}
	cfg.Abuse.DomainAllowlist = append(cfg.Abuse.DomainAllowlist, "example.org", "example.net", "example.com")
	cfg.Abuse.MinFormTime = 0
	cfg.Live.Interval = 50 * time.Millisecond
	cfg.Mail.Transport = "smtp"
	cfg.Mail.From = "Campaign <campaign@example.org>"
	cfg.Mail.SMTP = config.SMTP{Host: smtp.Host, Port: smtp.Port, TLS: "none", Timeout: 5 * time.Second}
	cfg.Letters = []config.Letter{{
		Slug:   LetterSlug,
		Title:  "Keep encryption strong",
		Body:   "We ask governments to:\n\n1. Keep encryption strong.\n",
		Lang:   "en",
		Review: []string{"organisation"},
	}}
	return cfg
}

// New starts a harness; change adjusts its configuration first.
func New(t testing.TB, change ...func(*config.Config)) *Harness {
	t.Helper()
	smtp := mailtest.Start(t, mailtest.Options{})
	cfg := Config(t, smtp)
	for _, c := range change {
		c(&cfg)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("webtest: listen: %v", err)
	}
	if !strings.HasPrefix(cfg.BaseURL, "https://") { // a test may pose as a site behind TLS
		cfg.BaseURL = "http://" + ln.Addr().String()
	}
	if err := cfg.Validate(); err != nil {
		t.Fatalf("webtest: config: %v", err)
	}
	clock := &Clock{now: time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)}
	a, err := app.Build(context.Background(), cfg, app.Options{
		Files:  undersigned.Files(),
		Log:    slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn})),
		Now:    clock.Now,
		Random: rand.NewChaCha8([32]byte{1, 2, 3}),
	})
	if err != nil {
		t.Fatalf("webtest: build app: %v", err)
	}
	srv := httptest.NewUnstartedServer(a.Web.Handler())
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	hubCtx, stopHub := context.WithCancel(context.Background())
	go a.Live.Run(hubCtx)
	t.Cleanup(func() {
		stopHub()
		srv.Close()
		if err := a.Close(); err != nil {
			t.Errorf("webtest: close app: %v", err)
		}
	})
	client := &http.Client{
		Timeout:       10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return &Harness{t: t, App: a, URL: srv.URL, SMTP: smtp, Clock: clock, Client: client}
}

// DatabasePath is the SQLite file of the harness.
func (h *Harness) DatabasePath() string {
	return filepath.Join(h.App.Config.DataDir, "undersigned.db")
}

// Response is a response read whole.
type Response struct {
	Status int
	Header http.Header
	Body   string
	t      testing.TB
}

// Doc parses the body as HTML.
func (r *Response) Doc() *goquery.Document {
	r.t.Helper()
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(r.Body))
	if err != nil {
		r.t.Fatalf("webtest: parse HTML: %v", err)
	}
	return doc
}

// Get requests path.
func (h *Harness) Get(path string, header ...string) *Response {
	h.t.Helper()
	req, err := http.NewRequest(http.MethodGet, h.URL+path, nil)
	if err != nil {
		h.t.Fatalf("webtest: %v", err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return h.Do(req)
}

// SignForm is a valid individual's sign form; tests change what they need.
func SignForm(email string) url.Values {
	return url.Values{
		"kind": {"individual"}, "name": {"Ada Lovelace"}, "affiliation": {"Analytical Society"},
		"country": {"GB"}, "email": {email}, "show_name": {"yes"}, "consent": {"yes"},
	}
}

// Sign posts the sign form for the harness letter and checks that it leads to
// the check-your-inbox page.
func (h *Harness) Sign(form url.Values) {
	h.t.Helper()
	res := h.PostForm("/letters/"+LetterSlug+"/sign", form)
	if res.Status != http.StatusSeeOther || res.Header.Get("Location") != "/letters/"+LetterSlug+"/check-inbox" {
		h.t.Fatalf("webtest: sign: status %d, location %q, want 303 to check-inbox\n%s", res.Status, res.Header.Get("Location"), res.Body)
	}
}

// PostForm posts form values to path.
func (h *Harness) PostForm(path string, values url.Values) *Response {
	h.t.Helper()
	req, err := http.NewRequest(http.MethodPost, h.URL+path, strings.NewReader(values.Encode()))
	if err != nil {
		h.t.Fatalf("webtest: %v", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return h.Do(req)
}

// Do sends req and reads the whole response.
func (h *Harness) Do(req *http.Request) *Response {
	h.t.Helper()
	return h.doWith(h.Client, req)
}

func (h *Harness) doWith(client *http.Client, req *http.Request) *Response {
	h.t.Helper()
	res, err := client.Do(req)
	if err != nil {
		h.t.Fatalf("webtest: %s %s: %v", req.Method, req.URL.Path, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		h.t.Fatalf("webtest: read body: %v", err)
	}
	return &Response{Status: res.StatusCode, Header: res.Header, Body: string(body), t: h.t}
}

// DrainOutbox sends every due mail now, through the real SMTP server, and
// returns how many were sent.
func (h *Harness) DrainOutbox() int {
	h.t.Helper()
	n, err := h.App.Outbox.Drain(context.Background())
	if err != nil {
		h.t.Fatalf("webtest: drain outbox: %v", err)
	}
	return n
}

// testWriter sends the app's log to the test's log.
type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// ConfirmLink finds the confirmation link in a mail's text part, and checks
// that the HTML part carries the same one.
func ConfirmLink(t testing.TB, baseURL string, m mailtest.Message) string {
	t.Helper()
	i := strings.Index(m.Text, baseURL+"/confirm/")
	if i < 0 {
		t.Fatalf("webtest: no confirmation link in mail %q:\n%s", m.Subject, m.Text)
	}
	link := strings.Fields(m.Text[i:])[0]
	if !strings.Contains(m.HTML, `href="`+link+`"`) {
		t.Fatalf("webtest: HTML part lacks the link %s:\n%s", link, m.HTML)
	}
	return strings.TrimPrefix(link, baseURL)
}

// PostAtOnce posts every form to target from client at the same moment, one
// goroutine each, and counts the answers by status (0 for a request that got
// none). It reports instead of failing, so it is safe off the test's goroutine.
func PostAtOnce(client *http.Client, target string, forms []url.Values) map[int]int {
	var mu sync.Mutex
	statuses := map[int]int{}
	start := make(chan struct{})
	var wg sync.WaitGroup
	for _, form := range forms {
		wg.Go(func() {
			<-start
			status := 0
			if res, err := client.PostForm(target, form); err == nil {
				_, _ = io.Copy(io.Discard, res.Body)
				res.Body.Close()
				status = res.StatusCode
			}
			mu.Lock()
			statuses[status]++
			mu.Unlock()
		})
	}
	close(start)
	wg.Wait()
	return statuses
}
