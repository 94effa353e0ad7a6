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

func TestConsoleNeedsALogin(t *testing.T) {
	h := webtest.New(t)
	for _, path := range []string{"/admin", "/admin/audit", "/admin/export", "/admin/staff", "/admin/signatures/1"} {
		res := h.Get(path)
		if res.Status != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/admin/login?next=") {
			t.Errorf("GET %s without login: %d to %q", path, res.Status, res.Header.Get("Location"))
		}
	}
}

func TestLoginRightAndWrong(t *testing.T) {
	_, b := withModerator(t)

	wrong := b.Login("mod@campaign.example", "not the password")
	unknown := b.Login("nobody@campaign.example", webtest.StaffPassword)
	for _, res := range []*webtest.Response{wrong, unknown} {
		if res.Status != http.StatusUnauthorized || !strings.Contains(res.Body, "The email address or password is wrong.") {
			t.Errorf("failed login: %d", res.Status)
		}
	}
	if wrong.Doc().Find(".error-summary").Text() != unknown.Doc().Find(".error-summary").Text() {
		t.Error("unknown email and wrong password answer differently")
	}
	if v, _ := wrong.Doc().Find("#f-password").Attr("value"); v != "" {
		t.Error("the password was echoed back into the form")
	}

	right := b.Login("MOD@campaign.example ", webtest.StaffPassword)
	if right.Status != http.StatusSeeOther || right.Header.Get("Location") != "/admin" {
		t.Fatalf("login: %d to %q", right.Status, right.Header.Get("Location"))
	}
	var cookie string
	for _, c := range right.Header.Values("Set-Cookie") {
		if strings.HasPrefix(c, "undersigned_staff=") {
			cookie = c
		}
	}
	for _, want := range []string{"undersigned_staff=", "HttpOnly", "SameSite=Lax", "Path=/admin"} {
		if !strings.Contains(cookie, want) {
			t.Errorf("session cookie %q lacks %s", cookie, want)
		}
	}
	if strings.Contains(cookie, "Secure") {
		t.Error("cookie marked Secure on an http base URL")
	}
	queue := b.Get("/admin")
	if queue.Status != http.StatusOK || !strings.Contains(queue.Body, "Review queue") {
		t.Fatalf("queue after login: %d", queue.Status)
	}
	if queue.Header.Get("Cache-Control") != "no-store" {
		t.Error("console pages may be cached")
	}
}

func TestLoginRedirectStaysInTheConsole(t *testing.T) {
	h := webtest.New(t)
	h.AddStaff("mod@campaign.example", store.RoleModerator)
	for next, want := range map[string]string{
		"/admin/audit?action=approve": "/admin/audit?action=approve",
		"https://evil.example/admin":  "/admin",
		"//evil.example":              "/admin",
		"/admin/login":                "/admin",
	} {
		b := h.NewBrowser()
		b.Get("/admin/login?next=" + url.QueryEscape(next))
		res := b.Post("/admin/login", url.Values{"email": {"mod@campaign.example"}, "password": {webtest.StaffPassword}, "next": {next}})
		if got := res.Header.Get("Location"); got != want {
			t.Errorf("next=%q: redirected to %q, want %q", next, got, want)
		}
	}
}

func TestRepeatedFailuresLockTheAccountOut(t *testing.T) {
	h, b := withModerator(t)
	for i := range 10 {
		if res := b.Login("mod@campaign.example", fmt.Sprintf("guess %d", i)); res.Status != http.StatusUnauthorized {
			t.Fatalf("failure %d: %d", i+1, res.Status)
		}
	}
	locked := b.Login("mod@campaign.example", webtest.StaffPassword)
	if locked.Status != http.StatusTooManyRequests || !strings.Contains(locked.Body, "Too many failed attempts") {
		t.Fatalf("11th attempt with the right password: %d, want 429", locked.Status)
	}
	h.Clock.Advance(14 * time.Minute)
	if res := b.Login("mod@campaign.example", webtest.StaffPassword); res.Status != http.StatusTooManyRequests {
		t.Errorf("still inside the window: %d, want 429", res.Status)
	}
	h.Clock.Advance(time.Minute + time.Second)
	if res := b.Login("mod@campaign.example", webtest.StaffPassword); res.Status != http.StatusSeeOther {
		t.Errorf("after the window: %d, want a login", res.Status)
	}
}

func TestRepeatedFailuresFromOneAddressLockItOut(t *testing.T) {
	_, b := withModerator(t)
	for i := range 10 {
		b.Login(fmt.Sprintf("guess%d@campaign.example", i), "whatever password")
	}
	if res := b.Login("mod@campaign.example", webtest.StaffPassword); res.Status != http.StatusTooManyRequests {
		t.Errorf("login from an address with 10 failures on other accounts: %d, want 429", res.Status)
	}
}

func TestSessionsExpireWhenIdleAndAtTheLatestAfterTwelveHours(t *testing.T) {
	h := webtest.New(t)
	idle := h.LoginAs("idle@campaign.example", store.RoleModerator)
	h.Clock.Advance(29 * time.Minute)
	if res := idle.Get("/admin"); res.Status != http.StatusOK {
		t.Fatalf("after 29 idle minutes: %d", res.Status)
	}
	h.Clock.Advance(31 * time.Minute)
	if res := idle.Get("/admin"); res.Status != http.StatusSeeOther {
		t.Errorf("after 31 idle minutes: %d, want a redirect to login", res.Status)
	}

	busy := h.LoginAs("busy@campaign.example", store.RoleModerator)
	for elapsed := 20 * time.Minute; elapsed < 12*time.Hour; elapsed += 20 * time.Minute {
		h.Clock.Advance(20 * time.Minute)
		if res := busy.Get("/admin"); res.Status != http.StatusOK {
			t.Fatalf("active session ended after %s", elapsed)
		}
	}
	h.Clock.Advance(20 * time.Minute)
	if res := busy.Get("/admin"); res.Status != http.StatusSeeOther {
		t.Errorf("session alive after 12 hours: %d", res.Status)
	}
}

func TestLogoutEndsTheSession(t *testing.T) {
	h := webtest.New(t)
	b := h.LoginAs("mod@campaign.example", store.RoleModerator)
	u, _ := url.Parse(h.URL + "/admin")
	stolen := b.Client.Jar.Cookies(u)
	if res := b.Post("/admin/logout", nil); res.Status != http.StatusSeeOther {
		t.Fatalf("logout: %d", res.Status)
	}
	replay := h.NewBrowser()
	replay.Client.Jar.SetCookies(u, stolen)
	if res := replay.Get("/admin"); res.Status != http.StatusSeeOther {
		t.Errorf("the old session cookie still works after logout: %d", res.Status)
	}
}

func TestLoginIssuesANewToken(t *testing.T) {
	h := webtest.New(t)
	h.AddStaff("mod@campaign.example", store.RoleModerator)
	first, second := h.NewBrowser(), h.NewBrowser()
	first.Login("mod@campaign.example", webtest.StaffPassword)
	second.Login("mod@campaign.example", webtest.StaffPassword)
	u, _ := url.Parse(h.URL + "/admin")
	token := func(b *webtest.Browser) string {
		for _, c := range b.Client.Jar.Cookies(u) {
			if c.Name == "undersigned_staff" {
				return c.Value
			}
		}
		return ""
	}
	if token(first) == "" || token(first) == token(second) {
		t.Error("two logins share a session token")
	}
}

func TestFormsWithoutTheCSRFTokenAreRefused(t *testing.T) {
	h := webtest.New(t)
	ids := h.SeedPending(1, "DE")
	b := h.LoginAs("mod@campaign.example", store.RoleModerator)
	approve := url.Values{"ids": {fmt.Sprint(ids[0])}, "action": {"approve"}}
	if res := b.PostRaw("/admin/signatures/actions", approve); res.Status != http.StatusForbidden {
		t.Errorf("no token: %d, want 403", res.Status)
	}
	approve.Set("csrf", "forged")
	if res := b.PostRaw("/admin/signatures/actions", approve); res.Status != http.StatusForbidden {
		t.Errorf("wrong token: %d, want 403", res.Status)
	}
	if res := h.NewBrowser().PostRaw("/admin/login", url.Values{"email": {"mod@campaign.example"}, "password": {webtest.StaffPassword}}); res.Status != http.StatusForbidden {
		t.Errorf("login without a token: %d, want 403", res.Status)
	}
	var sig store.Signature
	h.App.Store.Read(t.Context()).First(&sig, ids[0])
	if sig.Status != store.StatusPendingReview {
		t.Errorf("a forged form changed the signature to %s", sig.Status)
	}
	if res := b.Post("/admin/signatures/actions", url.Values{"ids": {fmt.Sprint(ids[0])}, "action": {"approve"}}); res.Status != http.StatusSeeOther {
		t.Errorf("with the token: %d", res.Status)
	}
}

func TestDisablingStaffEndsTheirSessions(t *testing.T) {
	h := webtest.New(t)
	admin := h.LoginAs("admin@campaign.example", store.RoleAdmin)
	mod := h.LoginAs("mod@campaign.example", store.RoleModerator)
	if res := admin.Post("/admin/staff/disable", url.Values{"email": {"mod@campaign.example"}}); res.Status != http.StatusSeeOther {
		t.Fatalf("disable: %d", res.Status)
	}
	if res := mod.Get("/admin"); res.Status != http.StatusSeeOther {
		t.Errorf("disabled moderator still in: %d", res.Status)
	}
	if res := h.NewBrowser().Login("mod@campaign.example", webtest.StaffPassword); res.Status != http.StatusUnauthorized {
		t.Errorf("disabled moderator can log in: %d", res.Status)
	}
}

func TestCookiesAreSecureBehindTLS(t *testing.T) {
	h := webtest.New(t, func(c *config.Config) { c.BaseURL = "https://letters.example.org" })
	h.AddStaff("mod@campaign.example", store.RoleModerator)
	b := h.NewBrowser()
	b.Get("/admin/login")
	csrf := ""
	for _, c := range b.Client.Jar.Cookies(mustURL(t, h.URL+"/admin")) {
		if c.Name == "undersigned_csrf" {
			csrf = c.Value
		}
	}
	res := b.PostRaw("/admin/login", url.Values{"email": {"mod@campaign.example"}, "password": {webtest.StaffPassword}, "csrf": {csrf}})
	var session string
	for _, c := range res.Header.Values("Set-Cookie") {
		if strings.HasPrefix(c, "undersigned_staff=") {
			session = c
		}
	}
	if !strings.Contains(session, "Secure") || !strings.Contains(session, "HttpOnly") {
		t.Errorf("session cookie behind TLS: %q", session)
	}
	if hsts := res.Header.Get("Strict-Transport-Security"); !strings.Contains(hsts, "max-age=") {
		t.Errorf("no HSTS behind TLS: %q", hsts)
	}
}

// withModerator starts a harness with one moderator account,
// mod@campaign.example, and a browser that has not logged in.
func withModerator(t *testing.T, change ...func(*config.Config)) (*webtest.Harness, *webtest.Browser) {
	t.Helper()
	h := webtest.New(t, change...)
	h.AddStaff("mod@campaign.example", store.RoleModerator)
	return h, h.NewBrowser()
}

func mustURL(t *testing.T, raw string) *url.URL {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestLoginWhileEveryPasswordCheckIsTakenIsAskedToRetry(t *testing.T) {
	h, b := withModerator(t, func(c *config.Config) { c.Staff.HashConcurrency = 1 })
	if err := h.App.HashSlots.Acquire(t.Context(), 1); err != nil {
		t.Fatal(err)
	}
	hashed := h.App.Staff.PasswordsHashed()
	busy := b.Login("mod@campaign.example", webtest.StaffPassword)
	h.App.HashSlots.Release(1)
	if busy.Status != http.StatusTooManyRequests || busy.Header.Get("Retry-After") != "1" {
		t.Fatalf("login with no check free: %d, Retry-After %q; want 429 and 1", busy.Status, busy.Header.Get("Retry-After"))
	}
	if !strings.Contains(busy.Doc().Find(".error-summary").Text(), "Wait a second and try again.") {
		t.Errorf("no message beside the form:\n%s", busy.Body)
	}
	if v, _ := busy.Doc().Find("#f-email").Attr("value"); v != "mod@campaign.example" {
		t.Errorf("the form lost the email: %q", v)
	}
	if n := h.App.Staff.PasswordsHashed() - hashed; n != 0 {
		t.Errorf("%d passwords hashed without a free slot", n)
	}
	if res := b.Login("mod@campaign.example", webtest.StaffPassword); res.Status != http.StatusSeeOther {
		t.Errorf("login once a check is free: %d, want 303", res.Status)
	}
}

func TestParallelWrongLoginsHashNoMoreThanTheLockoutAllows(t *testing.T) {
	h, b := withModerator(t)
	b.Get("/admin/login")
	forms := make([]url.Values, 40)
	for i := range forms {
		forms[i] = url.Values{"email": {"mod@campaign.example"}, "password": {fmt.Sprintf("guess %d", i)}, "csrf": {b.CSRF()}}
	}
	before := h.App.Staff.PasswordsHashed()
	statuses := webtest.PostAtOnce(b.Client, h.URL+"/admin/login", forms)
	hashed := h.App.Staff.PasswordsHashed() - before
	t.Logf("answers %v, %d passwords hashed", statuses, hashed)
	if hashed > 10 {
		t.Errorf("%d of 40 wrong passwords hashed, want at most staff.lockout_failures (10)", hashed)
	}
	if int64(statuses[http.StatusUnauthorized]) != hashed || statuses[http.StatusUnauthorized]+statuses[http.StatusTooManyRequests] != 40 {
		t.Errorf("answers %v: want 401 for each of the %d hashed and 429 for the rest", statuses, hashed)
	}
	if res := b.Login("mod@campaign.example", webtest.StaffPassword); res.Status != http.StatusTooManyRequests {
		t.Errorf("the right password after the storm: %d, want 429 (locked out)", res.Status)
	}
}

func TestLockoutCountsAnIPv6ClientByItsSlash64(t *testing.T) {
	_, b := withModerator(t, func(c *config.Config) { c.Abuse.TrustedProxies = []string{"127.0.0.1/32"} })
	for i := range 10 { // ten addresses of one /64, each guessing at another account
		res := b.LoginFrom(fmt.Sprintf("2001:db8:1:2::%x", i+1), fmt.Sprintf("guess%d@campaign.example", i), "whatever password")
		if res.Status != http.StatusUnauthorized {
			t.Fatalf("failure %d: %d", i+1, res.Status)
		}
	}
	if res := b.LoginFrom("2001:db8:1:2:ffff:ffff:ffff:ffff", "mod@campaign.example", webtest.StaffPassword); res.Status != http.StatusTooManyRequests {
		t.Errorf("another address of the same /64: %d, want 429", res.Status)
	}
	if res := b.LoginFrom("2001:db8:1:3::1", "mod@campaign.example", webtest.StaffPassword); res.Status != http.StatusSeeOther {
		t.Errorf("an address of the next /64: %d, want a login", res.Status)
	}
}
