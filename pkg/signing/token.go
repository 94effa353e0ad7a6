package signing

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
)

// tokenBytes is the entropy of a confirmation token: 256 bits.
const tokenBytes = 32

// token is a confirmation token: plain goes into the mail, hash into the database.
type token struct{ plain, hash string }

func (s *Service) newToken() (token, error) {
	b := make([]byte, tokenBytes)
	if _, err := io.ReadFull(s.d.Random, b); err != nil {
		return token{}, fmt.Errorf("signing: read random token: %w", err)
	}
	plain := base64.RawURLEncoding.EncodeToString(b)
	return token{plain: plain, hash: HashToken(plain)}, nil
}

// HashToken is how a token is stored: SHA-256 in hex. A token is random, so a
// fast unkeyed hash is enough to make a stolen database useless for confirming.
func HashToken(plain string) string {
	sum := sha256.Sum256([]byte(plain))
	return hex.EncodeToString(sum[:])
}

// wellFormedToken tells whether s could be a token at all, so that junk never
// reaches the database.
func wellFormedToken(s string) bool {
	if len(s) != base64.RawURLEncoding.EncodedLen(tokenBytes) {
		return false
	}
	// The decoder skips \r and \n, so check the alphabet itself.
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	_, err := base64.RawURLEncoding.DecodeString(s)
	return err == nil
}
