package record

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/undersigned/undersigned/pkg/store"
)

// Proof is an inclusion proof: that one signature, as Leaf, sits at Index
// among TreeSize leaves of the delivery whose Merkle root is Root. Its audit
// path holds only hashes, so it tells nothing of the other signers.
type Proof struct {
	Format      string    `json:"format"`
	DeliveryID  uint64    `json:"delivery_id"`
	Letter      string    `json:"letter"`
	DeliveredAt time.Time `json:"delivered_at"`
	Root        string    `json:"root"`
	TreeSize    uint64    `json:"tree_size"`
	Index       uint64    `json:"index"`
	Leaf        Entry     `json:"leaf"`
	LeafHash    string    `json:"leaf_hash"`
	AuditPath   []string  `json:"audit_path"`
}

// ParseProof reads a proof's JSON.
func ParseProof(b []byte) (*Proof, error) {
	var p Proof
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("the proof is not complete JSON: %w", err)
	}
	if p.Format != ProofFormat {
		return nil, fmt.Errorf("the proof's format is %q, not %s", p.Format, ProofFormat)
	}
	return &p, nil
}

// Check verifies the proof on its own: its leaf hashes to LeafHash, and
// its audit path leads from there to Root.
func (p *Proof) Check() error {
	leafHash := p.Leaf.LeafHash()
	if hex.EncodeToString(leafHash) != p.LeafHash {
		return fmt.Errorf("the proof's leaf hashes to %x, not to its leaf_hash %s", leafHash, p.LeafHash)
	}
	root, err := hex.DecodeString(p.Root)
	if err != nil {
		return fmt.Errorf("the proof's root is not hex: %w", err)
	}
	path := make([][]byte, len(p.AuditPath))
	for i, h := range p.AuditPath {
		if path[i], err = hex.DecodeString(h); err != nil {
			return fmt.Errorf("the proof's audit path is not hex: %w", err)
		}
	}
	if err := VerifyPath(p.Index, p.TreeSize, leafHash, path, root); err != nil {
		return fmt.Errorf("the audit path does not lead from the leaf to the root %s: %w", p.Root, err)
	}
	return nil
}

// checkProof checks a proof against the pack's manifest.
func (r *Report) checkProof(m *Manifest, raw []byte) {
	p, err := ParseProof(raw)
	if err != nil {
		r.problem("%v", err)
		return
	}
	if p.Root != m.Merkle.Root || p.TreeSize != uint64(m.Merkle.Leaves) {
		r.problem("the proof is for the root %s of %d signatures, this pack's is %s of %d", p.Root, p.TreeSize, m.Merkle.Root, m.Merkle.Leaves)
		return
	}
	if p.DeliveryID != m.DeliveryID || p.Letter != m.Letter.Slug {
		r.problem("the proof is for delivery %d of %q, this pack is delivery %d of %q", p.DeliveryID, p.Letter, m.DeliveryID, m.Letter.Slug)
	}
	if err := p.Check(); err != nil {
		r.problem("%v", err)
	}
}

// ErrNoProof is returned when a signature's details changed since the
// delivery, so the leaf the pack holds can no longer be shown from them.
var ErrNoProof = errors.New("record: the signature's details changed since the delivery")

// Inclusions lists the recorded deliveries that included the signature.
func (s *Service) Inclusions(ctx context.Context, signatureID uint64) ([]store.Inclusion, error) {
	return store.DeliveriesIncluding(s.d.Store.Read(ctx), signatureID)
}

// Proof makes the inclusion proof of the signature in the delivery, from
// the signature's public fields and salt as they are now and the leaf
// hashes the delivery kept. ErrNotFound when the delivery is not recorded
// or did not include it; ErrNoProof when its details changed since.
func (s *Service) Proof(ctx context.Context, signatureID, deliveryID uint64) (*Proof, error) {
	tx := s.d.Store.Read(ctx)
	var in *store.Inclusion
	all, err := store.DeliveriesIncluding(tx, signatureID)
	if err != nil {
		return nil, err
	}
	for i := range all {
		if all[i].ID == deliveryID {
			in = &all[i]
		}
	}
	if in == nil {
		return nil, store.ErrNotFound
	}
	sig, err := store.SignatureByID(tx, signatureID)
	if err != nil {
		return nil, err
	}
	salt, err := store.SaltOf(tx, signatureID)
	if err != nil {
		return nil, err
	}
	public := store.PublicSignatory{Kind: sig.Kind, OrgType: sig.OrgType, Country: sig.Country, PublishedAt: sig.PublishedAt}
	if sig.Named() {
		public.Name, public.Affiliation, public.Website = sig.Name, sig.Affiliation, sig.Website
	}
	entry := entryOf(public, salt)
	if !bytes.Equal(entry.LeafHash(), in.Hash) {
		return nil, ErrNoProof
	}
	return s.proofOf(ctx, in, entry)
}

// proofOf builds the proof of entry at its place in the delivery.
func (s *Service) proofOf(ctx context.Context, in *store.Inclusion, entry Entry) (*Proof, error) {
	hashes, err := store.DeliveryLeafHashes(s.d.Store.Read(ctx), in.ID, packBatch)
	if err != nil {
		return nil, err
	}
	path, err := AuditPath(in.Position, hashes)
	if err != nil {
		return nil, err
	}
	letter, _ := s.d.Letters.ByID(in.LetterID)
	slug := ""
	if letter != nil {
		slug = letter.Slug
	}
	return &Proof{Format: ProofFormat, DeliveryID: in.ID, Letter: slug, DeliveredAt: in.DeliveredAt.UTC(), Root: in.Root,
		TreeSize: uint64(len(hashes)), Index: in.Position, Leaf: entry, LeafHash: hex.EncodeToString(in.Hash),
		AuditPath: hexes(path)}, nil
}
