package store

import (
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Letter is a row of the letters table: an open letter synced from config.yaml.
type Letter struct {
	ID          uint   `gorm:"primaryKey"`
	Slug        string `gorm:"size:80;not null;uniqueIndex"`
	Title       string `gorm:"size:300;not null"`
	Summary     string `gorm:"size:1000;not null;default:''"`
	Body        string `gorm:"type:text;not null"`
	Lang        string `gorm:"size:16;not null"`
	VersionHash string `gorm:"size:64;not null"`
	OpensAt     *time.Time
	ClosesAt    *time.Time
	PublishAt   *time.Time
	ReviewKinds string `gorm:"size:100;not null;default:''"` // comma-separated signer kinds
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// UpsertLetter inserts l or, when its slug exists, updates the row to match and
// fills in l.ID.
func UpsertLetter(tx *gorm.DB, l *Letter) error {
	err := tx.Clauses(clause.OnConflict{
		Columns: []clause.Column{{Name: "slug"}},
		DoUpdates: clause.AssignmentColumns([]string{
			"title", "summary", "body", "lang", "version_hash", "opens_at", "closes_at", "publish_at", "review_kinds", "updated_at",
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
