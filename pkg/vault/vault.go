// Package vault seals signers' personal data at rest (AES-256-GCM) and derives
// keyed hashes (HMAC-SHA-256) for looking it up, from one secret key.
package vault

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"sync"
)

// KeySize is the length in bytes of the secret key.
const KeySize = 32

// sealVersion is the first byte of every sealed value, so keys or algorithms can
// change later without guessing what an old value is.
const sealVersion = 1

// Purposes bound to sealed values and keyed hashes, so that one kind of value
// can never be opened or matched as another.
const (
	PurposeEmail   = "signature.email"
	PurposeContact = "signature.contact_name"
	PurposeToken   = "mail_job.token"
	PurposeNetwork = "signature.network"
	PurposeManage  = "signature.manage_token"
	PurposeDomain  = "signature.email_domain"
	// PurposeContactKey hashes a signer's mailbox (store.ContactMailbox),
	// which a duplicate check compares.
	PurposeContactKey = "signature.contact_key"
	// PurposeImport seals a CSV file of signers an admin uploaded, kept
	// until its import is done.
	PurposeImport = "import.file"
	// PurposeMailFile tags the file transport's mail files with their
	// recipient, so an erasure finds them.
	PurposeMailFile = "mail.file_recipient"
	// PurposeWebhookSecret seals a webhook endpoint's signing secret.
	PurposeWebhookSecret = "webhook.secret"
	// PurposeUnsubscribe keys the secret of a signer's one-click
	// unsubscribe link (UnsubscribeLink).
	PurposeUnsubscribe = "signature.unsubscribe"
)

// ErrCorrupt is returned when a sealed value was altered or sealed under another key.
var ErrCorrupt = errors.New("vault: sealed value is corrupt or was sealed with another key")

// Vault seals and hashes with keys derived from the instance's secret key.
type Vault struct {
	aead      cipher.AEAD
	linkBlock cipher.Block // encrypts the locators in signers' links
	random    io.Reader
	// macs holds keyed HMACs made by Hash, reset for reuse: a signature
	// takes five hashes, and a new HMAC for each was 6% of the memory a
	// sign request allocated.
	macs sync.Pool
}

// New derives the sealing, hashing and link keys from secret, which must be
// KeySize bytes. Nonces are read from random (crypto/rand.Reader outside tests).
func New(secret []byte, random io.Reader) (*Vault, error) {
	if len(secret) != KeySize {
		return nil, fmt.Errorf("vault: secret key must be %d bytes, got %d", KeySize, len(secret))
	}
	hashKey, err := hkdf.Key(sha256.New, secret, nil, "undersigned hash v1", KeySize)
	if err != nil {
		return nil, fmt.Errorf("vault: derive hash key: %w", err)
	}
	sealBlock, err := derivedBlock(secret, "undersigned seal v1")
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(sealBlock)
	if err != nil {
		return nil, fmt.Errorf("vault: gcm: %w", err)
	}
	linkBlock, err := derivedBlock(secret, "undersigned link v1")
	if err != nil {
		return nil, err
	}
	v := &Vault{aead: aead, linkBlock: linkBlock, random: random}
	v.macs.New = func() any { return hmac.New(sha256.New, hashKey) }
	return v, nil
}

// derivedBlock is an AES-256 cipher under the key derived from secret for info.
func derivedBlock(secret []byte, info string) (cipher.Block, error) {
	key, err := hkdf.Key(sha256.New, secret, nil, info, KeySize)
	if err != nil {
		return nil, fmt.Errorf("vault: derive key %q: %w", info, err)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("vault: aes: %w", err)
	}
	return block, nil
}

// Seal encrypts plaintext; purpose is bound to the result, so a value sealed as
// one thing (an email) cannot be opened as another (a token).
func (v *Vault) Seal(purpose, plaintext string) ([]byte, error) {
	nonce := make([]byte, v.aead.NonceSize(), 1+v.aead.NonceSize()+len(plaintext)+v.aead.Overhead())
	if _, err := io.ReadFull(v.random, nonce); err != nil {
		return nil, fmt.Errorf("vault: read nonce: %w", err)
	}
	out := append([]byte{sealVersion}, nonce...)
	return v.aead.Seal(out, nonce, []byte(plaintext), []byte(purpose)), nil
}

// Open decrypts a value made by Seal with the same purpose.
func (v *Vault) Open(purpose string, sealed []byte) (string, error) {
	n := v.aead.NonceSize()
	if len(sealed) < 1+n+v.aead.Overhead() || sealed[0] != sealVersion {
		return "", ErrCorrupt
	}
	plain, err := v.aead.Open(nil, sealed[1:1+n], sealed[1+n:], []byte(purpose))
	if err != nil {
		return "", ErrCorrupt
	}
	return string(plain), nil
}

// Hash is a keyed hash of s for equality look-ups (hex, 64 characters). Without
// the secret key, a copied database cannot be searched for a known address.
func (v *Vault) Hash(purpose, s string) string {
	mac := v.macs.Get().(hash.Hash)
	defer v.macs.Put(mac)
	mac.Reset()
	mac.Write([]byte(purpose))
	mac.Write([]byte{0})
	mac.Write([]byte(s))
	var sum [sha256.Size]byte
	return hex.EncodeToString(mac.Sum(sum[:0]))
}
