package record

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// The names of a pack's files.
const (
	ManifestFile   = "manifest.json"
	SignatureFile  = "manifest.sig"
	SignaturesFile = "signatures.json"
	ListFile       = "signatories.csv"
	PDFFile        = "letter.pdf"
	textsFolder    = "texts/"
)

// PackFormat and ProofFormat name the versions of the formats that
// docs/delivery.md describes.
const (
	PackFormat  = "undersigned-pack/1"
	ProofFormat = "undersigned-proof/1"
)

// Manifest is a pack's manifest.json: what it holds, each file's SHA-256,
// the Merkle root over its signatures and the key that signed it. The
// campaign's Ed25519 signature over the exact bytes of manifest.json is
// manifest.sig (64 raw bytes).
type Manifest struct {
	Format     string         `json:"format"`
	DeliveryID uint64         `json:"delivery_id"`
	Letter     ManifestLetter `json:"letter"`
	CreatedAt  time.Time      `json:"created_at"`
	Key        PublicKey      `json:"key"`
	Files      []File         `json:"files"`
	Texts      []TextFile     `json:"texts"`
	Counts     Counts         `json:"counts"`
	Merkle     Tree           `json:"merkle"`
}

// ManifestLetter names the letter a pack is of.
type ManifestLetter struct {
	Slug  string `json:"slug"`
	Title string `json:"title"`
	URL   string `json:"url"`
}

// File is one file of the pack (all but manifest.json and manifest.sig).
type File struct {
	Name   string `json:"name"`
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
}

// TextFile is the letter's current text in one language: its file in the
// pack and its version key, as signatures record it (fr/2).
type TextFile struct {
	Lang    string `json:"lang"`
	Version string `json:"version"`
	File    string `json:"file"`
}

// Counts are the published signatures the pack holds.
type Counts struct {
	Signatures       int64 `json:"signatures"`
	Organisations    int64 `json:"organisations"`
	Individuals      int64 `json:"individuals"`
	NamedIndividuals int64 `json:"named_individuals"`
}

// Tree is the Merkle tree over signatures.json's entries.
type Tree struct {
	Hash     string `json:"hash"` // always "RFC6962-SHA256"
	LeafFile string `json:"leaf_file"`
	Leaves   int64  `json:"leaves"`
	Root     string `json:"root"` // hex
}

// treeHash names the tree's hashing in the manifest.
const treeHash = "RFC6962-SHA256"

// ErrNotAPack is wrapped by every reason ParseManifest refuses a manifest.
var ErrNotAPack = errors.New("not a valid manifest")

// ParseManifest reads manifest.json strictly: unknown fields, trailing data,
// another format or a malformed root, key or hash are refused with the
// reason, wrapping ErrNotAPack.
func ParseManifest(b []byte) (*Manifest, error) {
	var m Manifest
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("%w: %s is not complete JSON (%v)", ErrNotAPack, ManifestFile, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: %s has data after its JSON object", ErrNotAPack, ManifestFile)
	}
	if m.Format != PackFormat {
		return nil, fmt.Errorf("%w: its format is %q, not %s", ErrNotAPack, m.Format, PackFormat)
	}
	if _, err := m.Key.Raw(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNotAPack, err)
	}
	if m.Merkle.Hash != treeHash || !isSHA256Hex(m.Merkle.Root) || m.Merkle.Leaves < 0 {
		return nil, fmt.Errorf("%w: its merkle tree is not %s with a 64-digit hex root", ErrNotAPack, treeHash)
	}
	for _, f := range m.Files {
		if !isSHA256Hex(f.SHA256) {
			return nil, fmt.Errorf("%w: the sha256 of %q is not 64 hex digits", ErrNotAPack, f.Name)
		}
	}
	return &m, nil
}

// isSHA256Hex reports whether s is a SHA-256 in lower-case hex.
func isSHA256Hex(s string) bool {
	b, err := hex.DecodeString(s)
	return err == nil && len(b) == 32 && hex.EncodeToString(b) == s
}

// file finds the manifest's entry for name.
func (m *Manifest) file(name string) (File, bool) {
	for _, f := range m.Files {
		if f.Name == name {
			return f, true
		}
	}
	return File{}, false
}
