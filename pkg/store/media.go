package store

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// MediaStatus is where a signature's statement or logo stands in its own
// review, apart from the signature's: the public sees it only once approved.
type MediaStatus string

// The states of a statement or a logo; MediaNone is having none.
const (
	MediaNone     MediaStatus = ""
	MediaPending  MediaStatus = "pending"
	MediaApproved MediaStatus = "approved"
	MediaRejected MediaStatus = "rejected"
)

// MediaItem is what of a signature's media a reviewer decides on.
type MediaItem string

// The items a signature's media holds.
const (
	MediaStatement MediaItem = "statement"
	MediaLogo      MediaItem = "logo"
)

// ErrMediaNotPending is what a decision on a statement or logo fails with
// when there is none awaiting review (another reviewer decided first, or the
// signer replaced it).
var ErrMediaNotPending = errors.New("store: no statement or logo awaiting review")

// SignatureMedia is what a signer adds to a signature beyond its public
// details: a short statement ("why we sign") and, for an organisation, its
// logo, re-encoded as a PNG by the server. Each is reviewed on its own, and
// each goes back to review when the signer changes it. The logo is kept in
// the database, not on disk, so that every server sharing it serves it.
type SignatureMedia struct {
	SignatureID     uint64      `gorm:"primaryKey;autoIncrement:false"`
	Signature       *Signature  `gorm:"constraint:OnDelete:CASCADE"`
	Statement       string      `gorm:"size:1200;not null;default:''"`
	StatementStatus MediaStatus `gorm:"size:20;not null;default:''"`
	LogoPNG         []byte
	LogoWidth       int `gorm:"not null;default:0"`
	LogoHeight      int `gorm:"not null;default:0"`
	// LogoVersion is the first hex digits of the PNG's SHA-256: the logo's
	// address carries it, so a new logo is never served from a cache of the
	// old one.
	LogoVersion string      `gorm:"size:16;not null;default:''"`
	LogoStatus  MediaStatus `gorm:"size:20;not null;default:'';index"`
	UpdatedAt   time.Time
}

// TableName is signature_media: one row per signature, not a plural.
func (SignatureMedia) TableName() string { return "signature_media" }

// Awaiting reports whether a reviewer has something of m to decide on.
func (m *SignatureMedia) Awaiting() bool {
	return m.StatementStatus == MediaPending || m.LogoStatus == MediaPending
}

// MediaUpload is what a signer sends of their media at signing or through
// the manage link: the statement ("" for none) and the logo already
// re-encoded (nil for none, or to keep the one there is).
type MediaUpload struct {
	Statement     string
	LogoPNG       []byte
	Width, Height int
}

// Empty reports whether u carries neither a statement nor a logo.
func (u MediaUpload) Empty() bool { return u.Statement == "" && u.LogoPNG == nil }

// newMedia is the row of a new signature's media, all of it awaiting review.
func newMedia(sigID uint64, u MediaUpload, now time.Time) *SignatureMedia {
	m := &SignatureMedia{SignatureID: sigID, UpdatedAt: now}
	m.setStatement(u.Statement)
	if u.LogoPNG != nil {
		m.setLogo(u)
	}
	return m
}

// setStatement puts statement up for review, or clears it when "".
func (m *SignatureMedia) setStatement(statement string) {
	m.Statement, m.StatementStatus = statement, MediaPending
	if statement == "" {
		m.StatementStatus = MediaNone
	}
}

// setLogo puts the logo of u up for review.
func (m *SignatureMedia) setLogo(u MediaUpload) {
	sum := sha256.Sum256(u.LogoPNG)
	m.LogoPNG, m.LogoWidth, m.LogoHeight = u.LogoPNG, u.Width, u.Height
	m.LogoVersion, m.LogoStatus = hex.EncodeToString(sum[:8]), MediaPending
}

// InsertMedia stores the media of the new signature sigID, in the write
// that inserts it; an empty upload stores nothing.
func InsertMedia(tx *gorm.DB, sigID uint64, u MediaUpload, now time.Time) error {
	if u.Empty() {
		return nil
	}
	if err := tx.Omit(clause.Associations).Create(newMedia(sigID, u, now)).Error; err != nil {
		return fmt.Errorf("store: insert media of signature %d: %w", sigID, err)
	}
	return nil
}

// MediaOf loads the media of signature id, or ErrNotFound when it has none.
func MediaOf(tx *gorm.DB, id uint64) (*SignatureMedia, error) {
	return findOne[SignatureMedia](tx, "media", "signature_id = ?", id)
}

// ReplaceMedia applies a signer's change through the manage link to the
// media of sig: a statement that differs from the one stored, and a new
// logo, go back to review. It returns what the public view must learn once
// tx has committed (nil when nothing public changed).
func ReplaceMedia(tx *gorm.DB, sig *Signature, u MediaUpload, now time.Time) (*Change, error) {
	m, err := MediaOf(tx, sig.ID)
	if errors.Is(err, ErrNotFound) {
		return nil, InsertMedia(tx, sig.ID, u, now)
	}
	if err != nil {
		return nil, err
	}
	before := *m
	if u.Statement != m.Statement {
		m.setStatement(u.Statement)
	}
	if u.LogoPNG != nil {
		m.setLogo(u)
	}
	if m.Statement == before.Statement && m.LogoVersion == before.LogoVersion {
		return nil, nil
	}
	m.UpdatedAt = now
	if err := tx.Omit(clause.Associations).Save(m).Error; err != nil {
		return nil, fmt.Errorf("store: replace media of signature %d: %w", sig.ID, err)
	}
	wasPublic := before.StatementStatus == MediaApproved && m.StatementStatus != MediaApproved ||
		before.LogoStatus == MediaApproved && m.LogoStatus != MediaApproved
	if !wasPublic || sig.Status != StatusPublished {
		return nil, nil
	}
	return mediaChange(tx, sig, true)
}

// mediaChange bumps sig's letter's change counters for a change of its
// public media and says what the public view must learn. A statement or
// logo leaving the public list counts as unpublished, as a corrected name
// does, so that no server replays it.
func mediaChange(tx *gorm.DB, sig *Signature, unpublished bool) (*Change, error) {
	if err := touchLetter(tx, sig.LetterID, unpublished); err != nil {
		return nil, err
	}
	change := &Change{LetterID: sig.LetterID, Countries: []string{sig.Country}, Published: []uint64{sig.ID}}
	if unpublished {
		change.Unpublished = []uint64{sig.ID}
	}
	return change, nil
}

// DecideMedia approves or rejects the statement or logo of sig awaiting
// review, and records the decision in the audit log, in tx. It fails with
// ErrMediaNotPending when none awaits review. It returns what the public
// view must learn once tx has committed: something when a published
// signature's statement or logo was approved.
func DecideMedia(tx *gorm.DB, sig *Signature, item MediaItem, to MediaStatus, by Actor, at time.Time) (*Change, error) {
	column := string(item) + "_status"
	res := tx.Model(&SignatureMedia{}).Where("signature_id = ? AND "+column+" = ?", sig.ID, MediaPending).
		Updates(map[string]any{column: to, "updated_at": at})
	if res.Error != nil {
		return nil, fmt.Errorf("store: decide the %s of signature %d: %w", item, sig.ID, res.Error)
	}
	if res.RowsAffected != 1 {
		return nil, ErrMediaNotPending
	}
	verb := "approve"
	if to == MediaRejected {
		verb = "reject"
	}
	err := Audit(tx, AuditEvent{StaffID: by.StaffID, StaffEmail: by.Name, Action: verb + "_" + string(item),
		SignatureID: &sig.ID, LetterID: &sig.LetterID, Subject: fmt.Sprintf("%s (%s)", sig.Name, sig.Country), CreatedAt: at})
	if err != nil || to != MediaApproved || sig.Status != StatusPublished {
		return nil, err
	}
	return mediaChange(tx, sig, false)
}

// MediaAwaitingReview tells which of the signatures ids have a statement or
// logo awaiting review, in one query.
func MediaAwaitingReview(tx *gorm.DB, ids []uint64) (map[uint64]bool, error) {
	var awaiting []uint64
	err := tx.Model(&SignatureMedia{}).Where("signature_id IN ? AND (statement_status = ? OR logo_status = ?)",
		ids, MediaPending, MediaPending).Pluck("signature_id", &awaiting).Error
	if err != nil {
		return nil, fmt.Errorf("store: media awaiting review among %d signatures: %w", len(ids), err)
	}
	out := make(map[uint64]bool, len(awaiting))
	for _, id := range awaiting {
		out[id] = true
	}
	return out, nil
}

// WallLogo is one logo of a letter's logo wall: an organisation published
// with its logo approved.
type WallLogo struct {
	ID          uint64
	Name        string
	LogoWidth   int
	LogoHeight  int
	LogoVersion string
}

// approvedLogos is the query for the approved logos of a letter's published
// signatures.
func approvedLogos(tx *gorm.DB, letterID uint) *gorm.DB {
	return tx.Table("signature_media").Joins("JOIN signatures ON signatures.id = signature_media.signature_id").
		Where("signatures.letter_id = ? AND signatures."+published+" AND signature_media.logo_status = ?", letterID, MediaApproved)
}

// LogoWall lists the letter's approved logos of published signatures, in
// the order of their names.
func LogoWall(tx *gorm.DB, letterID uint) ([]WallLogo, error) {
	var out []WallLogo
	err := approvedLogos(tx, letterID).
		Select("signatures.id, signatures.name, signature_media.logo_width, signature_media.logo_height, signature_media.logo_version").
		Order("signatures.sort_key, signatures.id").Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("store: logo wall of letter %d: %w", letterID, err)
	}
	return out, nil
}

// PublicLogo is the PNG of signature id's logo, if the signature is a
// published one of the letter and its logo is approved; ErrNotFound
// otherwise.
func PublicLogo(tx *gorm.DB, letterID uint, id uint64) ([]byte, error) {
	var rows []struct{ LogoPNG []byte }
	err := approvedLogos(tx, letterID).Where("signatures.id = ?", id).Select("signature_media.logo_png").Limit(1).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("store: logo of signature %d: %w", id, err)
	}
	if len(rows) == 0 || rows[0].LogoPNG == nil {
		return nil, ErrNotFound
	}
	return rows[0].LogoPNG, nil
}

// deleteMedia deletes the statement and logo of signature id, as its
// withdrawal or erasure must.
func deleteMedia(tx *gorm.DB, id uint64) error {
	if err := tx.Where("signature_id = ?", id).Delete(&SignatureMedia{}).Error; err != nil {
		return fmt.Errorf("store: delete media of signature %d: %w", id, err)
	}
	return nil
}
