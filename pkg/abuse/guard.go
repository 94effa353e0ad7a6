package abuse

import (
	"context"
	"errors"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/undersigned/undersigned/pkg/config"
	"github.com/undersigned/undersigned/pkg/vault"
)

// ErrRateLimited is returned when a client network or an email domain has
// acted too often.
var ErrRateLimited = errors.New("abuse: too many requests")

// Action is what a client does that is rate limited.
type Action string

// The limited actions.
const (
	ActionSign    Action = "sign"
	ActionResend  Action = "resend"
	ActionConfirm Action = "confirm"
)

// Guard applies the configured defences.
type Guard struct {
	cfg            config.Abuse
	vault          *vault.Vault
	now            func() time.Time
	byNetwork      map[Action]Counter
	byDomain       map[Action]Counter
	allowedIPs     []netip.Prefix
	allowedDomains domainSet
}

// NewGuard builds the limits from cfg (which Validate has checked), each
// counted by a counter that counters makes: InMemory on a server alone,
// SharedCounts.Counter when servers share a database.
func NewGuard(cfg config.Abuse, v *vault.Vault, now func() time.Time, counters Counters) *Guard {
	g := &Guard{cfg: cfg, vault: v, now: now, byNetwork: map[Action]Counter{}, byDomain: map[Action]Counter{},
		allowedIPs: parsePrefixes(cfg.IPAllowlist), allowedDomains: newDomainSet(cfg.DomainAllowlist)}
	for _, a := range []Action{ActionSign, ActionResend, ActionConfirm} {
		g.byNetwork[a] = counters(string(a)+" network", windows(cfg.IPLimits))
		g.byDomain[a] = counters(string(a)+" domain", windows(cfg.DomainLimits))
	}
	return g
}

// parsePrefixes parses networks that config.Validate has checked.
func parsePrefixes(networks []string) []netip.Prefix {
	prefixes := make([]netip.Prefix, 0, len(networks))
	for _, s := range networks {
		prefixes = append(prefixes, netip.MustParsePrefix(s))
	}
	return prefixes
}

func windows(l config.RateLimit) []Window {
	return []Window{{Count: l.Burst, Period: l.BurstPeriod}, {Count: l.Sustained, Period: l.SustainedPeriod}}
}

// Allow checks one action by a client (its address as text) for an email
// address ("" when the action has none). Allow-listed networks skip the
// per-network limit and allow-listed domains, with their subdomains, the
// per-domain one. An address counts against its registrable domain, so that
// b@mx.spam-co.example and c@spam-co.example share spam-co.example's limit.
func (g *Guard) Allow(ctx context.Context, a Action, clientIP, email string) error {
	if addr, err := netip.ParseAddr(clientIP); err == nil && !inPrefixes(addr, g.allowedIPs) {
		if !g.byNetwork[a].Allow(ctx, NetworkKey(addr)) {
			return ErrRateLimited
		}
	}
	if domain := EmailDomain(email); domain != "" && !g.allowedDomains.covers(domain) {
		if !g.byDomain[a].Allow(ctx, RegistrableDomain(domain)) {
			return ErrRateLimited
		}
	}
	return nil
}

// inPrefixes reports whether addr is in one of prefixes.
func inPrefixes(addr netip.Addr, prefixes []netip.Prefix) bool {
	addr = addr.Unmap()
	for _, p := range prefixes {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

// Stamp is put in the sign form when it is drawn: the time, signed, so that
// a post can tell how long the form was open.
func (g *Guard) Stamp() string {
	ts := strconv.FormatInt(g.now().Unix(), 10)
	return ts + "." + g.vault.Hash("form.stamp", ts)[:32]
}

// LooksAutomated reports whether a sign form post should be dropped
// silently: its honeypot field was filled in, or it came back sooner than
// a person could have filled it, or without a valid stamp. A stamp older
// than abuse.max_form_age counts as none: a bot that fetched the form once
// cannot post it with that stamp for ever. With abuse.min_form_time 0 the
// stamp is not checked.
func (g *Guard) LooksAutomated(stamp, honeypot string) bool {
	if honeypot != "" {
		return true
	}
	if g.cfg.MinFormTime <= 0 {
		return false
	}
	drawn, ok := g.stampTime(stamp)
	if !ok {
		return true
	}
	open := g.now().Sub(drawn)
	return open < g.cfg.MinFormTime || open > g.cfg.MaxFormAge
}

// stampTime is when the form carrying stamp was drawn, if the stamp is one
// Stamp made.
func (g *Guard) stampTime(stamp string) (time.Time, bool) {
	ts, mac, ok := strings.Cut(stamp, ".")
	if !ok || len(mac) != 32 || g.vault.Hash("form.stamp", ts)[:32] != mac {
		return time.Time{}, false
	}
	unix, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return time.Time{}, false
	}
	return time.Unix(unix, 0), true
}

// HashNetwork is the keyed hash of the /24 or /48 a client address belongs
// to, which a signature keeps (for bulk invalidation) instead of the address.
func (g *Guard) HashNetwork(clientIP string) string {
	addr, err := netip.ParseAddr(clientIP)
	if err != nil {
		return ""
	}
	return NetworkHash(g.vault, addr)
}
