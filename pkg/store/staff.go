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
}

// FindStaff loads the staff member matched by the condition, or ErrNotFound.
func FindStaff(tx *gorm.DB, query string, args ...any) (*Staff, error) {
	return findOne[Staff](tx, "staff", query, args...)
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

// LoginFailure is a row of login_failures: one failed login, recorded under
// the account and under the client address, for lock-outs.
type LoginFailure struct {
	ID  uint64    `gorm:"primaryKey"`
	Key string    `gorm:"size:100;not null;index:idx_login_failures_key_at,priority:1"`
	At  time.Time `gorm:"not null;index:idx_login_failures_key_at,priority:2"`
}

// AuditEvent is a row of audit_events: who did what to which signature (or
// staff account, or export) and when, with the fields before and after.
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
}

// Audit inserts an audit event.
func Audit(tx *gorm.DB, e AuditEvent) error {
	if err := tx.Create(&e).Error; err != nil {
		return fmt.Errorf("store: audit %s by %s: %w", e.Action, e.StaffEmail, err)
	}
	return nil
}
