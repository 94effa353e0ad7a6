package vault

import (
	"crypto/aes"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"strconv"
)

// A signer's link, to confirm a signature or to manage it, carries a token
// that names the signature and proves the right to use it:
//
//	base64url(locator (16 bytes) || secret (LinkSecretBytes))
//
// The locator is the signature's id and the link's purpose in one AES block,
// encrypted with a key derived from the instance's secret. It finds the row by
// its primary key, so no index of token hashes is written with every
// signature, and it says nothing about how many have signed, as a plain id
// would. A locator that does not decrypt to the link's purpose is refused
// without asking the database. The secret is random; the database keeps only
// its hash.
//
// Links mailed before locators existed are 32 random bytes (IsLegacyLink).

// LinkSecretBytes is the entropy of a link's secret: 192 bits.
const LinkSecretBytes = 24

const (
	locatorBytes    = aes.BlockSize
	legacyLinkBytes = 32
)

// NewLinkSecret returns a new random link secret, base64url-encoded: what is
// hashed for look-up and sealed for the mail.
func (v *Vault) NewLinkSecret() (string, error) {
	b := make([]byte, LinkSecretBytes)
	if _, err := io.ReadFull(v.random, b); err != nil {
		return "", fmt.Errorf("vault: read link secret: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// Link returns the token of the link for purpose to signature id, with secret
// (from NewLinkSecret).
func (v *Vault) Link(purpose string, id uint64, secret string) (string, error) {
	raw, err := base64.RawURLEncoding.DecodeString(secret)
	if err != nil || len(raw) != LinkSecretBytes {
		return "", fmt.Errorf("vault: link secret is not %d base64url bytes", LinkSecretBytes)
	}
	b := make([]byte, locatorBytes, locatorBytes+LinkSecretBytes)
	binary.BigEndian.PutUint64(b, id)
	copy(b[8:], purposeTag(purpose))
	v.linkBlock.Encrypt(b, b)
	return base64.RawURLEncoding.EncodeToString(append(b, raw...)), nil
}

// ParseLink returns the signature id and the secret a link token for purpose
// carries; ok is false for anything else, a legacy link included.
func (v *Vault) ParseLink(purpose, token string) (id uint64, secret string, ok bool) {
	if len(token) != base64.RawURLEncoding.EncodedLen(locatorBytes+LinkSecretBytes) || !base64URL(token) {
		return 0, "", false
	}
	raw, err := base64.RawURLEncoding.Strict().DecodeString(token)
	if err != nil {
		return 0, "", false
	}
	locator := make([]byte, locatorBytes)
	v.linkBlock.Decrypt(locator, raw[:locatorBytes])
	if subtle.ConstantTimeCompare(locator[8:], purposeTag(purpose)) != 1 {
		return 0, "", false
	}
	return binary.BigEndian.Uint64(locator), base64.RawURLEncoding.EncodeToString(raw[locatorBytes:]), true
}

// OpenLink opens a link's sealed secret (or, for a link mailed before
// locators existed, the sealed token itself) and returns the link's token.
func (v *Vault) OpenLink(purpose string, id uint64, sealed []byte) (string, error) {
	secret, err := v.Open(purpose, sealed)
	if err != nil || IsLegacyLink(secret) {
		return secret, err
	}
	return v.Link(purpose, id, secret)
}

// IsLegacyLink tells whether token could be a link of the earlier form, 32
// random bytes with no locator, looked up by its hash alone.
func IsLegacyLink(token string) bool {
	return len(token) == base64.RawURLEncoding.EncodedLen(legacyLinkBytes) && base64URL(token)
}

// purposeTag is the half of a locator that must match the link's purpose.
func purposeTag(purpose string) []byte {
	sum := sha256.Sum256([]byte(purpose))
	return sum[:locatorBytes-8]
}

// base64URL tells whether s is in the unpadded base64url alphabet; the
// decoder alone would skip \r and \n.
func base64URL(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// UnsubscribeLink returns the token of signature id's one-click unsubscribe
// link, which every update mail carries. Its secret is a keyed hash of the
// id rather than a random value, so the database keeps nothing for it and
// every update repeats the same link.
func (v *Vault) UnsubscribeLink(id uint64) (string, error) {
	return v.Link(PurposeUnsubscribe, id, v.unsubscribeSecret(id))
}

// ParseUnsubscribeLink returns the signature id an unsubscribe link's
// token names; ok is false for any token UnsubscribeLink did not make.
func (v *Vault) ParseUnsubscribeLink(token string) (id uint64, ok bool) {
	id, secret, ok := v.ParseLink(PurposeUnsubscribe, token)
	if !ok || subtle.ConstantTimeCompare([]byte(secret), []byte(v.unsubscribeSecret(id))) != 1 {
		return 0, false
	}
	return id, true
}

// unsubscribeSecret is the secret of signature id's unsubscribe link: the
// first LinkSecretBytes of a keyed hash of the id, base64url-encoded.
func (v *Vault) unsubscribeSecret(id uint64) string {
	sum, _ := hex.DecodeString(v.Hash(PurposeUnsubscribe, strconv.FormatUint(id, 10)))
	return base64.RawURLEncoding.EncodeToString(sum[:LinkSecretBytes])
}
