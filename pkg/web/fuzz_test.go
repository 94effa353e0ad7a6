package web_test

import (
	"bytes"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/undersigned/undersigned/pkg/web/webtest"
)

// FuzzSignForm proves that no URL-encoded body posted to the sign form makes
// the real app fail: the answer is never a 5xx but one of the statuses the
// form is meant to give (303, 400, 403, 413, 415, 422, 429), a redirect goes
// to the check-your-inbox page, a form sent back (422, 429) says why in an
// error summary, and no page leaks a panic or a goroutine dump. One app
// serves every input, so its state (signatures, rate limits) builds up.
func FuzzSignForm(f *testing.F) {
	h := webtest.New(f)
	sign := h.URL + "/letters/" + webtest.LetterSlug + "/sign"
	checkInbox := "/letters/" + webtest.LetterSlug + "/check-inbox"

	org := webtest.SignForm("contact@acme.example")
	org.Set("kind", "organisation")
	org.Set("website", "acme.example")
	org.Set("org_type", "company")
	org.Set("contact_name", "Bob")
	for _, body := range []string{
		webtest.SignForm("ada@example.org").Encode(),
		org.Encode(),
		"kind=individual&name=Ada&country=GB&email=ada%40example.org", // no consent
		"kind=organisation&name=%E2%80%AEAcme&website=javascript%3Aalert(1)&email=a%40b&consent=1",
		"name=%ff%fe%00&email=%0d%0a%40x.org&country=%20de%20&consent=yes&ref=" + strings.Repeat("r", 100),
		"name=" + strings.Repeat("%C3%BC", 201) + "&kind=individual&kind=organisation",
		"a=1;b=2", "%zz", "=&=&&", "consent", "homepage=http%3A%2F%2Fspam.example&" + webtest.SignForm("bot@example.org").Encode(),
		"stamp=1.abc&" + webtest.SignForm("ada@example.org").Encode(), "name=goroutine+1+%5Brunning%5D%3A+panic",
		strings.Repeat("x", 70<<10), // over the body limit
	} {
		f.Add([]byte(body))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		if len(body) > 100<<10 {
			t.Skip("bigger than the body limit needs to test")
		}
		req, err := http.NewRequest(http.MethodPost, sign, bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		res, err := h.Client.Do(req)
		if err != nil {
			t.Fatalf("POST: %v", err)
		}
		raw, err := io.ReadAll(res.Body)
		res.Body.Close()
		if err != nil {
			t.Fatalf("read the answer: %v", err)
		}
		page := string(raw)
		doc, err := goquery.NewDocumentFromReader(strings.NewReader(page))
		if err != nil {
			t.Fatalf("parse the answer: %v", err)
		}

		switch res.StatusCode {
		case http.StatusSeeOther:
			if loc := res.Header.Get("Location"); loc != checkInbox {
				t.Errorf("303 to %q, want %q", loc, checkInbox)
			}
		case http.StatusUnprocessableEntity, http.StatusTooManyRequests:
			if doc.Find(".error-summary").Length() == 0 {
				t.Errorf("%d without an error summary:\n%s", res.StatusCode, page)
			}
		case http.StatusBadRequest, http.StatusForbidden, http.StatusRequestEntityTooLarge, http.StatusUnsupportedMediaType:
		default:
			t.Errorf("status %d for body %q", res.StatusCode, body)
		}
		// The form echoes what was typed, so a word the input holds may be on the page.
		typed := string(body)
		values, _ := url.ParseQuery(typed)
		for k, vs := range values {
			typed += "\n" + k + "\n" + strings.Join(vs, "\n")
		}
		for _, leak := range []string{"goroutine", "panic"} {
			if strings.Contains(page, leak) && !strings.Contains(typed, leak) {
				t.Errorf("status %d page contains %q:\n%s", res.StatusCode, leak, page)
			}
		}
	})
}
