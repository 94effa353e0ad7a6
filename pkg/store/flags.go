package store

import (
	"cmp"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"unicode"

	"github.com/mtibben/confusables"
	"golang.org/x/net/publicsuffix"
	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
	"gorm.io/gorm"
)

// Flag is a reason for a reviewer to look twice at a signature. A
// signature's flags are a bit set (Signature.Flags), so that the queue
// filters by one with a query.
type Flag uint

// The flags a signature can carry.
const (
	// FlagDuplicate: another signature of the letter has the same website
	// domain, the same or a look-alike name, or the same contact address.
	FlagDuplicate Flag = 1 << iota
	// FlagDomainMismatch: an organisation's website and its contact's email
	// are on different registrable domains.
	FlagDomainMismatch
	// FlagConfusable: the name mixes scripts so that letters of one imitate
	// letters of another (a Cyrillic "А" in "Аpple").
	FlagConfusable
	// FlagCorrected: the signer corrected their details after staff had
	// decided on them, and the signature went back to review.
	FlagCorrected
)

// Flags lists every flag, in the order the console shows them.
func Flags() []Flag { return []Flag{FlagDuplicate, FlagDomainMismatch, FlagConfusable, FlagCorrected} }

// Code is the flag's name in URLs and translation keys.
func (f Flag) Code() string {
	switch f {
	case FlagDuplicate:
		return "duplicate"
	case FlagDomainMismatch:
		return "domain_mismatch"
	case FlagConfusable:
		return "confusable"
	case FlagCorrected:
		return "corrected"
	}
	return fmt.Sprintf("flag_%d", uint(f))
}

// FlagByCode is the flag with code, if there is one.
func FlagByCode(code string) (Flag, bool) {
	for _, f := range Flags() {
		if f.Code() == code {
			return f, true
		}
	}
	return 0, false
}

// Has reports whether the signature carries flag f.
func (s *Signature) Has(f Flag) bool { return s.Flags&f != 0 }

// FlagsOf lists the flags the signature carries, in Flags' order.
func (s *Signature) FlagsOf() []Flag {
	var out []Flag
	for _, f := range Flags() {
		if s.Has(f) {
			out = append(out, f)
		}
	}
	return out
}

// setFlag sets or clears flag f.
func (s *Signature) setFlag(f Flag, on bool) {
	if on {
		s.Flags |= f
	} else {
		s.Flags &^= f
	}
}

// setKeys recomputes the keys a duplicate check looks signatures up by, and
// the confusable flag, from the public fields.
func (s *Signature) setKeys() {
	s.NameKey = NameKey(s.Name)
	s.SiteDomain = ""
	if s.Website != "" {
		s.SiteDomain = SiteDomain(s.Website)
	}
	s.setFlag(FlagConfusable, Confusable(s.Name))
}

// SetMailDomain sets the domain-mismatch flag of an organisation from the
// domain of its contact's email address; individuals never carry it.
func (s *Signature) SetMailDomain(domain string) {
	mail := registrable(domain)
	s.setFlag(FlagDomainMismatch, s.Kind == KindOrganisation && (s.SiteDomain == "" || s.SiteDomain != mail))
}

// FoldName is a name as people read it regardless of writing: case-folded,
// accents stripped, punctuation, symbols and spaces dropped ("Access Now"
// and "access-now!" are both "accessnow").
func FoldName(name string) string {
	folded := cases.Fold().String(norm.NFD.String(name))
	var b strings.Builder
	for _, r := range folded {
		if unicode.IsLetter(r) || unicode.IsNumber(r) {
			b.WriteRune(r)
		}
	}
	return norm.NFC.String(b.String())
}

// NameKey is the key a duplicate check compares names by: the folded name's
// confusable skeleton (Unicode TR39), folded again, so that "Аccess Now",
// with a Cyrillic "А", has the key of "Access Now". Empty for an empty name.
func NameKey(name string) string {
	return FoldName(confusables.Skeleton(FoldName(name)))
}

// Confusable reports whether name mixes scripts in a way that imitates one
// script: its letters belong to more than one script, and its skeleton's to
// one only ("Аpple" with a Cyrillic "А"). A name that mixes scripts each
// written as such ("東京 Climate") is not confusable.
func Confusable(name string) bool {
	return len(scriptsOf(name)) > 1 && len(scriptsOf(confusables.Skeleton(name))) == 1
}

// scriptsOf is the set of scripts of the letters in s, Common and Inherited
// left out.
func scriptsOf(s string) map[string]bool {
	scripts := map[string]bool{}
	for _, r := range s {
		if !unicode.IsLetter(r) {
			continue
		}
		for name, table := range unicode.Scripts {
			if name != "Common" && name != "Inherited" && unicode.Is(table, r) {
				scripts[name] = true
				break
			}
		}
	}
	return scripts
}

// SiteDomain is the registrable domain of a website's host ("ngo.example"
// for "https://www.ngo.example/about"), or "" when it has none.
func SiteDomain(website string) string {
	u, err := url.Parse(strings.TrimSpace(website))
	if err != nil {
		return ""
	}
	return registrable(u.Hostname())
}

// registrable is a domain's registrable domain by the public suffix list,
// lower-cased; a name the list cannot split is its own.
func registrable(domain string) string {
	domain = strings.TrimSuffix(strings.ToLower(strings.TrimSpace(domain)), ".")
	if domain == "" {
		return ""
	}
	if r, err := publicsuffix.EffectiveTLDPlusOne(domain); err == nil {
		return r
	}
	return domain
}

// ContactMailbox is the form of an address a duplicate check compares
// contacts by: the canonical address with its sub-address tag dropped and
// its domain cut to the registrable domain, so "Jane+letter@mail.ngo.example"
// and "jane@ngo.example" are one mailbox. (letter, address) is unique
// already; this catches the same person writing their address another way.
func ContactMailbox(canonical string) string {
	at := strings.LastIndexByte(canonical, '@')
	if at < 0 {
		return canonical
	}
	local, _, _ := strings.Cut(canonical[:at], "+")
	return local + "@" + registrable(canonical[at+1:])
}

// DuplicateReason is why a signature may be a duplicate of another.
type DuplicateReason string

// The reasons a duplicate check gives.
const (
	SameSite      DuplicateReason = "same_site"
	SameName      DuplicateReason = "same_name"
	LookAlikeName DuplicateReason = "lookalike_name"
	SameContact   DuplicateReason = "same_contact"
)

// Duplicate is another signature of the letter that a signature may repeat,
// and why.
type Duplicate struct {
	ID      uint64
	Name    string
	Status  Status
	Reasons []DuplicateReason
}

// maxDuplicates bounds how many possible duplicates a signature lists.
const maxDuplicates = 10

// Keys' conditions, written into the text so that the partial indexes on
// them serve the look-ups (see published).
const (
	confirmedRow  = "status <> '" + string(StatusUnconfirmed) + "'"
	withNameKey   = confirmedRow + " AND name_key <> ''"
	withSite      = confirmedRow + " AND site_domain <> ''"
	withContact   = confirmedRow + " AND contact_key <> ''"
	duplicateCols = "id, name, status, name_key, site_domain, contact_key"
)

// DuplicatesOf lists the other confirmed signatures of sig's letter, not
// withdrawn, that share its website's registrable domain, its name key or
// its contact key, each with the reasons, oldest first. Each key is looked
// up in an index of its own.
func DuplicatesOf(tx *gorm.DB, sig *Signature) ([]Duplicate, error) {
	var rows []Signature
	for _, k := range []struct{ cond, column, value string }{
		{withSite, "site_domain", sig.SiteDomain},
		{withNameKey, "name_key", sig.NameKey},
		{withContact, "contact_key", sig.ContactKey},
	} {
		if k.value == "" {
			continue
		}
		var found []Signature
		err := tx.Select(duplicateCols).Where(k.cond+" AND "+k.column+" = ? AND letter_id = ? AND id <> ? AND status <> ?",
			k.value, sig.LetterID, sig.ID, StatusWithdrawn).Order("id").Limit(maxDuplicates).Find(&found).Error
		if err != nil {
			return nil, fmt.Errorf("store: duplicates of signature %d by %s: %w", sig.ID, k.column, err)
		}
		rows = append(rows, found...)
	}
	return duplicatesFrom(sig, rows), nil
}

// duplicatesFrom merges the rows found by each key into one Duplicate per
// signature, oldest first, with every reason it shares with sig.
func duplicatesFrom(sig *Signature, rows []Signature) []Duplicate {
	seen := map[uint64]bool{}
	var out []Duplicate
	for _, r := range rows {
		if seen[r.ID] {
			continue
		}
		seen[r.ID] = true
		out = append(out, Duplicate{ID: r.ID, Name: r.Name, Status: r.Status, Reasons: duplicateReasons(sig, &r)})
	}
	slices.SortFunc(out, func(a, b Duplicate) int { return cmp.Compare(a.ID, b.ID) })
	if len(out) > maxDuplicates {
		out = out[:maxDuplicates]
	}
	return out
}

// duplicateReasons is what a and b share.
func duplicateReasons(a, b *Signature) []DuplicateReason {
	var reasons []DuplicateReason
	if a.SiteDomain != "" && a.SiteDomain == b.SiteDomain {
		reasons = append(reasons, SameSite)
	}
	if a.NameKey != "" && a.NameKey == b.NameKey {
		if FoldName(a.Name) == FoldName(b.Name) {
			reasons = append(reasons, SameName)
		} else {
			reasons = append(reasons, LookAlikeName)
		}
	}
	if a.ContactKey != "" && a.ContactKey == b.ContactKey {
		reasons = append(reasons, SameContact)
	}
	return reasons
}

// flagForReview sets the flags of a signature that m brings into review, or
// whose details it changes there: a possible duplicate, by a look-up of its
// keys, and corrected when the signer's correction brought it back from a
// staff decision (a correction while it waits keeps the flag as it was).
// The confusable and domain-mismatch flags were set when its details were
// written. It returns the duplicates that await review, to be flagged too.
func flagForReview(tx *gorm.DB, before, sig *Signature, m Move) ([]uint64, error) {
	entering := before.Status != StatusPendingReview
	if sig.Status != StatusPendingReview || !entering && m.Public == nil {
		return nil, nil
	}
	if entering {
		sig.setFlag(FlagCorrected, m.Event == EventCorrect)
	}
	duplicates, err := DuplicatesOf(tx, sig)
	if err != nil {
		return nil, err
	}
	sig.setFlag(FlagDuplicate, len(duplicates) > 0)
	var waiting []uint64
	for _, d := range duplicates {
		if d.Status == StatusPendingReview {
			waiting = append(waiting, d.ID)
		}
	}
	return waiting, nil
}

// flagAsDuplicates flags the signatures with ids, while they await review,
// as possible duplicates: of one that has just come into review.
func flagAsDuplicates(tx *gorm.DB, ids []uint64) error {
	if len(ids) == 0 {
		return nil
	}
	err := tx.Model(&Signature{}).Where("id IN ? AND status = ?", ids, StatusPendingReview).
		Update("flags", gorm.Expr("flags | ?", uint(FlagDuplicate))).Error
	if err != nil {
		return fmt.Errorf("store: flag %v as possible duplicates: %w", ids, err)
	}
	return nil
}
