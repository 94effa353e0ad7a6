package abuse

import (
	"errors"
	"testing"
	"time"

	"github.com/undersigned/undersigned/pkg/config"
)

func TestRegistrableDomain(t *testing.T) {
	for _, tt := range []struct{ domain, want string }{
		{"mx.spam-co.example", "spam-co.example"}, // a top-level domain the list does not know: its default rule
		{"spam-co.example", "spam-co.example"},
		{"a.b.c.test", "c.test"},
		{"sub.gmail.com", "gmail.com"},
		{"mail.spam-co.co.uk", "spam-co.co.uk"}, // a public suffix of two labels
		{"x.blogspot.com", "x.blogspot.com"},    // and one in the list's private section
		{"co.uk", "co.uk"},                      // a public suffix is its own
		{"example", "example"},
		{"localhost", "localhost"},
	} {
		if got := RegistrableDomain(tt.domain); got != tt.want {
			t.Errorf("RegistrableDomain(%q) = %q, want %q", tt.domain, got, tt.want)
		}
	}
}

func TestDomainSetCoversSubdomainsWithinTheRegistrableDomain(t *testing.T) {
	set := newDomainSet([]string{"spam-co.example", "MX.Other.example ", "co.uk", "example"})
	for _, tt := range []struct {
		domain string
		want   bool
	}{
		{"spam-co.example", true},
		{"mx.spam-co.example", true},
		{"a.b.spam-co.example", true},
		{"notspam-co.example", false}, // a string suffix, not a parent
		{"mx.other.example", true},
		{"a.mx.other.example", true},
		{"other.example", false}, // a block on a subdomain leaves its parent alone
		{"www.other.example", false},
		{"spam.co.uk", false}, // an entry on a public suffix covers only itself
		{"co.uk", true},
		{"anything.example", false},
		{"", false},
	} {
		if got := set.covers(tt.domain); got != tt.want {
			t.Errorf("covers(%q) = %v, want %v", tt.domain, got, tt.want)
		}
	}
}

func TestDomainLimitCountsTheRegistrableDomain(t *testing.T) {
	c := &clock{t: time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)}
	cfg := config.Default().Abuse
	cfg.DomainLimits = config.RateLimit{Burst: 2, BurstPeriod: time.Minute, Sustained: 10, SustainedPeriod: 5 * time.Minute}
	g := NewGuard(cfg, nil, c.now, InMemory(c.now))
	for i, email := range []string{"a@spam-co.example", "b@mx.spam-co.example"} {
		if err := g.Allow(t.Context(), ActionSign, "", email); err != nil {
			t.Fatalf("signature %d (%s): %v", i+1, email, err)
		}
	}
	if err := g.Allow(t.Context(), ActionSign, "", "c@other.spam-co.example"); !errors.Is(err, ErrRateLimited) {
		t.Errorf("a third from spam-co.example's subdomains: %v, want ErrRateLimited", err)
	}
	if err := g.Allow(t.Context(), ActionSign, "", "d@elsewhere.example"); err != nil {
		t.Errorf("another domain: %v", err)
	}
	// The allow-list holds gmail.com: its subdomains are exempt with it.
	for range 5 {
		if err := g.Allow(t.Context(), ActionSign, "", "e@sub.gmail.com"); err != nil {
			t.Fatalf("sub.gmail.com, under the allow-listed gmail.com: %v", err)
		}
	}
}
