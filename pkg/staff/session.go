package staff

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/undersigned/undersigned/pkg/store"
)

// seenResolution is how stale a session's last-seen time may be before a
// request writes it again; it spares a write on every page.
const seenResolution = time.Minute

// Login checks an email and password and starts a session, returning its new
// token. Unknown email and wrong password fail alike (ErrBadCredentials). After
// LockoutFailures failures within LockoutWindow for the account or for the
// client address, every attempt is refused (ErrLockedOut) until the oldest of
// them leaves the window.
func (s *Service) Login(ctx context.Context, email, password, clientIP string) (string, *store.Staff, error) {
	email = NormaliseEmail(email)
	keys := []string{"account:" + email, "ip:" + clientIP}
	locked, err := s.lockedOut(ctx, keys)
	if err != nil {
		return "", nil, err
	}
	if locked {
		return "", nil, ErrLockedOut
	}
	member, err := store.FindStaff(s.d.Store.Read(ctx), "email = ?", email)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return "", nil, fmt.Errorf("staff: login: %w", err)
	}
	hash := s.dummyHash
	if member != nil {
		hash = member.PasswordHash
	}
	match, err := s.hasher.compare(ctx, password, hash)
	if err != nil {
		return "", nil, err
	}
	if !match || member == nil || member.Disabled {
		return "", nil, s.recordFailure(ctx, keys)
	}
	token, err := s.startSession(ctx, member)
	return token, member, err
}

func (s *Service) lockedOut(ctx context.Context, keys []string) (bool, error) {
	since := s.d.Now().Add(-s.d.Config.LockoutWindow)
	for _, key := range keys {
		var n int64
		err := s.d.Store.Read(ctx).Model(&store.LoginFailure{}).Where("key = ? AND at > ?", key, since).Count(&n).Error
		if err != nil {
			return false, fmt.Errorf("staff: count failures: %w", err)
		}
		if n >= int64(s.d.Config.LockoutFailures) {
			return true, nil
		}
	}
	return false, nil
}

func (s *Service) recordFailure(ctx context.Context, keys []string) error {
	now := s.d.Now()
	err := s.d.Store.Write(ctx, func(tx *gorm.DB) error {
		// Old failures no longer count; clear them as we go.
		if err := tx.Where("at <= ?", now.Add(-s.d.Config.LockoutWindow)).Delete(&store.LoginFailure{}).Error; err != nil {
			return err
		}
		for _, key := range keys {
			if err := tx.Create(&store.LoginFailure{Key: key, At: now}).Error; err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("staff: record failed login: %w", err)
	}
	return ErrBadCredentials
}

func (s *Service) startSession(ctx context.Context, member *store.Staff) (string, error) {
	token, err := s.newToken()
	if err != nil {
		return "", err
	}
	now := s.d.Now()
	err = s.d.Store.Write(ctx, func(tx *gorm.DB) error {
		session := store.Session{TokenHash: hashToken(token), StaffID: member.ID, LastSeenAt: now, ExpiresAt: now.Add(s.d.Config.SessionMax)}
		if err := tx.Create(&session).Error; err != nil {
			return err
		}
		return tx.Model(member).Update("last_login_at", now).Error
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
	var session store.Session
	err := s.d.Store.Read(ctx).Preload("Staff").Where("token_hash = ?", hashToken(token)).Take(&session).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
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
			return tx.Model(&store.Session{}).Where("id = ?", session.ID).Update("last_seen_at", now).Error
		})
		if err != nil {
			return nil, fmt.Errorf("staff: touch session %d: %w", session.ID, err)
		}
	}
	return &session.Staff, nil
}

func (s *Service) endSession(ctx context.Context, id uint64) error {
	err := s.d.Store.Write(ctx, func(tx *gorm.DB) error { return tx.Delete(&store.Session{}, id).Error })
	if err != nil {
		return fmt.Errorf("staff: end session %d: %w", id, err)
	}
	return ErrNoSession
}

// Logout ends the session behind token; an unknown token is not an error.
func (s *Service) Logout(ctx context.Context, token string) error {
	err := s.d.Store.Write(ctx, func(tx *gorm.DB) error {
		return tx.Where("token_hash = ?", hashToken(token)).Delete(&store.Session{}).Error
	})
	if err != nil {
		return fmt.Errorf("staff: logout: %w", err)
	}
	return nil
}
