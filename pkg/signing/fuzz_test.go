package signing

import (
	"net/mail"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/undersigned/undersigned/pkg/store"
)

// fuzzKinds are the kinds FuzzValidate picks from: the two real ones and junk.
var fuzzKinds = []store.Kind{store.KindOrganisation, store.KindIndividual, "other"}

// fuzzCountry accepts a few assigned codes, as geo.Countries.Valid would.
func fuzzCountry(c string) bool { return c == "DE" || c == "GB" || c == "FR" }

// FuzzValidate proves that whatever a signer submits, Validate does not panic;
// that a request it accepts has a clean name, affiliation and contact name
// (non-empty where required, valid UTF-8, NFC, no control or invisible
// formatting characters but a zero width (non-)joiner between two letters or
// marks of a script other than Latin, at most 200 characters), an address that
// net/mail.ParseAddress returns unchanged and of at most 254 bytes, and, for an
// organisation, an absolute http(s) website of at most 300 characters; and that
// Validate is idempotent: a second pass over its output changes nothing and
// reports the same fields.
func FuzzValidate(f *testing.F) {
	f.Add(uint8(0), "Open Rights Group", "", "example.org", "ngo", "Ada Lovelace", "gb", "ada@example.org", true, "partner-1")
	f.Add(uint8(1), " Ada Lovelace ", "University of London", "", "", "", " de ", " ada@example.org ", true, "")
	f.Add(uint8(1), "e\u0301cole", "Cafe\u0301", "", "", "", "FR", "x@y.example", true, "")
	f.Add(uint8(0), "Acme\u202e", "", "HTTPS://EXAMPLE.ORG/a b", "company", "Bob", "DE", "Bob <bob@example.org>", true, "\x00")
	f.Add(uint8(0), "Acme", "", "javascript:alert(1)//a.b", "media", "Bob", "DE", "bob@[127.0.0.1]", true, "")
	f.Add(uint8(0), "Acme", "", "https://user:pw@a.example/", "academic", "Bob", "XX", "bob@localhost", false, "")
	f.Add(uint8(1), "\xff\xfe", "\t", "", "", "", "", "\"a b\"@example.org", true, strings.Repeat("r", 65))
	f.Add(uint8(2), strings.Repeat("ü", 201), "", "", "", "", "GB", strings.Repeat("a", 250)+"@b.co", true, "")
	for _, c := range joinerCases() {
		f.Add(uint8(1), c.text, c.text, "", "", "", "DE", "a@example.org", true, "")
	}
	f.Fuzz(func(t *testing.T, kind uint8, name, affiliation, website, orgType, contact, country, email string, consent bool, ref string) {
		r := Request{
			Kind: fuzzKinds[int(kind)%len(fuzzKinds)], Name: name, Affiliation: affiliation, Website: website,
			OrgType: orgType, ContactName: contact, Country: country, Email: email, Consent: consent, Ref: ref,
		}
		errs := Validate(&r, fuzzCountry)

		again := r
		if errs2 := Validate(&again, fuzzCountry); !reflect.DeepEqual(again, r) || !sameFields(errs, errs2) {
			t.Fatalf("Validate is not idempotent:\nfirst  %+v %v\nsecond %+v %v", r, errs, again, errs2)
		}
		if utf8.RuneCountInString(r.Ref) > maxRef || strings.ContainsFunc(r.Ref, forbiddenRune) {
			t.Errorf("kept a mangled referral code %q", r.Ref)
		}
		if len(errs) != 0 {
			return
		}
		checkCleanText(t, "name", r.Name, true)
		checkCleanText(t, "affiliation", r.Affiliation, false)
		checkCleanText(t, "contact_name", r.ContactName, r.Kind == store.KindOrganisation)
		if addr, err := mail.ParseAddress(r.Email); err != nil || addr.Address != r.Email || len(r.Email) > maxEmail {
			t.Errorf("accepted email %q (ParseAddress: %v, %v)", r.Email, addr, err)
		}
		if r.Kind == store.KindOrganisation {
			u, err := url.Parse(r.Website)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || utf8.RuneCountInString(r.Website) > maxWebsite {
				t.Errorf("accepted website %q (url.Parse: %v)", r.Website, err)
			}
		}
	})
}

// checkCleanText fails t unless an accepted text field is fit to publish.
func checkCleanText(t *testing.T, field, s string, required bool) {
	t.Helper()
	if (required && s == "") || !utf8.ValidString(s) || !norm.NFC.IsNormalString(s) || utf8.RuneCountInString(s) > maxName ||
		hasHiddenCharacter(s) {
		t.Errorf("accepted %s %q", field, s)
	}
}

// hasHiddenCharacter reports whether s holds a control or invisible
// formatting character other than a zero width (non-)joiner that has, on each
// side, a letter or mark of neither the Latin nor the common script.
func hasHiddenCharacter(s string) bool {
	runes := []rune(s)
	for i, r := range runes {
		if unicode.IsControl(r) {
			return true
		}
		if !unicode.Is(unicode.Cf, r) {
			continue
		}
		if r != '\u200c' && r != '\u200d' || i == 0 || i == len(runes)-1 ||
			!wordInnerNonLatin(runes[i-1]) || !wordInnerNonLatin(runes[i+1]) {
			return true
		}
	}
	return false
}

func wordInnerNonLatin(r rune) bool {
	return (unicode.IsLetter(r) || unicode.IsMark(r)) && !unicode.In(r, unicode.Latin, unicode.Common)
}

func sameFields(a, b FieldErrors) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// FuzzCanonicalEmail proves that CanonicalEmail is idempotent, returns no
// surrounding space and nothing that lower-casing would change, and gives the
// same result for two addresses that differ only in the case of their (ASCII)
// letters and in surrounding white space.
func FuzzCanonicalEmail(f *testing.F) {
	for _, s := range []string{"ada@example.org", " Ada@Example.ORG\t", "", " ", "\u00a0A@B.C\u2003", "İ@x.org", "\u212a@x.org", "ſ@x.org", "\xff@x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, email string) {
		c := CanonicalEmail(email)
		if CanonicalEmail(c) != c {
			t.Errorf("not idempotent: %q → %q → %q", email, c, CanonicalEmail(c))
		}
		if strings.TrimSpace(c) != c || strings.ToLower(c) != c {
			t.Errorf("CanonicalEmail(%q) = %q, not trimmed and lower case", email, c)
		}
		variant := " \t" + swapASCIICase(email) + "\r\n "
		if got := CanonicalEmail(variant); got != c {
			t.Errorf("CanonicalEmail(%q) = %q but CanonicalEmail(%q) = %q", email, c, variant, got)
		}
	})
}

// swapASCIICase turns ASCII upper-case letters into lower case and back.
func swapASCIICase(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' {
			b[i] = c ^ 0x20
		}
	}
	return string(b)
}

// FuzzHashToken proves that HashToken is 64 lower-case hex digits, the same
// for the same secret and different for different ones.
func FuzzHashToken(f *testing.F) {
	f.Add("", []byte{})
	f.Add(strings.Repeat("-", 32), []byte("0123456789abcdef0123456789abcdef"))
	f.Add(strings.Repeat("é", 21)+"A", []byte(nil))
	f.Fuzz(func(t *testing.T, s string, raw []byte) {
		h := HashToken(s)
		if len(h) != 64 || strings.ContainsFunc(h, func(r rune) bool { return !('0' <= r && r <= '9' || 'a' <= r && r <= 'f') }) {
			t.Errorf("HashToken(%q) = %q, want 64 lower-case hex digits", s, h)
		}
		if HashToken(s) != h {
			t.Errorf("HashToken(%q) is not deterministic", s)
		}
		if other := string(raw); other != s && HashToken(other) == h {
			t.Errorf("HashToken(%q) = HashToken(%q)", s, other)
		}
	})
}
