package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/undersigned/undersigned/pkg/config"
	"github.com/undersigned/undersigned/pkg/store"
	"github.com/undersigned/undersigned/pkg/web/webtest"
)

// limited is a harness with the per-network limits on, as in production.
func limited(t *testing.T, change ...func(*config.Config)) *webtest.Harness {
	return webtest.New(t, append([]func(*config.Config){func(c *config.Config) { c.Abuse.IPAllowlist = nil }}, change...)...)
}

func TestSigningIsRateLimitedPerNetwork(t *testing.T) {
	h := limited(t)
	h.Sign(webtest.SignForm("one@example.org"))
	second := webtest.SignForm("two@example.org")
	second.Set("affiliation", "Kept Society")
	res := h.PostForm("/letters/"+webtest.LetterSlug+"/sign", second)
	if res.Status != http.StatusTooManyRequests || !strings.Contains(res.Doc().Find(".error-summary").Text(), "wait a few minutes") {
		t.Fatalf("second signature within a minute: %d", res.Status)
	}
	if v, _ := res.Doc().Find("#f-affiliation").Attr("value"); v != "Kept Society" {
		t.Errorf("input lost on 429: %q", v)
	}
	h.Clock.Advance(61 * time.Second)
	h.Sign(second)
	if n := countSignatures(t, h); n != 2 {
		t.Errorf("%d signatures stored, want 2", n)
	}
	// An invalid form is corrected, not counted.
	bad := webtest.SignForm("three@example.org")
	bad.Del("consent")
	if res := h.PostForm("/letters/"+webtest.LetterSlug+"/sign", bad); res.Status != http.StatusUnprocessableEntity {
		t.Errorf("an invalid form answered %d, want 422 before any rate limit", res.Status)
	}
}

func TestAllowListedNetworksAreNotLimited(t *testing.T) {
	h := limited(t, func(c *config.Config) { c.Abuse.IPAllowlist = []string{"127.0.0.0/8"} })
	for _, e := range []string{"a@example.org", "b@example.org", "c@example.org"} {
		h.Sign(webtest.SignForm(e))
	}
}

// TestSigningIsRateLimitedPerEmailDomain counts a domain's subdomains with
// it, by its registrable domain, and exempts an allow-listed domain's.
func TestSigningIsRateLimitedPerEmailDomain(t *testing.T) {
	h := webtest.New(t, func(c *config.Config) {
		c.Abuse.DomainLimits = config.RateLimit{Burst: 2, BurstPeriod: time.Minute, Sustained: 10, SustainedPeriod: 5 * time.Minute}
	})
	h.Sign(webtest.SignForm("a@spam-domain.example"))
	h.Sign(webtest.SignForm("b@mx.spam-domain.example"))
	if res := h.PostForm("/letters/"+webtest.LetterSlug+"/sign", webtest.SignForm("c@other.spam-domain.example")); res.Status != http.StatusTooManyRequests {
		t.Errorf("third from spam-domain.example and its subdomains: %d, want 429", res.Status)
	}
	h.Sign(webtest.SignForm("d@other.example"))
	for _, e := range []string{"e@sub.gmail.com", "f@sub.gmail.com", "g@sub.gmail.com"} {
		h.Sign(webtest.SignForm(e)) // gmail.com is allow-listed, and its subdomains with it
	}
}

func TestTrustedProxyDecidesWhoTheClientIs(t *testing.T) {
	post := func(h *webtest.Harness, email, forwardedFor string) int {
		req, _ := http.NewRequest(http.MethodPost, h.URL+"/letters/"+webtest.LetterSlug+"/sign", strings.NewReader(webtest.SignForm(email).Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-Forwarded-For", forwardedFor)
		return h.Do(req).Status
	}
	// Untrusted: the header is ignored; both come from 127.0.0.1 and the second is limited.
	h := limited(t)
	if post(h, "a@example.org", "198.51.100.1") != http.StatusSeeOther || post(h, "b@example.org", "198.51.100.2") != http.StatusTooManyRequests {
		t.Error("X-Forwarded-For was believed from an untrusted peer")
	}
	// Behind a trusted proxy: two different clients.
	h = limited(t, func(c *config.Config) { c.Abuse.TrustedProxies = []string{"127.0.0.1/32"} })
	if post(h, "a@example.org", "198.51.100.1") != http.StatusSeeOther || post(h, "b@example.org", "198.51.100.2") != http.StatusSeeOther {
		t.Error("clients behind the trusted proxy were limited together")
	}
	if post(h, "c@example.org", "198.51.100.1") != http.StatusTooManyRequests {
		t.Error("a client behind the proxy was not limited")
	}
	var sig store.Signature
	h.App.Store.Read(t.Context()).First(&sig)
	if len(sig.NetworkHash) != 64 || strings.Contains(sig.NetworkHash, "198.51") {
		t.Errorf("network kept as %q, want a keyed hash", sig.NetworkHash)
	}
}

func TestBotsAreDroppedSilently(t *testing.T) {
	h := webtest.New(t, func(c *config.Config) { c.Abuse.MinFormTime = 3 * time.Second })
	page := h.Get("/letters/" + webtest.LetterSlug).Doc()
	stamp, _ := page.Find(`input[name="stamp"]`).Attr("value")
	if stamp == "" || page.Find(`#f-homepage`).Length() != 1 {
		t.Fatal("the form lacks its stamp or honeypot")
	}
	cases := []struct {
		name    string
		form    url.Values
		advance time.Duration
	}{
		{"filled honeypot", url.Values{"homepage": {"http://spam.example"}}, 10 * time.Second},
		{"posted at once", url.Values{}, time.Second},
		{"no stamp", url.Values{"stamp": {""}}, 10 * time.Second},
		{"forged stamp", url.Values{"stamp": {"1.00000000000000000000000000000000"}}, 10 * time.Second},
		{"stamp older than max_form_age", url.Values{}, 24*time.Hour + time.Second},
	}
	for _, tt := range cases {
		form := webtest.SignForm("bot@example.org")
		form.Set("stamp", stampOf(h))
		h.Clock.Advance(tt.advance)
		for k, v := range tt.form {
			form[k] = v
		}
		res := h.PostForm("/letters/"+webtest.LetterSlug+"/sign", form)
		if res.Status != http.StatusSeeOther || res.Header.Get("Location") != "/letters/"+webtest.LetterSlug+"/check-inbox" {
			t.Errorf("%s: %d to %q; a bot must see what a person sees", tt.name, res.Status, res.Header.Get("Location"))
		}
	}
	if n := countSignatures(t, h); n != 0 {
		t.Errorf("%d bot signatures stored", n)
	}
	// A person who took a few seconds is welcome, and so is one who left
	// the form open for most of a day.
	for i, took := range []time.Duration{5 * time.Second, 24 * time.Hour} {
		fresh := stampOf(h)
		h.Clock.Advance(took)
		form := webtest.SignForm(fmt.Sprintf("person%d@example.org", i))
		form.Set("stamp", fresh)
		h.Sign(form)
		if n := countSignatures(t, h); n != int64(i+1) {
			t.Errorf("%d signatures after a person took %s to sign, want %d", n, took, i+1)
		}
	}
}

func TestResendAndConfirmAreRateLimited(t *testing.T) {
	h := limited(t)
	h.Sign(webtest.SignForm("a@example.org"))
	h.DrainOutbox()
	link := webtest.ConfirmLink(t, h.URL, h.SMTP.Messages()[0])
	resend := "/letters/" + webtest.LetterSlug + "/resend"
	h.PostForm(resend, url.Values{"email": {"x@example.org"}})
	if res := h.PostForm(resend, url.Values{"email": {"y@example.org"}}); res.Status != http.StatusTooManyRequests {
		t.Errorf("second resend within a minute: %d", res.Status)
	}
	if res := h.PostForm(link, nil); res.Status != http.StatusOK {
		t.Fatalf("first confirmation: %d", res.Status)
	}
	if res := h.PostForm(link, nil); res.Status != http.StatusOK || !strings.Contains(res.Body, "already been used") {
		t.Errorf("a second click on a used link should say so, not be limited: %d", res.Status)
	}
}

func TestNetworkHashesAreErasedAfterRetention(t *testing.T) {
	h := webtest.New(t)
	h.Sign(webtest.SignForm("a@example.org"))
	signAndConfirm(t, h, webtest.SignForm("b@example.org"))
	h.Clock.Advance(31 * 24 * time.Hour)
	if _, err := h.App.Signing.Expire(t.Context()); err != nil {
		t.Fatal(err)
	}
	var kept int64
	h.App.Store.Read(t.Context()).Model(&store.Signature{}).Where("network_hash <> ''").Count(&kept)
	if kept != 0 {
		t.Errorf("%d signatures still keep their network after 30 days", kept)
	}
}

// stampOf draws the letter page and returns its form stamp.
func stampOf(h *webtest.Harness) string {
	stamp, _ := h.Get("/letters/" + webtest.LetterSlug).Doc().Find(`input[name="stamp"]`).Attr("value")
	return stamp
}

// block adds a block through the admins' console, as admin.
func block(t *testing.T, admin *webtest.Browser, kind, value string) {
	t.Helper()
	if res := admin.Post("/admin/abuse/blocks", url.Values{"kind": {kind}, "value": {value}}); res.Status != http.StatusSeeOther {
		t.Fatalf("block %s %s: %d", kind, value, res.Status)
	}
}

func TestBlockedDomainCoversItsSubdomains(t *testing.T) {
	h := webtest.New(t)
	admin := h.LoginAs("admin@campaign.example", store.RoleAdmin)
	block(t, admin, "domain", "spam-co.example")
	block(t, admin, "domain", "mx.other.example")
	blocked := []string{"a@spam-co.example", "b@mx.spam-co.example", "c@a.b.spam-co.example", "d@relay.mx.other.example"}
	// Another domain that ends alike, the parent and a sibling of a blocked subdomain.
	welcome := []string{"e@notspam-co.example", "f@other.example", "g@www.other.example"}
	for _, email := range append(blocked, welcome...) {
		h.Sign(webtest.SignForm(email)) // the same page either way
	}
	if n := countSignatures(t, h); n != int64(len(welcome)) {
		t.Errorf("%d signatures stored, want %d: those of %v, none of %v", n, len(welcome), welcome, blocked)
	}
	if res := admin.Post("/admin/abuse/blocks", url.Values{"kind": {"domain"}, "value": {"co.uk"}}); res.Status != http.StatusUnprocessableEntity {
		t.Errorf("a block on the public suffix co.uk, which matches no address: %d, want 422", res.Status)
	}
}

// TestInvalidFormDoesNotTellWhetherItsDomainIsBlocked posts the same invalid
// forms from a blocked domain and from another: the answers must be the same
// but for the address typed.
func TestInvalidFormDoesNotTellWhetherItsDomainIsBlocked(t *testing.T) {
	h := webtest.New(t)
	block(t, h.LoginAs("admin@campaign.example", store.RoleAdmin), "domain", "blocked.example")
	post := func(path string, form url.Values) *webtest.Response {
		res := h.PostForm(path, form)
		res.Body = strings.ReplaceAll(res.Body, form.Get("email"), "EMAIL")
		return res
	}
	sign := func(email string) url.Values {
		form := webtest.SignForm(email)
		form.Del("consent")
		return form
	}
	forms := []struct {
		name, path       string
		blocked, allowed url.Values
	}{
		{"sign form without consent", "/letters/" + webtest.LetterSlug + "/sign", sign("bot@blocked.example"), sign("person@fine.example")},
		{"resend with a malformed address", "/letters/" + webtest.LetterSlug + "/resend",
			url.Values{"email": {"bot@@blocked.example"}}, url.Values{"email": {"person@@fine.example"}}},
	}
	for _, f := range forms {
		blocked, allowed := post(f.path, f.blocked), post(f.path, f.allowed)
		if allowed.Status != http.StatusUnprocessableEntity {
			t.Fatalf("%s: %d, want 422", f.name, allowed.Status)
		}
		if blocked.Status != allowed.Status || blocked.Body != allowed.Body {
			t.Errorf("%s: a blocked domain answered %d, another %d; the pages differ: %v", f.name,
				blocked.Status, allowed.Status, blocked.Body != allowed.Body)
		}
	}
}
