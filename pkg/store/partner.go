package store

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
)

// ErrPartnerCodeTaken is returned when a letter already has a partner with
// the code asked for.
var ErrPartnerCodeTaken = errors.New("store: partner code taken")

// Partner is an organisation that shares a letter with its own audience,
// through the letter's link carrying its code (?ref=CODE). TokenHash is the
// SHA-256 of the secret of its private page's link; the secret itself is
// shown to staff once, when made.
type Partner struct {
	ID        uint64 `gorm:"primaryKey"`
	LetterID  uint   `gorm:"not null;uniqueIndex:idx_partners_letter_code,priority:1"`
	Letter    Letter `gorm:"constraint:OnDelete:CASCADE"`
	Name      string `gorm:"size:200;not null"`
	Code      string `gorm:"size:64;not null;uniqueIndex:idx_partners_letter_code,priority:2"`
	Website   string `gorm:"size:300;not null;default:''"`
	TokenHash string `gorm:"size:64;not null;uniqueIndex"`
	CreatedAt time.Time
	UpdatedAt time.Time
}

// InsertPartner stores a new partner, or returns ErrPartnerCodeTaken when
// its letter has one with that code already.
func InsertPartner(tx *gorm.DB, p *Partner) error {
	var taken int64
	if err := tx.Model(&Partner{}).Where("letter_id = ? AND code = ?", p.LetterID, p.Code).Count(&taken).Error; err != nil {
		return fmt.Errorf("store: look up partner code %q of letter %d: %w", p.Code, p.LetterID, err)
	}
	if taken > 0 {
		return ErrPartnerCodeTaken
	}
	if err := tx.Create(p).Error; err != nil {
		return fmt.Errorf("store: insert partner %q of letter %d: %w", p.Code, p.LetterID, err)
	}
	return nil
}

// PartnersOf lists a letter's partners by name.
func PartnersOf(tx *gorm.DB, letterID uint) ([]Partner, error) {
	var out []Partner
	if err := tx.Where("letter_id = ?", letterID).Order("name, id").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("store: partners of letter %d: %w", letterID, err)
	}
	return out, nil
}

// PartnerByTokenHash is the partner whose private link's secret hashes to
// hash, or ErrNotFound.
func PartnerByTokenHash(tx *gorm.DB, hash string) (*Partner, error) {
	return takePartner(tx.Where("token_hash = ?", hash), "by token")
}

// SetPartnerTokenHash replaces the hash of a letter's partner's private
// link, so the link before it stops working at once; ErrNotFound when the
// letter has no such partner.
func SetPartnerTokenHash(tx *gorm.DB, letterID uint, partnerID uint64, hash string, now time.Time) (*Partner, error) {
	res := tx.Model(&Partner{}).Where("id = ? AND letter_id = ?", partnerID, letterID).
		Updates(map[string]any{"token_hash": hash, "updated_at": now})
	if res.Error != nil {
		return nil, fmt.Errorf("store: rotate link of partner %d: %w", partnerID, res.Error)
	}
	if res.RowsAffected == 0 {
		return nil, ErrNotFound
	}
	var p Partner
	if err := tx.Take(&p, partnerID).Error; err != nil {
		return nil, fmt.Errorf("store: partner %d: %w", partnerID, err)
	}
	return &p, nil
}

// SourceCount is how many confirmed signatures of a letter that still hold
// their details came through one referral code ("" for none), and how many
// of them are published. A withdrawn signature's code is erased with its
// details, so it counts under no source.
type SourceCount struct {
	Ref       string
	Confirmed int64
	Published int64
}

// SourceCounts counts a letter's confirmed signatures per referral code, in
// one grouped query, the most confirmed first.
func SourceCounts(tx *gorm.DB, letterID uint) ([]SourceCount, error) {
	var out []SourceCount
	err := tx.Model(&Signature{}).
		Select("ref, COUNT(*) AS confirmed, SUM(CASE WHEN status = ? THEN 1 ELSE 0 END) AS published", StatusPublished).
		Where("letter_id = ? AND status IN ?", letterID, append(StandingStatuses(), StatusRejected)).
		Group("ref").Order("confirmed DESC, ref").Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("store: signatures per source of letter %d: %w", letterID, err)
	}
	return out, nil
}

// PartnerByCode is letterID's partner with code, or ErrNotFound. A code no
// column can hold (not UTF-8, or with a NUL, as a mangled link may carry)
// is no partner's, and is not sent to the database.
func PartnerByCode(tx *gorm.DB, letterID uint, code string) (*Partner, error) {
	if !utf8.ValidString(code) || strings.ContainsRune(code, 0) {
		return nil, ErrNotFound
	}
	return takePartner(tx.Where("letter_id = ? AND code = ?", letterID, code), code)
}

// PartnerOf is letterID's partner with id, or ErrNotFound.
func PartnerOf(tx *gorm.DB, letterID uint, id uint64) (*Partner, error) {
	return takePartner(tx.Where("letter_id = ? AND id = ?", letterID, id), strconv.FormatUint(id, 10))
}

// takePartner is the one partner q finds, or ErrNotFound; which names it in
// an error.
func takePartner(q *gorm.DB, which string) (*Partner, error) {
	var p Partner
	err := q.Take(&p).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("store: partner %s: %w", which, err)
	}
	return &p, nil
}

// PartnerContactsAfter lists, by id, up to limit standing signatures (in
// review, published or hidden) of p's letter, after id, whose signers
// allowed p to contact them: the rows of p's contacts export.
func PartnerContactsAfter(tx *gorm.DB, p *Partner, after uint64, limit int) ([]Signature, error) {
	var sigs []Signature
	err := tx.Where("partner_contact_id = ? AND letter_id = ? AND status IN ? AND id > ?", p.ID, p.LetterID, StandingStatuses(), after).
		Order("id").Limit(limit).Find(&sigs).Error
	if err != nil {
		return nil, fmt.Errorf("store: contacts of partner %d after %d: %w", p.ID, after, err)
	}
	return sigs, nil
}
