package vault

import (
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// LoadKey returns the instance's secret key. A non-empty configured value (hex
// or base64 of KeySize bytes, from UNDERSIGNED_SECRET_KEY) wins; otherwise the key
// is read from keyFile, which is created with mode 0600 from random on first run.
func LoadKey(configured, keyFile string, random io.Reader) ([]byte, error) {
	if configured != "" {
		return decodeKey(configured)
	}
	b, err := os.ReadFile(keyFile)
	if err == nil {
		return decodeKey(string(b))
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("vault: read key file %s: %w", keyFile, err)
	}
	return createKeyFile(keyFile, random)
}

func createKeyFile(keyFile string, random io.Reader) ([]byte, error) {
	key := make([]byte, KeySize)
	if _, err := io.ReadFull(random, key); err != nil {
		return nil, fmt.Errorf("vault: generate key: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(keyFile), 0o700); err != nil {
		return nil, fmt.Errorf("vault: create folder for %s: %w", keyFile, err)
	}
	// O_EXCL: two processes starting at once must not each write their own key.
	f, err := os.OpenFile(keyFile, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		return LoadKey("", keyFile, random)
	}
	if err != nil {
		return nil, fmt.Errorf("vault: create key file %s: %w", keyFile, err)
	}
	_, werr := f.WriteString(hex.EncodeToString(key) + "\n")
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		return nil, fmt.Errorf("vault: write key file %s: %w", keyFile, werr)
	}
	return key, nil
}

func decodeKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if b, err := hex.DecodeString(s); err == nil && len(b) == KeySize {
		return b, nil
	}
	if b, err := base64.StdEncoding.DecodeString(s); err == nil && len(b) == KeySize {
		return b, nil
	}
	return nil, fmt.Errorf("vault: secret key must be %d bytes in hex (64 characters) or base64", KeySize)
}
