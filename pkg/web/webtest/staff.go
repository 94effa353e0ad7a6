package webtest

import (
	"context"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"

	"gorm.io/gorm"

	"github.com/undersigned/undersigned/pkg/store"
	"github.com/undersigned/undersigned/pkg/vault"
)

// StaffPassword is the password AddStaff gives every account.
const StaffPassword = "correct horse battery staple"

// AddStaff creates a staff account.
func (h *Harness) AddStaff(email string, role store.Role) *store.Staff {
	h.t.Helper()
	m, err := h.App.Staff.Add(context.Background(), store.CommandLineActor("webtest"), email, role, StaffPassword)
	if err != nil {
		h.t.Fatalf("webtest: add staff %s: %v", email, err)
	}
	return m
}

// Browser is an HTTP client with its own cookies, as one person's browser.
type Browser struct {
	h      *Harness
	Client *http.Client
}

// NewBrowser returns a client with an empty cookie jar.
func (h *Harness) NewBrowser() *Browser {
	jar, err := cookiejar.New(nil)
	if err != nil {
		h.t.Fatal(err)
	}
	c := *h.Client
	c.Jar = jar
	return &Browser{h: h, Client: &c}
}

// LoginAs adds an account with role and logs a new browser into it.
func (h *Harness) LoginAs(email string, role store.Role) *Browser {
	h.t.Helper()
	h.AddStaff(email, role)
	b := h.NewBrowser()
	res := b.Login(email, StaffPassword)
	if res.Status != http.StatusSeeOther {
		h.t.Fatalf("webtest: login %s: %d\n%s", email, res.Status, res.Body)
	}
	return b
}

// Login fetches the login form and posts it.
func (b *Browser) Login(email, password string) *Response {
	b.h.t.Helper()
	b.Get("/admin/login")
	return b.Post("/admin/login", url.Values{"email": {email}, "password": {password}})
}

// Get requests path with the browser's cookies.
func (b *Browser) Get(path string) *Response {
	b.h.t.Helper()
	req, err := http.NewRequest(http.MethodGet, b.h.URL+path, nil)
	if err != nil {
		b.h.t.Fatal(err)
	}
	return b.do(req)
}

// Post posts a form with the browser's cookies and its CSRF token.
func (b *Browser) Post(path string, values url.Values) *Response {
	b.h.t.Helper()
	v := url.Values{}
	for k, vs := range values {
		v[k] = vs
	}
	if !v.Has("csrf") {
		v.Set("csrf", b.CSRF())
	}
	return b.PostRaw(path, v)
}

// PostRaw posts a form exactly as given, without adding a CSRF token.
func (b *Browser) PostRaw(path string, values url.Values) *Response {
	b.h.t.Helper()
	return b.do(b.newPost(path, values))
}

// LoginFrom logs in as Login does, through a proxy that reports the client's
// address as clientIP in X-Forwarded-For; the harness must trust 127.0.0.1
// (abuse.trusted_proxies) for the app to believe it.
func (b *Browser) LoginFrom(clientIP, email, password string) *Response {
	b.h.t.Helper()
	b.Get("/admin/login")
	req := b.newPost("/admin/login", url.Values{"email": {email}, "password": {password}, "csrf": {b.CSRF()}})
	req.Header.Set("X-Forwarded-For", clientIP)
	return b.do(req)
}

func (b *Browser) newPost(path string, values url.Values) *http.Request {
	b.h.t.Helper()
	req, err := http.NewRequest(http.MethodPost, b.h.URL+path, strings.NewReader(values.Encode()))
	if err != nil {
		b.h.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return req
}

// CSRF is the browser's CSRF token, from its cookie.
func (b *Browser) CSRF() string {
	u, _ := url.Parse(b.h.URL + "/admin")
	for _, c := range b.Client.Jar.Cookies(u) {
		if c.Name == "undersigned_csrf" {
			return c.Value
		}
	}
	return ""
}

func (b *Browser) do(req *http.Request) *Response {
	b.h.t.Helper()
	return b.h.doWith(b.Client, req)
}

// SeedPending stores n confirmed signatures awaiting review straight in the
// database (a fixture for console tests that need many), organisations in
// country, and returns their ids in insertion order.
func (h *Harness) SeedPending(n int, country string) []uint64 {
	h.t.Helper()
	letter, _ := h.App.Letters.BySlug(LetterSlug)
	now := h.Clock.Now()
	rows := make([]store.Signature, n)
	for i := range rows {
		email := fmt.Sprintf("seed%d@org%d.example", i, i)
		sealed, err := h.App.Vault.Seal(vault.PurposeEmail, email)
		if err != nil {
			h.t.Fatal(err)
		}
		rows[i] = store.Signature{LetterID: letter.ID, Kind: store.KindOrganisation, Name: fmt.Sprintf("Org %04d", i),
			Website: fmt.Sprintf("https://org%d.example", i), OrgType: "ngo", Country: country, ShowName: true,
			EmailSealed: sealed, EmailHash: h.App.Vault.Hash(vault.PurposeEmail, email), Status: store.StatusPendingReview,
			TokenHash: fmt.Sprintf("seed-%d", i), TokenExpiresAt: now, ConfirmedAt: &now, Locale: "en",
			LetterVersion: letter.In(letter.Lang).VersionKey, ConsentVersion: "test"}
		rows[i].SetDerived(h.App.Store.SortKeys)
	}
	err := h.App.Store.Write(context.Background(), func(tx *gorm.DB) error { return tx.CreateInBatches(rows, 100).Error })
	if err != nil {
		h.t.Fatalf("webtest: seed: %v", err)
	}
	ids := make([]uint64, n)
	for i, r := range rows {
		ids[i] = r.ID
	}
	return ids
}
