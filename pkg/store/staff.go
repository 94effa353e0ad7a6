package store

import (
	"fmt"
	"time"

	"gorm.io/gorm"
)

// Role is what a staff member may do.
type Role string

// The staff roles. Admins can do all that moderators can, and also manage staff
// and export contact emails.
const (
	RoleAdmin     Role = "admin"
	RoleModerator Role = "moderator"
)

// Staff is a row of the staff table: a campaign staff account.
type Staff struct {
	ID           uint   `gorm:"primaryKey"`
	Email        string `gorm:"size:254;not null;uniqueIndex"`
	Role         Role   `gorm:"size:20;not null"`
	PasswordHash string `gorm:"size:200;not null"`
	Disabled     bool   `gorm:"not null;default:false"`
	LastLoginAt  *time.Time
	CreatedAt    time.Time
	UpdatedAt    time.Time
	// Digest is how often the member is mailed a digest of the signatures
	// awaiting review; LastDigestAt is when the last one was queued (nil:
	// never).
	Digest       Digest `gorm:"size:20;not null;default:'hourly'"`
	LastDigestAt *time.Time
}

// StaffByEmail loads the staff member with email, as stored (see
// staff.NormaliseEmail), or ErrNotFound.
func StaffByEmail(tx *gorm.DB, email string) (*Staff, error) {
	return findOne[Staff](tx, "staff", "email = ?", email)
}

// AllStaff lists every staff account, by email: the admins' staff page.
func AllStaff(tx *gorm.DB) ([]Staff, error) {
	var all []Staff
	if err := tx.Order("email").Find(&all).Error; err != nil {
		return nil, fmt.Errorf("store: list staff: %w", err)
	}
	return all, nil
}

// AddStaff inserts a staff account; an email already taken fails with
// gorm.ErrDuplicatedKey.
func AddStaff(tx *gorm.DB, member *Staff) error {
	if err := tx.Create(member).Error; err != nil {
		return fmt.Errorf("store: add staff %s: %w", member.Email, err)
	}
	return nil
}

// SetStaffLastLogin records at as member's last login, in the row and in
// member.
func SetStaffLastLogin(tx *gorm.DB, member *Staff, at time.Time) error {
	if err := tx.Model(member).Update("last_login_at", at).Error; err != nil {
		return fmt.Errorf("store: set last login of staff %d: %w", member.ID, err)
	}
	return nil
}

// DisableStaff marks member disabled, in the row and in member, and deletes
// all its sessions, so that it is logged out at once.
func DisableStaff(tx *gorm.DB, member *Staff) error {
	if err := tx.Model(member).Update("disabled", true).Error; err != nil {
		return fmt.Errorf("store: disable staff %d: %w", member.ID, err)
	}
	if err := tx.Where("staff_id = ?", member.ID).Delete(&Session{}).Error; err != nil {
		return fmt.Errorf("store: delete sessions of staff %d: %w", member.ID, err)
	}
	return nil
}

// Session is a row of the sessions table: a staff member logged in. Only a
// hash of the cookie's token is stored.
type Session struct {
	ID         uint64 `gorm:"primaryKey"`
	TokenHash  string `gorm:"size:64;not null;uniqueIndex"`
	StaffID    uint   `gorm:"not null;index"`
	Staff      Staff  `gorm:"constraint:OnDelete:CASCADE"`
	CreatedAt  time.Time
	LastSeenAt time.Time `gorm:"not null"`
	ExpiresAt  time.Time `gorm:"not null;index"` // the absolute limit
}

// CreateSession inserts a session, at login.
func CreateSession(tx *gorm.DB, session *Session) error {
	if err := tx.Create(session).Error; err != nil {
		return fmt.Errorf("store: create session for staff %d: %w", session.StaffID, err)
	}
	return nil
}

// SessionByTokenHash loads the session whose token has hash, with its staff
// member, or ErrNotFound: every staff request starts here.
func SessionByTokenHash(tx *gorm.DB, hash string) (*Session, error) {
	return findOne[Session](tx.Preload("Staff"), "session", "token_hash = ?", hash)
}

// TouchSession records at as the last time the session with id was used.
func TouchSession(tx *gorm.DB, id uint64, at time.Time) error {
	if err := tx.Model(&Session{}).Where("id = ?", id).Update("last_seen_at", at).Error; err != nil {
		return fmt.Errorf("store: touch session %d: %w", id, err)
	}
	return nil
}

// DeleteSession deletes the session with id, when it has expired.
func DeleteSession(tx *gorm.DB, id uint64) error {
	if err := tx.Delete(&Session{}, id).Error; err != nil {
		return fmt.Errorf("store: delete session %d: %w", id, err)
	}
	return nil
}

// DeleteSessionByTokenHash deletes the session whose token has hash, at
// logout; no such session is not an error.
func DeleteSessionByTokenHash(tx *gorm.DB, hash string) error {
	if err := tx.Where("token_hash = ?", hash).Delete(&Session{}).Error; err != nil {
		return fmt.Errorf("store: delete session by token: %w", err)
	}
	return nil
}

// LoginFailure is a row of login_failures: one failed login, recorded under
// the account and under the client address, for lock-outs.
type LoginFailure struct {
	ID  uint64    `gorm:"primaryKey"`
	Key string    `gorm:"size:100;not null;index:idx_login_failures_key_at,priority:1"`
	At  time.Time `gorm:"not null;index:idx_login_failures_key_at,priority:2"`
}

// AuditEvent is a row of audit_events: who did what to which signature (or
// staff account, or export) and when, with the fields before and after.
// LetterID names the letter the event concerns, when it concerns one: the
// letter of the signature, or a letter acted on as a whole.
type AuditEvent struct {
	ID          uint64    `gorm:"primaryKey"`
	StaffID     *uint     `gorm:"index"`
	StaffEmail  string    `gorm:"size:254;not null"`
	Action      string    `gorm:"size:40;not null;index"`
	SignatureID *uint64   `gorm:"index"`
	Subject     string    `gorm:"size:300;not null;default:''"`  // what was acted on, in words
	Before      string    `gorm:"type:text;not null;default:''"` // JSON
	After       string    `gorm:"type:text;not null;default:''"` // JSON
	CreatedAt   time.Time `gorm:"index"`
	LetterID    *uint     `gorm:"index"`
}

// Audit inserts an audit event.
func Audit(tx *gorm.DB, e AuditEvent) error {
	if err := tx.Create(&e).Error; err != nil {
		return fmt.Errorf("store: audit %s by %s: %w", e.Action, e.StaffEmail, err)
	}
	return nil
}
