package signing

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"

	"gorm.io/gorm"

	"github.com/undersigned/undersigned/pkg/store"
	"github.com/undersigned/undersigned/pkg/vault"
)

// HashToken is how a link's secret is stored: SHA-256 in hex. A secret is
// random, so a fast unkeyed hash is enough to make a stolen database useless
// for confirming.
func HashToken(plain string) string {
	sum := sha256.Sum256([]byte(plain))
	return hex.EncodeToString(sum[:])
}

// newSealedToken makes a link secret and returns its hash, for look-up, and
// the secret sealed for purpose, for the mails that carry the link.
func (s *Service) newSealedToken(purpose string) (hash string, sealed []byte, err error) {
	secret, err := s.d.Vault.NewLinkSecret()
	if err != nil {
		return "", nil, err
	}
	if sealed, err = s.d.Vault.Seal(purpose, secret); err != nil {
		return "", nil, err
	}
	return HashToken(secret), sealed, nil
}

// findByLink finds the signature a link token for purpose names, whose column
// still holds the hash of the link's secret, or returns notFound. A token that
// is not even well formed never reaches the database.
func (s *Service) findByLink(tx *gorm.DB, purpose string, column store.LinkColumn, token string, notFound error) (*store.Signature, error) {
	var sig *store.Signature
	var err error
	if id, secret, ok := s.d.Vault.ParseLink(purpose, token); ok {
		sig, err = store.SignatureByLink(tx, id, column, HashToken(secret))
	} else if vault.IsLegacyLink(token) {
		sig, err = store.FindSignatureByLegacyLink(tx, column, HashToken(token))
	} else {
		return nil, notFound
	}
	if errors.Is(err, store.ErrNotFound) {
		return nil, notFound
	}
	return sig, err
}
