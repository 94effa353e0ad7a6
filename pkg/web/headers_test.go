package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/undersigned/undersigned/pkg/web/webtest"
)

// wantPermissionsPolicy is the Permissions-Policy every response carries.
const wantPermissionsPolicy = "camera=(), microphone=(), geolocation=(), payment=(), interest-cohort=()"

// TestEveryResponseCarriesPermissionsPolicy asks for one response of each
// kind the app gives (page, API, static file, download, redirects, errors as
// pages and as JSON, the event stream) and checks each refuses the browser
// features the app never uses.
func TestEveryResponseCarriesPermissionsPolicy(t *testing.T) {
	h := webtest.New(t)
	letter := "/letters/" + webtest.LetterSlug
	oversized := webtest.SignForm("ada@example.org")
	oversized.Set("name", strings.Repeat("a", 70<<10))
	requests := []struct {
		name   string
		req    *http.Request
		status int
	}{
		{"page", newRequest(t, h, http.MethodGet, letter, nil), http.StatusOK},
		{"embed", newRequest(t, h, http.MethodGet, letter+"/embed", nil), http.StatusOK},
		{"API", newRequest(t, h, http.MethodGet, "/api/v1"+letter, nil), http.StatusOK},
		{"CSV download", newRequest(t, h, http.MethodGet, letter+"/signatories.csv", nil), http.StatusOK},
		{"static file", newRequest(t, h, http.MethodGet, "/static/css/site.css", nil), http.StatusOK},
		{"health check", newRequest(t, h, http.MethodGet, "/healthz", nil), http.StatusOK},
		{"redirect", newRequest(t, h, http.MethodGet, "/", nil), http.StatusFound},
		{"trailing-slash redirect", newRequest(t, h, http.MethodGet, "/privacy/", nil), http.StatusMovedPermanently},
		{"404 page", newRequest(t, h, http.MethodGet, "/no/such/page", nil), http.StatusNotFound},
		{"static 404", newRequest(t, h, http.MethodGet, "/static/css", nil), http.StatusNotFound},
		{"API 404", newRequest(t, h, http.MethodGet, "/api/v1/letters/no-such-letter", nil), http.StatusNotFound},
		{"405", newRequest(t, h, http.MethodDelete, letter+"/sign", nil), http.StatusMethodNotAllowed},
		{"413", newRequest(t, h, http.MethodPost, letter+"/sign", oversized), http.StatusRequestEntityTooLarge},
	}
	for _, r := range requests {
		t.Run(r.name, func(t *testing.T) {
			res := h.Do(r.req)
			if res.Status != r.status {
				t.Fatalf("status %d, want %d", res.Status, r.status)
			}
			if got := res.Header.Get("Permissions-Policy"); got != wantPermissionsPolicy {
				t.Errorf("Permissions-Policy = %q, want %q", got, wantPermissionsPolicy)
			}
		})
	}
	t.Run("event stream", func(t *testing.T) {
		header := streamHeader(t, h, letter+"/events")
		if got := header.Get("Permissions-Policy"); got != wantPermissionsPolicy {
			t.Errorf("Permissions-Policy = %q, want %q", got, wantPermissionsPolicy)
		}
	})
}

// newRequest builds a request for path on h, with form as its
// body when not nil.
func newRequest(t *testing.T, h *webtest.Harness, method, path string, form url.Values) *http.Request {
	t.Helper()
	body := strings.NewReader(form.Encode())
	req, err := http.NewRequest(method, h.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	return req
}

// streamHeader opens the event stream at path and returns the headers of its
// answer, leaving the stream itself unread.
func streamHeader(t *testing.T, h *webtest.Harness, path string) http.Header {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, h.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := h.Client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if ct := res.Header.Get("Content-Type"); res.StatusCode != http.StatusOK || !strings.HasPrefix(ct, "text/event-stream") {
		t.Fatalf("%s answered %d %s", path, res.StatusCode, ct)
	}
	return res.Header
}
