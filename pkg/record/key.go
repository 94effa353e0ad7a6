package record

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"gorm.io/gorm"

	"github.com/undersigned/undersigned/pkg/store"
	"github.com/undersigned/undersigned/pkg/vault"
)

// Algorithm names the signature scheme of campaign keys, as the manifest and
// the well-known key list spell it.
const Algorithm = "Ed25519"

// Key is the campaign's Ed25519 key, which signs its delivery packs.
type Key struct {
	PublicKey
	private ed25519.PrivateKey
}

// PublicKey is a campaign key as others see it: the entry of
// /.well-known/undersigned-keys.json and the "key" of a manifest.
type PublicKey struct {
	// ID is the first 16 hex digits of the SHA-256 of the raw public key.
	ID        string `json:"id"`
	Algorithm string `json:"algorithm"`
	// Public is the raw 32-byte public key in standard base64.
	Public  string     `json:"public_key"`
	Created *time.Time `json:"created,omitempty"`
}

// KeyList is the document served at /.well-known/undersigned-keys.json:
// every key the campaign has signed packs with, oldest first.
type KeyList struct {
	Keys []PublicKey `json:"keys"`
}

// KeyID is the id of a raw Ed25519 public key.
func KeyID(public ed25519.PublicKey) string {
	sum := sha256.Sum256(public)
	return hex.EncodeToString(sum[:8])
}

// publicKeyOf describes a raw public key.
func publicKeyOf(public ed25519.PublicKey) PublicKey {
	return PublicKey{ID: KeyID(public), Algorithm: Algorithm, Public: base64.StdEncoding.EncodeToString(public)}
}

// Raw decodes the public key, checking its algorithm, size and id.
func (k PublicKey) Raw() (ed25519.PublicKey, error) {
	if k.Algorithm != Algorithm {
		return nil, fmt.Errorf("the key's algorithm is %q, not %s", k.Algorithm, Algorithm)
	}
	raw, err := base64.StdEncoding.DecodeString(k.Public)
	if err != nil || len(raw) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("the public key is not %d bytes in base64", ed25519.PublicKeySize)
	}
	if KeyID(raw) != k.ID {
		return nil, fmt.Errorf("the key id %q does not match the public key (its id is %s)", k.ID, KeyID(raw))
	}
	return raw, nil
}

// LoadKey returns the campaign key: from configured (the 32-byte Ed25519
// seed in hex or base64, from UNDERSIGNED_CAMPAIGN_KEY) when it is set, else
// from keyFile, created with mode 0600 from random on first use, as the
// secret key is. Its public half is recorded in the database, with the
// time it was first seen, for the well-known key list.
func LoadKey(ctx context.Context, st *store.Store, configured, keyFile string, random io.Reader, now time.Time) (*Key, error) {
	seed, err := vault.LoadKey(configured, keyFile, random)
	if err != nil {
		return nil, fmt.Errorf("record: campaign key: %w", err)
	}
	private := ed25519.NewKeyFromSeed(seed)
	public := private.Public().(ed25519.PublicKey)
	var recorded *store.CampaignKey
	err = st.Write(ctx, func(tx *gorm.DB) error {
		recorded, err = store.RegisterCampaignKey(tx, store.CampaignKey{KeyID: KeyID(public), PublicKey: public, CreatedAt: now})
		return err
	})
	if err != nil {
		return nil, err
	}
	key := &Key{PublicKey: publicKeyOf(public), private: private}
	created := recorded.CreatedAt.UTC()
	key.Created = &created
	return key, nil
}

// Keys lists every key the campaign has used, for the well-known document.
func Keys(ctx context.Context, st *store.Store) (KeyList, error) {
	rows, err := store.CampaignKeys(st.Read(ctx))
	if err != nil {
		return KeyList{}, err
	}
	list := KeyList{Keys: []PublicKey{}}
	for _, row := range rows {
		k := publicKeyOf(row.PublicKey)
		created := row.CreatedAt.UTC()
		k.Created = &created
		list.Keys = append(list.Keys, k)
	}
	return list, nil
}

// ParseKeyList reads a saved copy of the well-known key list.
func ParseKeyList(b []byte) (KeyList, error) {
	var list KeyList
	if err := json.Unmarshal(b, &list); err != nil {
		return KeyList{}, fmt.Errorf("not a key list (%s): %w", wellKnownName, err)
	}
	return list, nil
}

// wellKnownName is the file name under /.well-known/ of the key list.
const wellKnownName = "undersigned-keys.json"

// PublicKeyFromBase64 describes a raw Ed25519 public key given in base64.
func PublicKeyFromBase64(s string) (PublicKey, error) {
	raw, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(raw) != ed25519.PublicKeySize {
		return PublicKey{}, fmt.Errorf("not %d bytes in base64", ed25519.PublicKeySize)
	}
	return publicKeyOf(raw), nil
}
