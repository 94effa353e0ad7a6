package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/undersigned/undersigned/pkg/web/webtest"
)

// TestNoInputProducesAServerError throws hostile and broken input at every
// route and checks that none is answered with a 5xx or leaks internals.
func TestNoInputProducesAServerError(t *testing.T) {
	h := webtest.New(t)
	nasty := []string{
		"", " ", "\x00", "\xff\xfe", "é\u0301", strings.Repeat("ü", 5000), "<script>alert(1)</script>",
		"' OR 1=1 --", "%", "_", "\\", "../../etc/passwd", "\u202e", "a@b.c", "DE", "organisation", "yes",
	}
	fields := []string{"kind", "name", "affiliation", "website", "org_type", "contact_name", "country", "email", "show_name", "consent", "ref"}
	sign := "/letters/" + webtest.LetterSlug + "/sign"
	for _, value := range nasty {
		for _, field := range fields {
			form := webtest.SignForm("ada@example.org")
			form.Set("kind", "organisation")
			form.Set(field, value)
			res := h.PostForm(sign, form)
			if res.Status >= 500 || strings.Contains(res.Body, "goroutine") {
				t.Errorf("%s=%q: status %d", field, value, res.Status)
			}
			if res.Status == http.StatusUnprocessableEntity && res.Doc().Find(".error-summary li").Length() == 0 {
				t.Errorf("%s=%q: 422 without a message", field, value)
			}
		}
		q := url.QueryEscape(value)
		for _, path := range []string{
			"/letters/" + webtest.LetterSlug + "?kind=" + q + "&ref=" + q + "&lang=" + q,
			"/api/v1/letters/" + webtest.LetterSlug + "/signatories?q=" + q + "&country=" + q + "&kind=" + q + "&page=" + q,
			"/confirm/" + url.PathEscape(value),
			"/letters/" + url.PathEscape(value),
		} {
			if res := h.Get(path, "Accept-Language", strings.Map(headerSafe, value)); res.Status >= 500 {
				t.Errorf("GET %s: status %d", path, res.Status)
			}
		}
	}
	for _, method := range []string{http.MethodPut, http.MethodDelete, http.MethodPatch} {
		req, _ := http.NewRequest(method, h.URL+sign, nil)
		if res := h.Do(req); res.Status != http.StatusMethodNotAllowed {
			t.Errorf("%s %s: %d, want 405", method, sign, res.Status)
		}
	}
}

// headerSafe drops the bytes an HTTP client refuses to put in a header.
func headerSafe(r rune) rune {
	if r < ' ' || r == 0x7f {
		return -1
	}
	return r
}

func TestHeadIsAnsweredLikeGet(t *testing.T) {
	h := webtest.New(t)
	for _, path := range []string{"/healthz", "/letters/" + webtest.LetterSlug, "/api/v1/letters/" + webtest.LetterSlug} {
		req, _ := http.NewRequest(http.MethodHead, h.URL+path, nil)
		res := h.Do(req)
		if res.Status != http.StatusOK || res.Body != "" {
			t.Errorf("HEAD %s: %d with %d bytes of body", path, res.Status, len(res.Body))
		}
	}
}

func TestAFormSentBackSaysErrorInItsTitle(t *testing.T) {
	h := webtest.New(t)
	form := webtest.SignForm("ada@example.org")
	form.Del("consent")
	doc := h.PostForm("/letters/"+webtest.LetterSlug+"/sign", form).Doc()
	if title := doc.Find("title").Text(); !strings.HasPrefix(title, "Error: ") {
		t.Errorf("title = %q", title)
	}
	if action, _ := doc.Find("form[method=post]").Attr("action"); !strings.HasSuffix(action, "#sign") {
		t.Errorf("the form does not return to itself: %q", action)
	}
}
