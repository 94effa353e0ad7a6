package signing

import (
	"bytes"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/undersigned/undersigned/pkg/media/mediatest"
	"github.com/undersigned/undersigned/pkg/store"
)

func validCountry(c string) bool { return c == "DE" || c == "GB" }

func orgRequest() Request {
	return Request{
		Kind:        store.KindOrganisation,
		Name:        "Open Rights Group",
		Website:     "https://example.org",
		OrgType:     "ngo",
		ContactName: "Ada Lovelace",
		Country:     "GB",
		Email:       "ada@example.org",
		Consent:     true,
	}
}

func individualRequest() Request {
	return Request{
		Kind:        store.KindIndividual,
		Name:        "Ada Lovelace",
		Affiliation: "University of London",
		Country:     "DE",
		Email:       "ada@example.org",
		ShowName:    true,
		Consent:     true,
	}
}

func TestValidateAcceptsValidRequests(t *testing.T) {
	tests := []struct {
		name string
		req  Request
	}{
		{"organisation", orgRequest()},
		{"individual", individualRequest()},
		{"individual without affiliation", func() Request { r := individualRequest(); r.Affiliation = ""; return r }()},
		{"organisation with http website", func() Request { r := orgRequest(); r.Website = "http://example.org/about"; return r }()},
		{"name of exactly 200 characters", func() Request { r := individualRequest(); r.Name = strings.Repeat("é", 200); return r }()},
	}
	for _, orgType := range OrgTypes() {
		r := orgRequest()
		r.OrgType = orgType
		tests = append(tests, struct {
			name string
			req  Request
		}{"org type " + orgType, r})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if errs := Validate(&tt.req, validCountry); len(errs) != 0 {
				t.Errorf("Validate = %v, want no errors", errs)
			}
		})
	}
}

func TestValidateReportsEachError(t *testing.T) {
	org := func(f func(*Request)) Request { r := orgRequest(); f(&r); return r }
	ind := func(f func(*Request)) Request { r := individualRequest(); f(&r); return r }
	tests := []struct {
		name  string
		req   Request
		field string
		msg   string
	}{
		{"no kind", org(func(r *Request) { r.Kind = "" }), "kind", "error.kind.choose"},
		{"unknown kind", org(func(r *Request) { r.Kind = "robot" }), "kind", "error.kind.choose"},
		{"organisation without name", org(func(r *Request) { r.Name = "   " }), "name", "error.name.required"},
		{"individual without name", ind(func(r *Request) { r.Name = "" }), "name", "error.name.required"},
		{"no contact name", org(func(r *Request) { r.ContactName = "" }), "contact_name", "error.contact_name.required"},
		{"control character in name", ind(func(r *Request) { r.Name = "Ada\x07 Lovelace" }), "name", "error.text.control"},
		{"bidi override in name", ind(func(r *Request) { r.Name = "Ada \u202eecalevoL" }), "name", "error.text.control"},
		{"zero-width space in contact name", org(func(r *Request) { r.ContactName = "Ada\u200b" }), "contact_name", "error.text.control"},
		{"invalid UTF-8 in affiliation", ind(func(r *Request) { r.Affiliation = "Uni \xff" }), "affiliation", "error.text.control"},
		{"name of 201 characters", ind(func(r *Request) { r.Name = strings.Repeat("é", 201) }), "name", "error.name.too_long"},
		{"affiliation of 201 characters", ind(func(r *Request) { r.Affiliation = strings.Repeat("a", 201) }), "affiliation", "error.affiliation.too_long"},
		{"website of 301 characters", org(func(r *Request) { r.Website = "https://example.org/" + strings.Repeat("a", 281) }), "website", "error.website.too_long"},
		{"website too long once encoded", org(func(r *Request) { r.Website = "https://example.org/" + strings.Repeat("é", 270) }), "website", "error.website.too_long"},
		{"no website", org(func(r *Request) { r.Website = " " }), "website", "error.website.required"},
		{"ftp website", org(func(r *Request) { r.Website = "ftp://x.org" }), "website", "error.website.invalid"},
		{"javascript website", org(func(r *Request) { r.Website = "javascript:alert(1)" }), "website", "error.website.invalid"},
		{"website without dot", org(func(r *Request) { r.Website = "https://localhost" }), "website", "error.website.invalid"},
		{"website with space", org(func(r *Request) { r.Website = "http://exa mple.org" }), "website", "error.website.invalid"},
		{"website with user info", org(func(r *Request) { r.Website = "https://user@example.org" }), "website", "error.website.invalid"},
		{"no org type", org(func(r *Request) { r.OrgType = "" }), "org_type", "error.org_type.choose"},
		{"unknown org type", org(func(r *Request) { r.OrgType = "charity" }), "org_type", "error.org_type.choose"},
		{"no country", ind(func(r *Request) { r.Country = "" }), "country", "error.country.choose"},
		{"unassigned country", ind(func(r *Request) { r.Country = "XX" }), "country", "error.country.choose"},
		{"no email", ind(func(r *Request) { r.Email = "  " }), "email", "error.email.required"},
		{"email without dot in domain", ind(func(r *Request) { r.Email = "a@b" }), "email", "error.email.invalid"},
		{"email with two @", ind(func(r *Request) { r.Email = "a@@b.org" }), "email", "error.email.invalid"},
		{"email with display name", ind(func(r *Request) { r.Email = "Ada <a@b.org>" }), "email", "error.email.invalid"},
		{"email with trailing dot", ind(func(r *Request) { r.Email = "a@b.org." }), "email", "error.email.invalid"},
		{"email of 255 characters", ind(func(r *Request) { r.Email = strings.Repeat("a", 249) + "@b.org" }), "email", "error.email.too_long"},
		{"email with literal IP domain", ind(func(r *Request) { r.Email = "a@[192.0.2.1]" }), "email", "error.email.invalid"},
		{"no consent", ind(func(r *Request) { r.Consent = false }), "consent", "error.consent.required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			errs := Validate(&tt.req, validCountry)
			want := FieldErrors{tt.field: tt.msg}
			if !maps.Equal(errs, want) {
				t.Errorf("Validate = %v, want %v", errs, want)
			}
		})
	}
}

// fieldCase is a normalised field and the value it should have.
type fieldCase struct{ field, got, want string }

func checkFields(t *testing.T, tests []fieldCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.field, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("%s = %q, want %q", tt.field, tt.got, tt.want)
			}
		})
	}
}

func TestValidateNormalisesOrganisation(t *testing.T) {
	r := orgRequest()
	r.Name = "  Cafe\u0301 Collective \n"
	r.ContactName = " Ada "
	r.Website = " example.org "
	r.Country = " gb "
	r.Email = " ada@example.org "
	r.Affiliation = "ignored"
	r.ShowName = false
	if errs := Validate(&r, validCountry); len(errs) != 0 {
		t.Fatalf("Validate = %v, want no errors", errs)
	}
	tests := []fieldCase{
		{"Name", r.Name, "Caf\u00e9 Collective"},
		{"ContactName", r.ContactName, "Ada"},
		{"Website", r.Website, "https://example.org"},
		{"Country", r.Country, "GB"},
		{"Email", r.Email, "ada@example.org"},
		{"Affiliation", r.Affiliation, ""},
	}
	checkFields(t, tests)
	if !r.ShowName {
		t.Error("ShowName = false; an organisation is always listed by name")
	}
}

func TestValidateNormalisesIndividual(t *testing.T) {
	r := individualRequest()
	r.Name = "Zoe\u0308 "
	r.Country = "de"
	r.Website = "https://example.org"
	r.OrgType = "ngo"
	r.ContactName = "Someone"
	r.ShowName = false
	if errs := Validate(&r, validCountry); len(errs) != 0 {
		t.Fatalf("Validate = %v, want no errors", errs)
	}
	tests := []fieldCase{
		{"Name", r.Name, "Zo\u00eb"},
		{"Country", r.Country, "DE"},
		{"Website", r.Website, ""},
		{"OrgType", r.OrgType, ""},
		{"ContactName", r.ContactName, ""},
	}
	checkFields(t, tests)
	if r.ShowName {
		t.Error("ShowName = true; an individual's choice not to be named must be kept")
	}
}

// TestValidateDropsMangledRef checks that a referral code and the campaign
// tags are trimmed, and dropped when too long or mangled, never refused.
func TestValidateDropsMangledRef(t *testing.T) {
	tests := []struct {
		ref, want string
	}{
		{" partner-1 ", "partner-1"},
		{strings.Repeat("r", 64), strings.Repeat("r", 64)},
		{strings.Repeat("r", 65), ""},
		{"bad\x00ref", ""},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			r := individualRequest()
			r.Ref, r.UTMSource, r.UTMMedium, r.UTMCampaign = tt.ref, tt.ref, tt.ref, tt.ref
			if errs := Validate(&r, validCountry); len(errs) != 0 {
				t.Fatalf("a referral code must never fail validation: %v", errs)
			}
			got := []string{r.Ref, r.UTMSource, r.UTMMedium, r.UTMCampaign}
			if !slices.Equal(got, []string{tt.want, tt.want, tt.want, tt.want}) {
				t.Errorf("ref, utm_source, utm_medium, utm_campaign = %q, want each %q", got, tt.want)
			}
		})
	}
}

func TestCanonicalEmail(t *testing.T) {
	tests := map[string]string{
		" Ada@Example.ORG ": "ada@example.org",
		"ada@example.org":   "ada@example.org",
	}
	for in, want := range tests {
		if got := CanonicalEmail(in); got != want {
			t.Errorf("CanonicalEmail(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestValidationErrorListsFieldsInOrder(t *testing.T) {
	err := &ValidationError{Fields: FieldErrors{"email": "x", "consent": "y", "name": "z"}}
	if got, want := err.Error(), "signing: invalid fields: consent, email, name"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

func TestCanonicalEmailFoldsCase(t *testing.T) {
	for _, pair := range [][2]string{{"ſ@x.org", "S@x.org"}, {"Ada@Example.ORG", " ada@example.org "}, {"\u212a@x.org", "k@x.org"}} {
		if a, b := CanonicalEmail(pair[0]), CanonicalEmail(pair[1]); a != b {
			t.Errorf("CanonicalEmail(%q) = %q but CanonicalEmail(%q) = %q", pair[0], a, pair[1], b)
		}
	}
}

// joinerCase is a text typed into a name, and whether Validate accepts it.
type joinerCase struct {
	name     string
	text     string
	accepted bool
}

func joinerCases() []joinerCase {
	tests := []joinerCase{
		{"Persian surname with a non-joiner", "سارا نیک\u200cپور", true},
		{"Persian verb prefix", "می\u200cخواهم", true},
		{"Arabic vowel sign before a non-joiner", "نیکُ\u200cپور", true},
		{"Devanagari half form", "लक्\u200dष्मी", true},
		{"Devanagari explicit virama", "क्\u200cष", true},
		{"Bengali ya-phala after ra", "র\u200d্যাচেল", true},
		{"Malayalam chillu", "കണ്\u200dമണി", true},
		{"Sinhala rakaransaya", "ශ්\u200dරී ලංකා", true},
		{"Kannada arkavattu", "ಕರ್\u200dನಾಟಕ", true},
		{"Gujarati", "ક્\u200dષ", true},

		{"non-joiner between Latin letters", "Ada\u200cLovelace", false},
		{"joiner between Latin letters", "Ada\u200dLovelace", false},
		{"leading non-joiner", "\u200cنیک\u200cپور", false},
		{"trailing non-joiner", "سارا نیک\u200c", false},
		{"trailing joiner after a virama", "കണ്\u200d", false},
		{"doubled non-joiner", "نیک\u200c\u200cپور", false},
		{"joiner next to a non-joiner", "क्\u200d\u200cष", false},
		{"non-joiner beside a space", "نیک \u200cپور", false},
		{"non-joiner between Persian and Latin", "نیک\u200cA", false},
		{"joiner between Devanagari and Bengali", "क\u200dক", false},
		{"joiner between two combining marks", "क्\u200d\u093f", false},
		{"non-joiner between a Persian letter and a Devanagari sign", "نیک\u200c\u094d", false},
		{"joiner between a Latin letter and a combining accent", "e\u200d\u0301", false},
		{"non-joiner between Han characters", "中\u200c文", false},
		{"emoji sequence", "Ada 👩\u200d💻", false},
	}
	for _, hidden := range []rune{
		'\u202a', '\u202b', '\u202c', '\u202d', '\u202e', '\u2066', '\u2067', '\u2068', '\u2069',
		'\u200b', '\u200e', '\u200f', '\u061c', '\u2060', '\ufeff', '\u00ad',
	} {
		tests = append(tests, joinerCase{fmt.Sprintf("U+%04X between Persian letters", hidden), "نیک" + string(hidden) + "پور", false})
	}
	return tests
}

func TestValidateAllowsJoinersOnlyInsideWordsOfScriptsThatNeedThem(t *testing.T) {
	for _, tt := range joinerCases() {
		t.Run(tt.name, func(t *testing.T) {
			org := orgRequest()
			org.Name, org.ContactName = tt.text, tt.text
			ind := individualRequest()
			ind.Name, ind.Affiliation = tt.text, tt.text
			want, wantInd := FieldErrors{}, FieldErrors{}
			if !tt.accepted {
				want = FieldErrors{"name": "error.text.control", "contact_name": "error.text.control"}
				wantInd = FieldErrors{"name": "error.text.control", "affiliation": "error.text.control"}
			}
			if errs := Validate(&org, validCountry); !maps.Equal(errs, want) {
				t.Errorf("organisation: Validate = %v, want %v", errs, want)
			}
			if errs := Validate(&ind, validCountry); !maps.Equal(errs, wantInd) {
				t.Errorf("individual: Validate = %v, want %v", errs, wantInd)
			}
			if tt.accepted && (org.Name != tt.text || org.ContactName != tt.text || ind.Affiliation != tt.text) {
				t.Errorf("changed to %q, %q, %q; want kept as typed", org.Name, org.ContactName, ind.Affiliation)
			}
		})
	}
	t.Run("addresses and links", func(t *testing.T) {
		r := orgRequest()
		r.Name = "سارا نیک\u200cپور"
		r.Email = "nik\u200cpour@example.org"
		r.Website = "https://nik\u200cpour.example"
		want := FieldErrors{"email": "error.email.invalid", "website": "error.website.invalid"}
		if errs := Validate(&r, validCountry); !maps.Equal(errs, want) {
			t.Errorf("Validate = %v, want %v", errs, want)
		}
	})
}

func TestValidateMedia(t *testing.T) {
	withStatement := func(r Request, s string) Request { r.Statement = s; return r }
	withLogo := func(r Request, logo []byte) Request { r.Logo = logo; return r }
	tests := []struct {
		name      string
		req       Request
		wantField string // "" for none
		wantMsg   string
		statement string
		logo      bool
	}{
		{"statement of 280 characters", withStatement(individualRequest(), strings.Repeat("é", 280)), "", "", strings.Repeat("é", 280), false},
		{"statement's line breaks become spaces", withStatement(orgRequest(), " We sign\r\nbecause. "), "", "", "We sign because.", false},
		{"statement too long", withStatement(individualRequest(), strings.Repeat("a", 281)), "statement", "error.statement.too_long", "", false},
		{"statement with a bidi override", withStatement(orgRequest(), "Because\u202e"), "statement", "error.text.control", "", false},
		{"organisation's jpeg logo", withLogo(orgRequest(), mediatest.JPEG(800, 400)), "", "", "", true},
		{"individual's logo is dropped", withLogo(individualRequest(), mediatest.PNG(10, 10)), "", "", "", false},
		{"svg logo", withLogo(orgRequest(), mediatest.SVG()), "logo", "error.logo.format", "", false},
		{"bomb logo", withLogo(orgRequest(), mediatest.Bomb(50_000, 50_000)), "logo", "error.logo.dimensions", "", false},
		{"broken logo", withLogo(orgRequest(), mediatest.PNG(40, 40)[:80]), "logo", "error.logo.unreadable", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			errs := Validate(&tt.req, validCountry)
			if tt.wantField == "" && len(errs) != 0 || tt.wantField != "" && (len(errs) != 1 || errs[tt.wantField] != tt.wantMsg) {
				t.Fatalf("errors %v, want %s: %s", errs, tt.wantField, tt.wantMsg)
			}
			if tt.wantField == "" && tt.req.Statement != tt.statement {
				t.Errorf("statement %q, want %q", tt.req.Statement, tt.statement)
			}
			if got := tt.req.Logo != nil; got != tt.logo {
				t.Errorf("logo kept: %v, want %v", got, tt.logo)
			}
			if tt.logo && (!bytes.HasPrefix(tt.req.Logo, []byte("\x89PNG")) || tt.req.LogoWidth != 400 || tt.req.LogoHeight != 200) {
				t.Errorf("logo not re-encoded to fit 400 × 400: %d × %d", tt.req.LogoWidth, tt.req.LogoHeight)
			}
		})
	}
}
