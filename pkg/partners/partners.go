// Package partners keeps the organisations that share a letter with their
// own audience: each has a code its links carry (?ref=CODE), and a private
// page, behind a secret link staff can rotate, with the letter's totals and
// the signatures its links brought.
package partners

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/undersigned/undersigned/pkg/signing"
	"github.com/undersigned/undersigned/pkg/store"
)

// ErrNotFound is returned for a partner, or a private link, that does not
// exist (a rotated link included).
var ErrNotFound = errors.New("partners: no such partner")

// ValidationError lists what is wrong with a partner as submitted, by
// field, as message ids.
type ValidationError struct {
	Fields signing.FieldErrors
}

func (e *ValidationError) Error() string {
	return fmt.Sprintf("partners: invalid partner: %v", e.Fields)
}

// Deps are what a Service is built from.
type Deps struct {
	Store  *store.Store
	Now    func() time.Time
	Random io.Reader // crypto/rand.Reader outside tests
}

// Service registers partners and finds them by their private link.
type Service struct{ d Deps }

// New returns a Service.
func New(d Deps) *Service { return &Service{d: d} }

// Input is a partner as staff register it.
type Input struct {
	Name    string
	Code    string
	Website string
}

// codePattern is what a partner's code may be: slug-like, as it travels in
// links, at most 64 characters as a signature keeps it.
var codePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)

// Validate normalises in and checks it.
func Validate(in *Input) signing.FieldErrors {
	errs := signing.ValidateNameAndWebsite(&in.Name, &in.Website)
	in.Code = strings.ToLower(strings.TrimSpace(in.Code))
	switch {
	case in.Code == "":
		errs["code"] = "error.partner.code_required"
	case !codePattern.MatchString(in.Code):
		errs["code"] = "error.partner.code_invalid"
	}
	return errs
}

// Add registers a partner of a letter, audited as partner.add, and
// returns it with the secret of its private link, which is kept only
// hashed and so shown only now.
func (s *Service) Add(ctx context.Context, by store.Actor, letterID uint, in Input) (*store.Partner, string, error) {
	if errs := Validate(&in); len(errs) > 0 {
		return nil, "", &ValidationError{Fields: errs}
	}
	token, hash, err := s.newToken()
	if err != nil {
		return nil, "", err
	}
	now := s.d.Now()
	p := &store.Partner{LetterID: letterID, Name: in.Name, Code: in.Code, Website: in.Website, TokenHash: hash, CreatedAt: now, UpdatedAt: now}
	err = s.d.Store.Write(ctx, func(tx *gorm.DB) error {
		if err := store.InsertPartner(tx, p); err != nil {
			return err
		}
		return audit(tx, by, "partner.add", p, now)
	})
	if errors.Is(err, store.ErrPartnerCodeTaken) {
		return nil, "", &ValidationError{Fields: signing.FieldErrors{"code": "error.partner.code_taken"}}
	}
	if err != nil {
		return nil, "", fmt.Errorf("partners: add %q to letter %d: %w", in.Code, letterID, err)
	}
	return p, token, nil
}

// Rotate gives a letter's partner a new private link, audited as
// partner.link; the one before stops working at once. It returns the
// partner and the new link's secret.
func (s *Service) Rotate(ctx context.Context, by store.Actor, letterID uint, partnerID uint64) (*store.Partner, string, error) {
	token, hash, err := s.newToken()
	if err != nil {
		return nil, "", err
	}
	var p *store.Partner
	err = s.d.Store.Write(ctx, func(tx *gorm.DB) error {
		now := s.d.Now()
		if p, err = store.SetPartnerTokenHash(tx, letterID, partnerID, hash, now); err != nil {
			return err
		}
		return audit(tx, by, "partner.link", p, now)
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil, "", ErrNotFound
	}
	if err != nil {
		return nil, "", fmt.Errorf("partners: rotate link of partner %d: %w", partnerID, err)
	}
	return p, token, nil
}

// List is a letter's partners, by name.
func (s *Service) List(ctx context.Context, letterID uint) ([]store.Partner, error) {
	return store.PartnersOf(s.d.Store.Read(ctx), letterID)
}

// Of is letterID's partner with id, or ErrNotFound.
func (s *Service) Of(ctx context.Context, letterID uint, id uint64) (*store.Partner, error) {
	p, err := store.PartnerOf(s.d.Store.Read(ctx), letterID, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrNotFound
	}
	return p, err
}

// NameOf is the name of letterID's partner with code, or "" when the letter
// has none with it (or code is "").
func (s *Service) NameOf(ctx context.Context, letterID uint, code string) (string, error) {
	if code == "" {
		return "", nil
	}
	p, err := store.PartnerByCode(s.d.Store.Read(ctx), letterID, code)
	if errors.Is(err, store.ErrNotFound) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	return p.Name, nil
}

// ByToken is the partner whose private link carries token, or ErrNotFound.
func (s *Service) ByToken(ctx context.Context, token string) (*store.Partner, error) {
	if token == "" {
		return nil, ErrNotFound
	}
	p, err := store.PartnerByTokenHash(s.d.Store.Read(ctx), hashToken(token))
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrNotFound
	}
	return p, err
}

// Sources counts a letter's confirmed and published signatures per source,
// each named by its partner where one has the code.
func (s *Service) Sources(ctx context.Context, letterID uint) ([]SourceCount, error) {
	counts, err := store.SourceCounts(s.d.Store.Read(ctx), letterID)
	if err != nil {
		return nil, err
	}
	list, err := s.List(ctx, letterID)
	if err != nil {
		return nil, err
	}
	names := Names(list)
	out := make([]SourceCount, len(counts))
	for i, c := range counts {
		out[i] = SourceCount{Source: names.Of(c.Ref), Confirmed: c.Confirmed, Published: c.Published}
	}
	return out, nil
}

// Referrals counts the confirmed and published signatures that partner's
// links brought.
func (s *Service) Referrals(ctx context.Context, p *store.Partner) (SourceCount, error) {
	counts, err := store.SourceCounts(s.d.Store.Read(ctx), p.LetterID)
	if err != nil {
		return SourceCount{}, err
	}
	out := SourceCount{Source: Source{Code: p.Code, Partner: p.Name}}
	for _, c := range counts {
		if c.Ref == p.Code {
			out.Confirmed, out.Published = c.Confirmed, c.Published
		}
	}
	return out, nil
}

// audit records, in tx, an action by staff on a letter's partner.
func audit(tx *gorm.DB, by store.Actor, action string, p *store.Partner, at time.Time) error {
	return store.Audit(tx, store.AuditEvent{StaffID: by.StaffID, StaffEmail: by.Name, Action: action, LetterID: &p.LetterID,
		Subject: store.TruncateRunes("partner "+p.Code+" ("+p.Name+")", 300), CreatedAt: at})
}

// newToken makes a private link's secret, 256 random bits, and its hash.
func (s *Service) newToken() (token, hash string, err error) {
	b := make([]byte, 32)
	if _, err := io.ReadFull(s.d.Random, b); err != nil {
		return "", "", fmt.Errorf("partners: read random token: %w", err)
	}
	token = hex.EncodeToString(b)
	return token, hashToken(token), nil
}

// hashToken is how a private link's secret is stored.
func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// Directory is a Directory reading through the service's store.
func (s *Service) Directory(ctx context.Context) *Directory {
	return NewDirectory(s.d.Store.Read(ctx))
}
