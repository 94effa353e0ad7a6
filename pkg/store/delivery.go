package store

import (
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// CampaignKey is a public key the campaign signs its delivery packs with,
// and when it was first used; /.well-known/undersigned-keys.json lists them
// all, so packs signed with an earlier key can still be checked.
type CampaignKey struct {
	KeyID     string `gorm:"size:64;primaryKey"`
	PublicKey []byte `gorm:"not null"`
	CreatedAt time.Time
}

// SignatureSalt is the random salt that a signature's leaf in a delivery
// pack's Merkle tree is hashed with, so that the hashes of other signers in
// an inclusion proof reveal nothing about them. One per signature, kept for
// every pack.
type SignatureSalt struct {
	SignatureID uint64 `gorm:"primaryKey;autoIncrement:false"`
	Salt        []byte `gorm:"not null"`
}

// Delivery is a delivery pack made of a letter's public list, and once
// staff record it, to whom and when it was delivered.
type Delivery struct {
	ID       uint64 `gorm:"primaryKey"`
	LetterID uint   `gorm:"not null;index"`
	Letter   Letter `gorm:"constraint:OnDelete:CASCADE"`
	KeyID    string `gorm:"size:64;not null"`
	// Root is the Merkle root over the published signatures, in hex.
	Root             string `gorm:"size:64;not null"`
	Signatures       int64  `gorm:"not null"`
	Organisations    int64  `gorm:"not null"`
	Individuals      int64  `gorm:"not null"`
	NamedIndividuals int64  `gorm:"not null"`
	PackedAt         time.Time
	PackedBy         string `gorm:"size:254;not null;default:''"`
	// DeliveredAt is nil until staff record the delivery.
	DeliveredAt *time.Time
	Recipients  string `gorm:"size:1000;not null;default:''"`
	RecordedBy  string `gorm:"size:254;not null;default:''"`
}

// Delivered reports whether staff recorded the pack as delivered.
func (d *Delivery) Delivered() bool { return d.DeliveredAt != nil }

// DeliveryLeaf is one leaf of a delivery's Merkle tree: which signature sits
// at which position, and the leaf's hash, from which inclusion proofs are
// made later without keeping any signer's details.
type DeliveryLeaf struct {
	DeliveryID  uint64   `gorm:"primaryKey;autoIncrement:false"`
	Delivery    Delivery `gorm:"constraint:OnDelete:CASCADE"`
	Position    uint64   `gorm:"primaryKey;autoIncrement:false"`
	SignatureID uint64   `gorm:"not null;index"`
	Hash        []byte   `gorm:"not null"`
}

// TableName is DeliveryLeaf's table.
func (DeliveryLeaf) TableName() string { return "delivery_leaves" }

// RegisterCampaignKey records key unless its id is known, and returns the
// key as recorded (with the time it was first seen).
func RegisterCampaignKey(tx *gorm.DB, key CampaignKey) (*CampaignKey, error) {
	if err := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&key).Error; err != nil {
		return nil, fmt.Errorf("store: register campaign key %s: %w", key.KeyID, err)
	}
	return findOne[CampaignKey](tx, "campaign key", "key_id = ?", key.KeyID)
}

// CampaignKeys lists every key the campaign has used, oldest first.
func CampaignKeys(tx *gorm.DB) ([]CampaignKey, error) {
	var keys []CampaignKey
	if err := tx.Order("created_at, key_id").Find(&keys).Error; err != nil {
		return nil, fmt.Errorf("store: campaign keys: %w", err)
	}
	return keys, nil
}

// PublishedWithoutSalt lists up to limit ids, above after and in order, of
// the letter's published signatures that have no salt yet.
func PublishedWithoutSalt(tx *gorm.DB, letterID uint, after uint64, limit int) ([]uint64, error) {
	var ids []uint64
	err := tx.Model(&Signature{}).Where("letter_id = ? AND "+published+" AND id > ?", letterID, after).
		Where("NOT EXISTS (SELECT 1 FROM signature_salts WHERE signature_salts.signature_id = signatures.id)").
		Order("id").Limit(limit).Pluck("id", &ids).Error
	if err != nil {
		return nil, fmt.Errorf("store: unsalted signatures of letter %d after %d: %w", letterID, after, err)
	}
	return ids, nil
}

// InsertSignatureSalts stores salts for signatures that have none; a
// signature that has one keeps it.
func InsertSignatureSalts(tx *gorm.DB, salts []SignatureSalt) error {
	if len(salts) == 0 {
		return nil
	}
	if err := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&salts).Error; err != nil {
		return fmt.Errorf("store: insert %d signature salts: %w", len(salts), err)
	}
	return nil
}

// RecordedSignatory is a published signature as a delivery pack lists it:
// its public fields (name, affiliation and website left empty for an
// individual who chose not to be named) and its salt (nil if it has none).
type RecordedSignatory struct {
	PublicSignatory
	Named bool
	Salt  []byte
}

// EachPublishedRecord calls fn with every published signature of the letter,
// named or not, with its salt, in batches of size in id order, until fn
// fails or all are seen. Like EachPublished it walks the id index.
func EachPublishedRecord(tx *gorm.DB, letterID uint, size int, fn func([]RecordedSignatory) error) error {
	var last uint64
	for {
		var batch []RecordedSignatory
		err := tx.Model(&Signature{}).
			Select("signatures.id, kind, name, affiliation, website, org_type, country, published_at, "+
				"(kind = ? OR show_name = ?) AS named, signature_salts.salt", KindOrganisation, true).
			Joins("LEFT JOIN signature_salts ON signature_salts.signature_id = signatures.id").
			Where("letter_id = ? AND "+published+" AND signatures.id > ?", letterID, last).
			Order("signatures.id").Limit(size).Scan(&batch).Error
		if err != nil {
			return fmt.Errorf("store: published signatures of letter %d after %d: %w", letterID, last, err)
		}
		if len(batch) == 0 {
			return nil
		}
		for i := range batch {
			if !batch[i].Named {
				batch[i].Name, batch[i].Affiliation, batch[i].Website = "", "", ""
			}
		}
		if err := fn(batch); err != nil {
			return err
		}
		last = batch[len(batch)-1].ID
	}
}

// deliveryLeafBatch is how many leaves are inserted per statement.
const deliveryLeafBatch = 500

// InsertDelivery stores a new delivery pack and its leaves: signatureIDs[i]
// sits at position i with hash leafHashes[i].
func InsertDelivery(tx *gorm.DB, d *Delivery, signatureIDs []uint64, leafHashes [][]byte) error {
	if len(signatureIDs) != len(leafHashes) {
		return fmt.Errorf("store: delivery of letter %d: %d signatures but %d leaves", d.LetterID, len(signatureIDs), len(leafHashes))
	}
	if err := tx.Omit(clause.Associations).Create(d).Error; err != nil {
		return fmt.Errorf("store: insert delivery of letter %d: %w", d.LetterID, err)
	}
	leaves := make([]DeliveryLeaf, len(signatureIDs))
	for i, id := range signatureIDs {
		leaves[i] = DeliveryLeaf{DeliveryID: d.ID, Position: uint64(i), SignatureID: id, Hash: leafHashes[i]}
	}
	if len(leaves) == 0 {
		return nil
	}
	if err := tx.Omit(clause.Associations).CreateInBatches(leaves, deliveryLeafBatch).Error; err != nil {
		return fmt.Errorf("store: insert leaves of delivery %d: %w", d.ID, err)
	}
	return nil
}

// DeliveriesOf lists the letter's delivery packs, newest first.
func DeliveriesOf(tx *gorm.DB, letterID uint) ([]Delivery, error) {
	var out []Delivery
	if err := tx.Where("letter_id = ?", letterID).Order("id DESC").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("store: deliveries of letter %d: %w", letterID, err)
	}
	return out, nil
}

// DeliveryByID loads the letter's delivery with id, or ErrNotFound.
func DeliveryByID(tx *gorm.DB, letterID uint, id uint64) (*Delivery, error) {
	return findOne[Delivery](tx, "delivery", "letter_id = ? AND id = ?", letterID, id)
}

// ErrAlreadyDelivered is returned when a delivery is recorded twice.
var ErrAlreadyDelivered = errors.New("store: delivery already recorded")

// RecordDelivery notes that the letter's pack id was delivered to
// recipients at at, by whom; a pack already recorded gives
// ErrAlreadyDelivered, an unknown one ErrNotFound.
func RecordDelivery(tx *gorm.DB, letterID uint, id uint64, at time.Time, recipients, by string) error {
	res := tx.Model(&Delivery{}).Where("letter_id = ? AND id = ? AND delivered_at IS NULL", letterID, id).
		Updates(map[string]any{"delivered_at": at, "recipients": recipients, "recorded_by": by})
	if res.Error != nil {
		return fmt.Errorf("store: record delivery %d of letter %d: %w", id, letterID, res.Error)
	}
	if res.RowsAffected == 1 {
		return nil
	}
	if _, err := DeliveryByID(tx, letterID, id); err != nil {
		return err
	}
	return ErrAlreadyDelivered
}

// Inclusion is a delivered pack that holds a signature, and where.
type Inclusion struct {
	Delivery
	Position uint64
	Hash     []byte
}

// DeliveriesIncluding lists the recorded deliveries whose pack holds the
// signature, oldest first.
func DeliveriesIncluding(tx *gorm.DB, signatureID uint64) ([]Inclusion, error) {
	var out []Inclusion
	err := tx.Model(&Delivery{}).Select("deliveries.*, delivery_leaves.position, delivery_leaves.hash").
		Joins("JOIN delivery_leaves ON delivery_leaves.delivery_id = deliveries.id").
		Where("delivery_leaves.signature_id = ? AND deliveries.delivered_at IS NOT NULL", signatureID).
		Order("deliveries.delivered_at, deliveries.id").Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("store: deliveries including signature %d: %w", signatureID, err)
	}
	return out, nil
}

// DeliveryLeafHashes returns the hashes of the delivery's leaves in
// position order, read in batches of size by position.
func DeliveryLeafHashes(tx *gorm.DB, deliveryID uint64, size int) ([][]byte, error) {
	var out [][]byte
	next := uint64(0)
	for {
		var batch [][]byte
		err := tx.Model(&DeliveryLeaf{}).Where("delivery_id = ? AND position >= ?", deliveryID, next).
			Order("position").Limit(size).Pluck("hash", &batch).Error
		if err != nil {
			return nil, fmt.Errorf("store: leaves of delivery %d from %d: %w", deliveryID, next, err)
		}
		out = append(out, batch...)
		if len(batch) < size {
			return out, nil
		}
		next += uint64(len(batch))
	}
}

// SaltOf returns the signature's salt, or ErrNotFound.
func SaltOf(tx *gorm.DB, signatureID uint64) ([]byte, error) {
	row, err := findOne[SignatureSalt](tx, "signature salt", "signature_id = ?", signatureID)
	if err != nil {
		return nil, err
	}
	return row.Salt, nil
}
