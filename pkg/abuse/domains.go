package abuse

import (
	"strings"

	"golang.org/x/net/publicsuffix"
)

// RegistrableDomain is the part of a domain that one owner registers, by the
// public suffix list: "spam-co.example" for "mx.spam-co.example",
// "spam-co.co.uk" for "mx.spam-co.co.uk". Whoever holds it can make any
// number of subdomains, so the per-domain limits count them all under it.
// A name the list cannot split, a public suffix itself ("co.uk", "example")
// or a malformed one, is its own registrable domain. Top-level domains the
// list does not know, such as .example and .test, split before their last
// label, as the list's default rule says.
func RegistrableDomain(domain string) string {
	if registrable, err := publicsuffix.EffectiveTLDPlusOne(domain); err == nil {
		return registrable
	}
	return domain
}

// domainAndParents is domain and each of its parents up to its registrable
// domain: "a.mx.spam-co.example", "mx.spam-co.example", "spam-co.example".
// A block or allow-list entry on any of them covers domain; one on a public
// suffix covers nothing but itself.
func domainAndParents(domain string) []string {
	registrable := RegistrableDomain(domain)
	names := []string{domain}
	for name := domain; name != registrable; {
		_, parent, ok := strings.Cut(name, ".")
		if !ok {
			break
		}
		names = append(names, parent)
		name = parent
	}
	return names
}

// domainSet is a set of domains that also holds their subdomains, up to the
// registrable domain: the block list's domains and the domain allow-list.
type domainSet map[string]bool

// newDomainSet is the set of domains, lower-cased and trimmed.
func newDomainSet(domains []string) domainSet {
	set := domainSet{}
	for _, d := range domains {
		set[strings.ToLower(strings.TrimSpace(d))] = true
	}
	return set
}

// covers reports whether domain, or a parent of it within its registrable
// domain, is in the set.
func (s domainSet) covers(domain string) bool {
	if domain == "" || len(s) == 0 {
		return false
	}
	for _, name := range domainAndParents(domain) {
		if s[name] {
			return true
		}
	}
	return false
}
