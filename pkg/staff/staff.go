// Package staff keeps the campaign staff: accounts with argon2id passwords,
// server-side sessions, and the lock-out after repeated failed logins. It
// knows nothing of HTTP or cookies: a session is a token handed to the caller.
package staff

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/sync/semaphore"
	"gorm.io/gorm"

	"github.com/undersigned/undersigned/pkg/config"
	"github.com/undersigned/undersigned/pkg/store"
)

// MinPasswordLength is the shortest password accepted, in characters.
const MinPasswordLength = 12

// Errors the callers show to people.
var (
	ErrInvalidEmail   = errors.New("staff: not a valid email address")
	ErrInvalidRole    = errors.New("staff: role must be admin or moderator")
	ErrWeakPassword   = fmt.Errorf("staff: password must have at least %d characters", MinPasswordLength)
	ErrEmailTaken     = errors.New("staff: an account with this email exists")
	ErrNotFound       = errors.New("staff: no such account")
	ErrBadCredentials = errors.New("staff: wrong email or password")
	ErrLockedOut      = errors.New("staff: too many failed logins; try again later")
	ErrBusy           = errors.New("staff: too many passwords being checked; try again in a moment")
	ErrNoSession      = errors.New("staff: not logged in or session expired")
)

// Deps are what a Service is built from.
type Deps struct {
	Store  *store.Store
	Config config.Staff
	Now    func() time.Time
	Random io.Reader // crypto/rand.Reader outside tests
	// HashSlots bounds how many passwords are hashed at once (see
	// config.Staff.HashSlots); each hash holds 19 MiB and a CPU.
	HashSlots *semaphore.Weighted
}

// Service manages staff accounts and sessions.
type Service struct {
	d      Deps
	hasher *hasher
	// dummyHash is compared against when an email is unknown, so a failed login
	// takes as long whether or not the account exists.
	dummyHash string
}

// New returns a Service over d.
func New(d Deps) (*Service, error) {
	s := &Service{d: d, hasher: &hasher{slots: d.HashSlots}}
	dummy, err := s.hasher.create(context.Background(), "not a real password")
	if err != nil {
		return nil, err
	}
	s.dummyHash = dummy
	return s, nil
}

// PasswordsHashed is how many times the service has run argon2id since it was
// built: for each login checked, account added and its dummy hash. The tests
// of the lock-out read it to see which attempts were hashed.
func (s *Service) PasswordsHashed() int64 { return s.hasher.runs.Load() }

// NormaliseEmail is the form in which staff emails are stored and looked up.
func NormaliseEmail(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

// Add creates an account; the audit log records who added it, in the same
// transaction.
func (s *Service) Add(ctx context.Context, by store.Actor, email string, role store.Role, password string) (*store.Staff, error) {
	email = NormaliseEmail(email)
	if addr, err := mail.ParseAddress(email); err != nil || addr.Address != email {
		return nil, ErrInvalidEmail
	}
	if role != store.RoleAdmin && role != store.RoleModerator {
		return nil, ErrInvalidRole
	}
	if utf8.RuneCountInString(password) < MinPasswordLength {
		return nil, ErrWeakPassword
	}
	hash, err := s.hasher.create(ctx, password)
	if err != nil {
		return nil, err
	}
	member := &store.Staff{Email: email, Role: role, PasswordHash: hash, Digest: store.DigestHourly}
	err = s.d.Store.Write(ctx, func(tx *gorm.DB) error {
		if err := store.AddStaff(tx, member); err != nil {
			return err
		}
		return store.AuditAction(tx, by, "staff_add", member.Email+" ("+string(member.Role)+")", s.d.Now())
	})
	if errors.Is(err, gorm.ErrDuplicatedKey) {
		return nil, ErrEmailTaken
	}
	if err != nil {
		return nil, fmt.Errorf("staff: add %s: %w", email, err)
	}
	return member, nil
}

// List returns every account, by email.
func (s *Service) List(ctx context.Context) ([]store.Staff, error) {
	all, err := store.AllStaff(s.d.Store.Read(ctx))
	if err != nil {
		return nil, fmt.Errorf("staff: list: %w", err)
	}
	return all, nil
}

// Disable stops an account from logging in and ends all its sessions at
// once; the audit log records who did, in the same transaction.
func (s *Service) Disable(ctx context.Context, by store.Actor, email string) (*store.Staff, error) {
	var member *store.Staff
	err := s.d.Store.Write(ctx, func(tx *gorm.DB) error {
		var err error
		if member, err = store.StaffByEmail(tx, NormaliseEmail(email)); err != nil {
			return err
		}
		if err := store.DisableStaff(tx, member); err != nil {
			return err
		}
		return store.AuditAction(tx, by, "staff_disable", member.Email, s.d.Now())
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("staff: disable %s: %w", email, err)
	}
	return member, nil
}

// hashToken is how session tokens are stored.
func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

func (s *Service) newToken() (string, error) {
	b := make([]byte, 32)
	if _, err := io.ReadFull(s.d.Random, b); err != nil {
		return "", fmt.Errorf("staff: read random token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}
