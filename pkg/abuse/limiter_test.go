package abuse

import (
	"net/netip"
	"testing"
	"time"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func TestLimiterEnforcesBurstAndSustainedWindows(t *testing.T) {
	c := &clock{t: time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)}
	l := NewLimiter(c.now, Window{Count: 1, Period: time.Minute}, Window{Count: 5, Period: 5 * time.Minute})
	steps := []struct {
		after time.Duration
		want  bool
	}{
		{0, true}, {10 * time.Second, false}, {50 * time.Second, true}, // one a minute
		{61 * time.Second, true}, {61 * time.Second, true}, {61 * time.Second, true}, // 5 in 4m04s
		{50 * time.Second, false}, // a sixth within five minutes
		{20 * time.Second, true},  // the first has left the five-minute window
	}
	for i, s := range steps {
		c.t = c.t.Add(s.after)
		if got := l.Allow(t.Context(), "192.0.2.1"); got != s.want {
			t.Errorf("step %d (+%s): Allow = %v, want %v", i, s.after, got, s.want)
		}
	}
	if !l.Allow(t.Context(), "192.0.2.2") {
		t.Error("another key was limited")
	}
}

func TestNetworkKeys(t *testing.T) {
	for _, tt := range []struct{ addr, key, network string }{
		{"192.0.2.77", "192.0.2.77", "192.0.2.0/24"},
		{"::ffff:192.0.2.77", "192.0.2.77", "192.0.2.0/24"},
		{"2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64", "2001:db8:1::/48"},
	} {
		addr := netip.MustParseAddr(tt.addr)
		if got := NetworkKey(addr); got != tt.key {
			t.Errorf("NetworkKey(%s) = %s, want %s", tt.addr, got, tt.key)
		}
		if got := NetworkOf(addr).String(); got != tt.network {
			t.Errorf("NetworkOf(%s) = %s, want %s", tt.addr, got, tt.network)
		}
	}
	if EmailDomain("Ada@Example.ORG ") != "example.org" || EmailDomain("nodomain") != "" {
		t.Error("EmailDomain")
	}
}
