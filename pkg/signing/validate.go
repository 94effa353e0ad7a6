package signing

import (
	"errors"
	"net/mail"
	"net/url"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"

	"github.com/undersigned/undersigned/pkg/media"
	"github.com/undersigned/undersigned/pkg/store"
)

// Limits on what a signer may type, in characters.
const (
	maxName        = 200
	maxAffiliation = 200
	maxWebsite     = 300
	maxEmail       = 254
	maxRef         = 64
	maxStatement   = 280
)

// Request is what a signer submits. The web layer fills it from the form;
// Validate normalises it in place.
type Request struct {
	Kind        store.Kind
	Name        string // organisation name, or the individual's full name
	Affiliation string // individuals, optional, "for identification only"
	Website     string // organisations
	OrgType     string // organisations, one of OrgTypes
	ContactName string // organisations: the person behind the signature
	Country     string // ISO 3166-1 alpha-2
	Email       string
	ShowName    bool // individuals: may the name be listed publicly?
	Consent     bool // agreed to the privacy notice
	// KeepInformed is the signer's choice to hear from the campaign about
	// the letter (updates); optional, unticked until they tick it.
	KeepInformed bool
	// PartnerContact is the signer's choice to let the partner whose link
	// brought them (Ref) contact them; optional, unticked until they tick
	// it, and kept only when Ref is the code of one of the letter's
	// partners.
	PartnerContact bool
	Locale         string
	Ref            string // partner or referral code from the link that brought the signer
	// UTMSource, UTMMedium and UTMCampaign are the campaign tags of that
	// link, kept as Ref is.
	UTMSource   string
	UTMMedium   string
	UTMCampaign string
	// Version is the text version the form was drawn with (a
	// letters.Text.VersionKey, such as "fr/2"); Sign replaces it with the
	// version the signature records.
	Version string
	// NetworkHash is the keyed hash of the client's /24 or /48, kept for bulk
	// invalidation instead of the address; "" when unknown.
	NetworkHash string
	// Statement is the signer's short statement ("why we sign"), optional.
	Statement string
	// Logo is an organisation's logo as uploaded, optional (nil: none, or
	// keep the one there is). Validate replaces it by the PNG it was
	// re-encoded as, LogoWidth × LogoHeight pixels.
	Logo                  []byte
	LogoWidth, LogoHeight int
}

// Media is what of r is stored apart from the signature, each reviewed on
// its own: the statement and the re-encoded logo.
func (r *Request) Media() store.MediaUpload {
	return store.MediaUpload{Statement: r.Statement, LogoPNG: r.Logo, Width: r.LogoWidth, Height: r.LogoHeight}
}

// OrgTypes lists the kinds of organisation a signer can choose from.
func OrgTypes() []string {
	return []string{"ngo", "company", "trade_association", "academic", "media", "public_body", "other"}
}

// FieldErrors maps a field name to the message id that explains what is wrong
// with it. Field names are those of the sign form.
type FieldErrors map[string]string

// ValidationError is returned by Sign when the request has FieldErrors.
type ValidationError struct{ Fields FieldErrors }

// Error lists the fields that are wrong.
func (e *ValidationError) Error() string {
	names := make([]string, 0, len(e.Fields))
	for k := range e.Fields {
		names = append(names, k)
	}
	slices.Sort(names)
	return "signing: invalid fields: " + strings.Join(names, ", ")
}

// Validate normalises r (trimming, NFC, canonical website) and reports every
// field that is wrong. valid tells whether a country code is assigned.
func Validate(r *Request, validCountry func(string) bool) FieldErrors {
	errs := FieldErrors{}
	r.Name = cleanText(r.Name)
	r.Affiliation = cleanText(r.Affiliation)
	r.ContactName = cleanText(r.ContactName)
	r.Email = strings.TrimSpace(r.Email)
	r.Country = strings.ToUpper(strings.TrimSpace(r.Country))

	validatePublic(r, validCountry, errs)
	ValidateMedia(r, errs)
	if r.Kind == store.KindOrganisation {
		checkText(errs, "contact_name", r.ContactName, maxName, true)
	} else {
		r.ContactName = ""
	}
	if msg := checkEmail(r.Email); msg != "" {
		errs["email"] = msg
	}
	if !r.Consent {
		errs["consent"] = "error.consent.required"
	}
	for _, code := range []*string{&r.Ref, &r.UTMSource, &r.UTMMedium, &r.UTMCampaign} {
		*code = cleanSourceCode(*code)
	}
	return errs
}

// cleanSourceCode trims a referral code or campaign tag, and drops one too
// long or holding a forbidden character: a mangled link is not the
// signer's fault, so it never fails the form.
func cleanSourceCode(code string) string {
	code = strings.TrimSpace(code)
	if utf8.RuneCountInString(code) > maxRef || strings.ContainsFunc(code, forbiddenRune) {
		return ""
	}
	return code
}

// ValidatePublicFields normalises and checks only what the public list shows:
// kind, name, affiliation, website, organisation type and country. Staff
// editing a signature go through it.
func ValidatePublicFields(r *Request, validCountry func(string) bool) FieldErrors {
	errs := FieldErrors{}
	r.Name = cleanText(r.Name)
	r.Affiliation = cleanText(r.Affiliation)
	r.Country = strings.ToUpper(strings.TrimSpace(r.Country))
	validatePublic(r, validCountry, errs)
	return errs
}

func validatePublic(r *Request, validCountry func(string) bool, errs FieldErrors) {
	switch r.Kind {
	case store.KindOrganisation:
		checkText(errs, "name", r.Name, maxName, true)
		r.Website = strings.TrimSpace(r.Website)
		if msg := checkWebsite(&r.Website); msg != "" {
			errs["website"] = msg
		}
		if !slices.Contains(OrgTypes(), r.OrgType) {
			errs["org_type"] = "error.org_type.choose"
		}
		r.Affiliation, r.ShowName = "", true
	case store.KindIndividual:
		checkText(errs, "name", r.Name, maxName, true)
		checkText(errs, "affiliation", r.Affiliation, maxAffiliation, false)
		r.Website, r.OrgType = "", ""
	default:
		errs["kind"] = "error.kind.choose"
	}
	if !validCountry(r.Country) {
		errs["country"] = "error.country.choose"
	}
}

// ValidateMedia normalises and checks the statement, and re-encodes the
// logo, adding what is wrong to errs: the statement at most 280 characters
// (its line breaks taken as spaces), the logo a PNG, JPEG or WebP image of
// at most 1 MiB and 16 megapixels, from organisations only.
func ValidateMedia(r *Request, errs FieldErrors) {
	checkStatement(r, errs)
	if r.Kind != store.KindOrganisation {
		r.Logo, r.LogoWidth, r.LogoHeight = nil, 0, 0
	}
	reencodeLogo(r, errs)
}

// checkStatement normalises and checks r's statement.
func checkStatement(r *Request, errs FieldErrors) {
	r.Statement = cleanText(strings.Join(strings.Fields(r.Statement), " "))
	checkText(errs, "statement", r.Statement, maxStatement, false)
}

// reencodeLogo replaces r's uploaded logo, if any, by the PNG it is
// re-encoded as, or drops it and says why in errs. A logo that carries its
// size is re-encoded already (the web layer validates before Sign does),
// and is not decoded again.
func reencodeLogo(r *Request, errs FieldErrors) {
	if r.Logo == nil || r.LogoWidth != 0 {
		return
	}
	logo, err := media.Reencode(r.Logo)
	if err != nil {
		r.Logo, errs["logo"] = nil, logoError(err)
		return
	}
	r.Logo, r.LogoWidth, r.LogoHeight = logo.PNG, logo.Width, logo.Height
}

// logoError is the message id for why an upload is no logo.
func logoError(err error) string {
	switch {
	case errors.Is(err, media.ErrTooLarge):
		return "error.logo.too_large"
	case errors.Is(err, media.ErrFormat):
		return "error.logo.format"
	case errors.Is(err, media.ErrDimensions):
		return "error.logo.dimensions"
	}
	return "error.logo.unreadable"
}

// cleanText trims s and puts it in Unicode NFC, so the same name typed on two
// keyboards compares equal.
func cleanText(s string) string {
	return norm.NFC.String(strings.TrimSpace(s))
}

func checkText(errs FieldErrors, field, value string, max int, required bool) {
	switch {
	case !utf8.ValidString(value) || containsForbiddenText(value):
		errs[field] = "error.text.control"
	case required && value == "":
		errs[field] = "error." + field + ".required"
	case utf8.RuneCountInString(value) > max:
		errs[field] = "error." + field + ".too_long"
	}
}

// forbiddenRune refuses control characters and the invisible formatting
// characters (such as bidirectional overrides) that can disguise a name.
func forbiddenRune(r rune) bool {
	return unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == utf8.RuneError
}

// Invisible characters that some scripts need inside words, to choose how two
// letters join.
const (
	zeroWidthNonJoiner = '\u200c'
	zeroWidthJoiner    = '\u200d'
)

// containsForbiddenText reports whether a name, affiliation or contact name
// holds a character forbiddenRune refuses, other than a zero width
// (non-)joiner inside a word of a script that is spelt with them: Persian
// writes "نیک‌پور" with a non-joiner, Sinhala "ශ්‍රී" with a joiner.
func containsForbiddenText(s string) bool {
	for i, r := range s {
		if !forbiddenRune(r) {
			continue
		}
		if r != zeroWidthNonJoiner && r != zeroWidthJoiner {
			return true
		}
		before, _ := utf8.DecodeLastRuneInString(s[:i])
		after, _ := utf8.DecodeRuneInString(s[i+utf8.RuneLen(r):])
		if !joinsWithinScript(before, after) {
			return true
		}
	}
	return false
}

// joinsWithinScript reports whether a joiner between before and after sits
// inside a word of a script that needs joiners: at least one of the two is a
// letter, and both are letters or combining marks of that script (or marks
// shared by several scripts, such as the Arabic vowel signs).
func joinsWithinScript(before, after rune) bool {
	if !unicode.IsLetter(before) && !unicode.IsLetter(after) {
		return false
	}
	script := joiningScript(before)
	if script == nil {
		script = joiningScript(after)
	}
	return script != nil && partOfScript(before, script) && partOfScript(after, script)
}

// joiningScript is the script of r when it is one that is spelt with zero
// width (non-)joiners: the Arabic script (Persian, Urdu, …) and the Brahmic
// scripts of South Asia; nil for any other.
func joiningScript(r rune) *unicode.RangeTable {
	for _, script := range []*unicode.RangeTable{
		unicode.Arabic, unicode.Devanagari, unicode.Bengali, unicode.Gurmukhi, unicode.Gujarati, unicode.Oriya,
		unicode.Tamil, unicode.Telugu, unicode.Kannada, unicode.Malayalam, unicode.Sinhala,
	} {
		if unicode.Is(script, r) {
			return script
		}
	}
	return nil
}

// partOfScript reports whether r is a letter of script, or a combining mark
// of script or of no script of its own.
func partOfScript(r rune, script *unicode.RangeTable) bool {
	switch {
	case unicode.IsLetter(r):
		return unicode.Is(script, r)
	case unicode.IsMark(r):
		return unicode.Is(script, r) || unicode.Is(unicode.Inherited, r)
	}
	return false
}

// checkWebsite accepts an http(s) URL; "example.org" is taken as https://example.org.
func checkWebsite(website *string) string {
	w := *website
	if w == "" {
		return "error.website.required"
	}
	if utf8.RuneCountInString(w) > maxWebsite {
		return "error.website.too_long"
	}
	if !strings.Contains(w, "://") {
		w = "https://" + w
	}
	u, err := url.Parse(w)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil ||
		!strings.Contains(u.Hostname(), ".") || strings.ContainsFunc(w, forbiddenRune) || strings.ContainsAny(w, " <>\"") {
		return "error.website.invalid"
	}
	if normal := u.String(); utf8.RuneCountInString(normal) > maxWebsite {
		return "error.website.too_long"
	} else {
		*website = normal
	}
	return ""
}

// ValidateEmail checks an address typed on its own, as on the form that asks
// for the link again, the way Validate checks the sign form's; surrounding
// space is allowed.
func ValidateEmail(email string) FieldErrors {
	if msg := checkEmail(strings.TrimSpace(email)); msg != "" {
		return FieldErrors{"email": msg}
	}
	return nil
}

func checkEmail(email string) string {
	if email == "" {
		return "error.email.required"
	}
	if len(email) > maxEmail {
		return "error.email.too_long"
	}
	if strings.ContainsFunc(email, forbiddenRune) {
		return "error.email.invalid"
	}
	addr, err := mail.ParseAddress(email)
	if err != nil || addr.Address != email || addr.Name != "" {
		return "error.email.invalid"
	}
	at := strings.LastIndexByte(email, '@')
	domain := email[at+1:]
	if !strings.Contains(domain, ".") || strings.HasPrefix(domain, ".") || strings.HasSuffix(domain, ".") || strings.HasPrefix(domain, "[") {
		return "error.email.invalid"
	}
	return ""
}

// CanonicalEmail is the form of an address used to recognise a signer who signs
// twice: trimmed and lower-cased. The domain is case-insensitive by standard;
// the local part is too at every provider we know of, and treating it so stops
// "Alice@" and "alice@" counting twice. Mail is still sent to the address as typed.
func CanonicalEmail(email string) string {
	// Case folding first, so that "ſ" and "S" end alike; lower-casing last,
	// which keeps the result stable (x/text folds Cherokee to upper case).
	return strings.ToLower(cases.Fold().String(strings.TrimSpace(email)))
}

// ValidateNameAndWebsite normalises and checks an organisation's name and,
// when one is given, its website, as the sign form does; staff registering
// a letter's partner go through it.
func ValidateNameAndWebsite(name, website *string) FieldErrors {
	errs := FieldErrors{}
	*name = cleanText(*name)
	*website = strings.TrimSpace(*website)
	checkText(errs, "name", *name, maxName, true)
	if *website != "" {
		if msg := checkWebsite(website); msg != "" {
			errs["website"] = msg
		}
	}
	return errs
}
