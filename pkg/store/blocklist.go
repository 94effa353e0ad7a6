package store

import (
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Block is a row of the blocks table: an email domain or a network that may
// not sign. Kind is "domain" or "network"; Value is the lower-case domain or
// the network in CIDR form.
type Block struct {
	ID         uint   `gorm:"primaryKey"`
	Kind       string `gorm:"size:20;not null;uniqueIndex:idx_blocks_value,priority:1"`
	Value      string `gorm:"size:100;not null;uniqueIndex:idx_blocks_value,priority:2"`
	Note       string `gorm:"size:300;not null;default:''"`
	StaffEmail string `gorm:"size:254;not null"`
	CreatedAt  time.Time
}

// The kinds of block.
const (
	BlockDomain  = "domain"
	BlockNetwork = "network"
)

// Blocks lists every block, newest first.
func Blocks(tx *gorm.DB) ([]Block, error) {
	var out []Block
	if err := tx.Order("id DESC").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("store: blocks: %w", err)
	}
	return out, nil
}

// AddBlock stores a block and reports whether it is new: one already on the
// list is left as it is.
func AddBlock(tx *gorm.DB, b *Block) (bool, error) {
	res := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(b)
	if res.Error != nil {
		return false, fmt.Errorf("store: add block %s %s: %w", b.Kind, b.Value, res.Error)
	}
	return res.RowsAffected == 1, nil
}

// RemoveBlock deletes the block with id and returns it, or ErrNotFound.
func RemoveBlock(tx *gorm.DB, id uint) (*Block, error) {
	b, err := findOne[Block](tx, "block", "id = ?", id)
	if err != nil {
		return nil, err
	}
	if err := tx.Delete(b).Error; err != nil {
		return nil, fmt.Errorf("store: remove block %d: %w", id, err)
	}
	return b, nil
}
