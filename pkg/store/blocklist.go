package store

import (
	"fmt"
	"time"

	"gorm.io/gorm"
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
