package store

import (
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// LetterState is where a letter stands in its campaign.
type LetterState string

// The states of a letter, in the order a campaign moves through them. See
// pkg/letters for the moves between them.
const (
	LetterDraft    LetterState = "draft"    // written in the console; not public
	LetterEmbargo  LetterState = "embargo"  // collecting signatures; list and count private
	LetterPublic   LetterState = "public"   // collecting; list and count public
	LetterClosed   LetterState = "closed"   // final list and count; no form
	LetterArchived LetterState = "archived" // as closed, off the lists of letters
)

// Letter is a row of the letters table: an open letter, written in the
// console or imported once from config.yaml. Its texts are in letter_texts;
// Title, Summary, Body and Lang copy the current text in its own language,
// kept in step by SaveLetterText, so that a reader of the table sees what
// the letter is.
type Letter struct {
	ID          uint       `gorm:"primaryKey"`
	Slug        string     `gorm:"size:80;not null;uniqueIndex"`
	Title       string     `gorm:"size:300;not null"`
	Summary     string     `gorm:"size:1000;not null;default:''"`
	Body        string     `gorm:"type:text;not null"`
	Lang        string     `gorm:"size:16;not null"`
	VersionHash string     `gorm:"size:64;not null"`
	OpensAt     *time.Time // draft → embargo
	ClosesAt    *time.Time // public → closed
	PublishAt   *time.Time // embargo → public
	ReviewKinds string     `gorm:"size:100;not null;default:''"` // comma-separated signer kinds
	CreatedAt   time.Time
	UpdatedAt   time.Time
	// State is the last state a move wrote; the dates above move the letter
	// on when they pass (see letters.Letter.StateAt), and the schedule
	// writes those moves down. The fields from here on come last, in the
	// order the migration steps add them to an existing table.
	State      LetterState `gorm:"size:20;not null;default:'public'"`
	ArchivedAt *time.Time
	Goals      string `gorm:"size:200;not null;default:''"` // comma-separated numbers of signatures, smallest first
}

// LetterText is a row of letter_texts: one version of a letter's text in
// one language. A language's current text is its highest version; the
// earlier ones stay, as the versions that signatures agreed to.
type LetterText struct {
	ID         uint64 `gorm:"primaryKey"`
	LetterID   uint   `gorm:"not null;uniqueIndex:idx_letter_texts_version,priority:1"`
	Letter     Letter `gorm:"constraint:OnDelete:CASCADE"`
	Lang       string `gorm:"size:16;not null;uniqueIndex:idx_letter_texts_version,priority:2"`
	Version    int    `gorm:"not null;uniqueIndex:idx_letter_texts_version,priority:3"`
	Title      string `gorm:"size:300;not null"`
	Summary    string `gorm:"size:1000;not null;default:''"`
	Recipients string `gorm:"size:300;not null;default:''"`
	Body       string `gorm:"type:text;not null"`
	// Change says what kind of edit made this version: "" for the first,
	// TextMinor or TextMaterial for later ones.
	Change TextChange `gorm:"size:20;not null;default:''"`
	// Note is staff's summary of the change, mailed to signers with a
	// material one.
	Note      string `gorm:"size:1000;not null;default:''"`
	EditedBy  string `gorm:"size:254;not null;default:''"`
	CreatedAt time.Time
	UpdatedAt time.Time
}

// TextChange is the kind of edit that made a new version of a text.
type TextChange string

// The kinds of edit to a text that signatures exist for.
const (
	TextMinor    TextChange = "minor"    // a typo: signers are not told
	TextMaterial TextChange = "material" // signers are mailed, to withdraw if they wish
)

// VersionKey names a text version as signatures record it: language and
// version number, such as "fr/2".
func (t LetterText) VersionKey() string { return fmt.Sprintf("%s/%d", t.Lang, t.Version) }

// ErrSlugTaken is returned when a letter's slug belongs to another letter.
var ErrSlugTaken = errors.New("store: slug taken")

// AllLetters loads every letter, oldest first, with every version of its
// texts, by letter id, in language then version order.
func AllLetters(tx *gorm.DB) ([]Letter, map[uint][]LetterText, error) {
	var rows []Letter
	if err := tx.Order("id").Find(&rows).Error; err != nil {
		return nil, nil, fmt.Errorf("store: load letters: %w", err)
	}
	var texts []LetterText
	if err := tx.Order("letter_id, lang, version").Find(&texts).Error; err != nil {
		return nil, nil, fmt.Errorf("store: load letter texts: %w", err)
	}
	byLetter := map[uint][]LetterText{}
	for _, t := range texts {
		byLetter[t.LetterID] = append(byLetter[t.LetterID], t)
	}
	return rows, byLetter, nil
}

// LettersStamp is the time of the latest change to any letter and the
// number of letters: servers sharing the database poll it to reload their
// letters when another one changed them.
func LettersStamp(tx *gorm.DB) (string, error) {
	var row struct {
		Latest string
		N      int64
	}
	err := tx.Model(&Letter{}).Select("CAST(MAX(updated_at) AS TEXT) AS latest, COUNT(*) AS n").Scan(&row).Error
	if err != nil {
		return "", fmt.Errorf("store: letters stamp: %w", err)
	}
	return fmt.Sprintf("%s|%d", row.Latest, row.N), nil
}

// LetterBySlug loads the letter with slug, or ErrNotFound.
func LetterBySlug(tx *gorm.DB, slug string) (*Letter, error) {
	return findOne[Letter](tx, "letter", "slug = ?", slug)
}

// LetterByID loads the letter with id, or ErrNotFound.
func LetterByID(tx *gorm.DB, id uint) (*Letter, error) {
	return findOne[Letter](tx, "letter", "id = ?", id)
}

// CreateLetter inserts l with its first text; a slug already taken fails
// with ErrSlugTaken.
func CreateLetter(tx *gorm.DB, l *Letter, first LetterText) error {
	if _, err := LetterBySlug(tx, l.Slug); err == nil {
		return ErrSlugTaken
	} else if !errors.Is(err, ErrNotFound) {
		return err
	}
	l.Title, l.Summary, l.Body, l.Lang = first.Title, first.Summary, first.Body, first.Lang
	if err := tx.Create(l).Error; err != nil {
		return fmt.Errorf("store: create letter %q: %w", l.Slug, err)
	}
	first.LetterID, first.Version = l.ID, 1
	if err := tx.Create(&first).Error; err != nil {
		return fmt.Errorf("store: create text of letter %q: %w", l.Slug, err)
	}
	return nil
}

// UpdateLetter writes l's settings (slug, language, review kinds, goals,
// dates, state) and moves its updated_at to now; a slug taken by another
// letter fails with ErrSlugTaken.
func UpdateLetter(tx *gorm.DB, l *Letter, now time.Time) error {
	if other, err := LetterBySlug(tx, l.Slug); err == nil && other.ID != l.ID {
		return ErrSlugTaken
	} else if err != nil && !errors.Is(err, ErrNotFound) {
		return err
	}
	l.UpdatedAt = now
	err := tx.Model(l).Select("slug", "lang", "review_kinds", "goals", "state", "opens_at", "publish_at", "closes_at",
		"archived_at", "updated_at").Updates(l).Error
	if err != nil {
		return fmt.Errorf("store: update letter %d: %w", l.ID, err)
	}
	return nil
}

// MoveLetterState writes a move of the letter from one state to another,
// with the dates in l, unless the letter is no longer in from: then it
// reports false, and the caller lost a race with another move.
func MoveLetterState(tx *gorm.DB, l *Letter, from LetterState, now time.Time) (bool, error) {
	res := tx.Model(&Letter{}).Where("id = ? AND state = ?", l.ID, from).Updates(map[string]any{
		"state": l.State, "opens_at": l.OpensAt, "publish_at": l.PublishAt, "closes_at": l.ClosesAt,
		"archived_at": l.ArchivedAt, "updated_at": now,
	})
	if res.Error != nil {
		return false, fmt.Errorf("store: move letter %d to %s: %w", l.ID, l.State, res.Error)
	}
	return res.RowsAffected == 1, nil
}

// CurrentText loads the highest version of the letter's text in lang, or
// ErrNotFound.
func CurrentText(tx *gorm.DB, letterID uint, lang string) (*LetterText, error) {
	var t LetterText
	err := tx.Where("letter_id = ? AND lang = ?", letterID, lang).Order("version DESC").Limit(1).Take(&t).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("store: current %s text of letter %d: %w", lang, letterID, err)
	}
	return &t, nil
}

// LetterTextsByID loads the text versions with ids, by id; an id that names
// none is absent. The outbox loads those its batch of notices names.
func LetterTextsByID(tx *gorm.DB, ids []uint64) (map[uint64]*LetterText, error) {
	return rowsByID(tx, "letter texts", ids, func(t *LetterText) uint64 { return t.ID })
}

// SaveLetterText stores t: as a new version when t.ID is 0, over the
// version t.ID otherwise. It keeps the letter's copy of its own language's
// text in step and moves the letter's updated_at to now.
func SaveLetterText(tx *gorm.DB, t *LetterText, now time.Time) error {
	t.UpdatedAt = now
	if t.ID == 0 {
		t.CreatedAt = now
		if err := tx.Create(t).Error; err != nil {
			return fmt.Errorf("store: add %s text of letter %d: %w", t.Lang, t.LetterID, err)
		}
	} else if err := tx.Save(t).Error; err != nil {
		return fmt.Errorf("store: save %s text of letter %d: %w", t.Lang, t.LetterID, err)
	}
	err := tx.Model(&Letter{}).Where("id = ?", t.LetterID).Updates(map[string]any{"updated_at": now}).Error
	if err == nil {
		err = tx.Model(&Letter{}).Where("id = ? AND lang = ?", t.LetterID, t.Lang).
			Updates(map[string]any{"title": t.Title, "summary": t.Summary, "body": t.Body}).Error
	}
	if err != nil {
		return fmt.Errorf("store: copy text into letter %d: %w", t.LetterID, err)
	}
	return nil
}

// LetterHasSignatures reports whether anyone has signed the letter, in any
// state: from then on its slug is fixed and edits to its text are versions.
func LetterHasSignatures(tx *gorm.DB, letterID uint) (bool, error) {
	var ids []uint64
	if err := tx.Model(&Signature{}).Where("letter_id = ?", letterID).Limit(1).Pluck("id", &ids).Error; err != nil {
		return false, fmt.Errorf("store: any signature on letter %d: %w", letterID, err)
	}
	return len(ids) > 0, nil
}

// UpsertLetter inserts l or, when its slug exists, updates the row to match and
// fills in l.ID. Tests use it to set up a letter row without texts.
func UpsertLetter(tx *gorm.DB, l *Letter) error {
	if l.State == "" {
		l.State = LetterPublic
	}
	err := tx.Clauses(clause.OnConflict{
		Columns: []clause.Column{{Name: "slug"}},
		DoUpdates: clause.AssignmentColumns([]string{
			"title", "summary", "body", "lang", "version_hash", "state", "opens_at", "closes_at", "publish_at", "review_kinds", "updated_at",
		}),
	}).Create(l).Error
	if err != nil {
		return fmt.Errorf("store: upsert letter %q: %w", l.Slug, err)
	}
	// Some drivers do not report the id of an updated row; read it back.
	if err := tx.Model(&Letter{}).Where("slug = ?", l.Slug).Pluck("id", &l.ID).Error; err != nil {
		return fmt.Errorf("store: read id of letter %q: %w", l.Slug, err)
	}
	return nil
}

// AuditLetter records, in tx, an action by staff, the command line or the
// schedule on a whole letter: what, on which letter, with detail in words.
func AuditLetter(tx *gorm.DB, by Actor, action string, l *Letter, detail string, at time.Time) error {
	subject := l.Slug
	if detail != "" {
		subject += ": " + detail
	}
	return Audit(tx, AuditEvent{StaffID: by.StaffID, StaffEmail: by.Name, Action: action, LetterID: &l.ID,
		Subject: TruncateRunes(subject, 300), CreatedAt: at})
}
