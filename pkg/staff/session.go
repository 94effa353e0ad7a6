package staff

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"time"

	"gorm.io/gorm"

	"github.com/undersigned/undersigned/pkg/abuse"
	"github.com/undersigned/undersigned/pkg/store"
)

// seenResolution is how stale a session's last-seen time may be before a
// request writes it again; it spares a write on every page.
const seenResolution = time.Minute

// Login checks an email and password and starts a session, returning its new
// token. Unknown email and wrong password fail alike (ErrBadCredentials).
//
// Every attempt is counted before its password is hashed, under the account
// and under the client's network (an IPv4 address, an IPv6 /64): once
// LockoutFailures attempts within LockoutWindow have failed or are being
// checked for either, further ones are refused unhashed (ErrLockedOut) until
// the oldest leaves the window, however many arrive at once. A login that
// succeeds no longer counts, nor does one refused because no hashing slot
// came free (ErrBusy).
func (s *Service) Login(ctx context.Context, email, password, clientIP string) (string, *store.Staff, error) {
	email = NormaliseEmail(email)
	attempt, err := s.reserveAttempt(ctx, email, clientIP)
	if err != nil {
		return "", nil, err
	}
	member, err := s.checkPassword(ctx, email, password)
	if errors.Is(err, ErrBusy) {
		return "", nil, s.releaseAttempt(ctx, attempt)
	}
	if err != nil {
		return "", nil, err
	}
	token, err := s.startSession(ctx, member, attempt)
	return token, member, err
}

// reserveAttempt counts a login attempt (see Login) and returns its record's
// ids, or ErrLockedOut. A read refuses a locked-out flood without a write;
// the reservation itself counts and records in one transaction.
func (s *Service) reserveAttempt(ctx context.Context, email, clientIP string) ([]uint64, error) {
	limit := store.LoginLimit{Keys: []string{"account:" + email, networkKey(clientIP)}, At: s.d.Now(),
		Window: s.d.Config.LockoutWindow, Max: s.d.Config.LockoutFailures}
	spent, err := s.d.Store.LoginAttemptsSpent(ctx, limit)
	if err != nil {
		return nil, fmt.Errorf("staff: login: %w", err)
	}
	if spent {
		return nil, ErrLockedOut
	}
	attempt, err := s.d.Store.ReserveLoginAttempt(ctx, limit)
	if errors.Is(err, store.ErrLoginAttemptsSpent) {
		return nil, ErrLockedOut
	}
	if err != nil {
		return nil, fmt.Errorf("staff: login: %w", err)
	}
	return attempt, nil
}

// networkKey is what the lock-out counts a client's attempts under: its
// network as the public forms' rate limits count it (an IPv4 address, the /64
// of an IPv6 one, which one household or phone holds whole), or the address
// as given when it does not parse.
func networkKey(clientIP string) string {
	if addr, err := netip.ParseAddr(clientIP); err == nil {
		return "ip:" + abuse.NetworkKey(addr)
	}
	return "ip:" + clientIP
}

// checkPassword returns the enabled account whose password this is, or
// ErrBadCredentials. An unknown email is checked against the dummy hash, so
// it takes as long as a known one.
func (s *Service) checkPassword(ctx context.Context, email, password string) (*store.Staff, error) {
	member, err := store.StaffByEmail(s.d.Store.Read(ctx), email)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("staff: login: %w", err)
	}
	hash := s.dummyHash
	if member != nil {
		hash = member.PasswordHash
	}
	match, err := s.hasher.compare(ctx, password, hash)
	if err != nil {
		return nil, err
	}
	if !match || member == nil || member.Disabled {
		return nil, ErrBadCredentials
	}
	return member, nil
}

// releaseAttempt stops counting an attempt whose password was never hashed
// for want of a slot, and returns ErrBusy for it.
func (s *Service) releaseAttempt(ctx context.Context, attempt []uint64) error {
	err := s.d.Store.Write(ctx, func(tx *gorm.DB) error { return store.ReleaseLoginAttempt(tx, attempt) })
	if err != nil {
		return fmt.Errorf("staff: release login attempt: %w", err)
	}
	return ErrBusy
}

// startSession stores a new session for member, and stops counting the
// attempt that logged in, in one transaction.
func (s *Service) startSession(ctx context.Context, member *store.Staff, attempt []uint64) (string, error) {
	token, err := s.newToken()
	if err != nil {
		return "", err
	}
	now := s.d.Now()
	err = s.d.Store.Write(ctx, func(tx *gorm.DB) error {
		session := store.Session{TokenHash: hashToken(token), StaffID: member.ID, LastSeenAt: now, ExpiresAt: now.Add(s.d.Config.SessionMax)}
		if err := store.CreateSession(tx, &session); err != nil {
			return err
		}
		if err := store.ReleaseLoginAttempt(tx, attempt); err != nil {
			return err
		}
		return store.SetStaffLastLogin(tx, member, now)
	})
	if err != nil {
		return "", fmt.Errorf("staff: start session for %d: %w", member.ID, err)
	}
	return token, nil
}

// Authenticate returns the staff member behind a session token, and keeps the
// session alive. A session ends after SessionIdle without a request, after
// SessionMax in all, when its member is disabled, or at logout.
func (s *Service) Authenticate(ctx context.Context, token string) (*store.Staff, error) {
	if token == "" {
		return nil, ErrNoSession
	}
	session, err := store.SessionByTokenHash(s.d.Store.Read(ctx), hashToken(token))
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrNoSession
	}
	if err != nil {
		return nil, fmt.Errorf("staff: find session: %w", err)
	}
	now := s.d.Now()
	if !now.Before(session.ExpiresAt) || !now.Before(session.LastSeenAt.Add(s.d.Config.SessionIdle)) || session.Staff.Disabled {
		return nil, s.endSession(ctx, session.ID)
	}
	if now.Sub(session.LastSeenAt) >= seenResolution {
		err := s.d.Store.Write(ctx, func(tx *gorm.DB) error {
			return store.TouchSession(tx, session.ID, now)
		})
		if err != nil {
			return nil, fmt.Errorf("staff: touch session %d: %w", session.ID, err)
		}
	}
	return &session.Staff, nil
}

func (s *Service) endSession(ctx context.Context, id uint64) error {
	err := s.d.Store.Write(ctx, func(tx *gorm.DB) error { return store.DeleteSession(tx, id) })
	if err != nil {
		return fmt.Errorf("staff: end session %d: %w", id, err)
	}
	return ErrNoSession
}

// Logout ends the session behind token; an unknown token is not an error.
func (s *Service) Logout(ctx context.Context, token string) error {
	err := s.d.Store.Write(ctx, func(tx *gorm.DB) error {
		return store.DeleteSessionByTokenHash(tx, hashToken(token))
	})
	if err != nil {
		return fmt.Errorf("staff: logout: %w", err)
	}
	return nil
}
