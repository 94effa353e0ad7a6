package vault

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"testing"
)

func testKey(b byte) []byte { return bytes.Repeat([]byte{b}, KeySize) }

func newVault(t *testing.T, key []byte) *Vault {
	t.Helper()
	v, err := New(key, rand.Reader)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return v
}

func TestSealOpenRoundTrip(t *testing.T) {
	v := newVault(t, testKey(1))
	for _, plain := range []string{"ada@example.org", "Zoë Ærøskøbing-Łódź 山田", ""} {
		t.Run(plain, func(t *testing.T) {
			sealed, err := v.Seal(PurposeEmail, plain)
			if err != nil {
				t.Fatalf("Seal: %v", err)
			}
			if plain != "" && bytes.Contains(sealed, []byte(plain)) {
				t.Fatal("sealed value contains the plaintext")
			}
			got, err := v.Open(PurposeEmail, sealed)
			if err != nil || got != plain {
				t.Fatalf("Open = %q, %v; want %q", got, err, plain)
			}
		})
	}
}

func TestOpenRejectsTamperedOrMisusedValues(t *testing.T) {
	v := newVault(t, testKey(1))
	sealed, err := v.Seal(PurposeEmail, "ada@example.org")
	if err != nil {
		t.Fatal(err)
	}
	flip := func(i int) []byte {
		b := bytes.Clone(sealed)
		b[i] ^= 0x01
		return b
	}
	tests := []struct {
		name    string
		vault   *Vault
		purpose string
		sealed  []byte
	}{
		{"other purpose", v, PurposeToken, sealed},
		{"flipped version byte", v, PurposeEmail, flip(0)},
		{"flipped nonce byte", v, PurposeEmail, flip(1)},
		{"flipped ciphertext byte", v, PurposeEmail, flip(len(sealed) / 2)},
		{"flipped tag byte", v, PurposeEmail, flip(len(sealed) - 1)},
		{"truncated", v, PurposeEmail, sealed[:10]},
		{"empty", v, PurposeEmail, nil},
		{"other key", newVault(t, testKey(2)), PurposeEmail, sealed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.vault.Open(tt.purpose, tt.sealed)
			if !errors.Is(err, ErrCorrupt) {
				t.Errorf("Open = %q, %v; want ErrCorrupt", got, err)
			}
		})
	}
}

func TestSealUsesFreshNonce(t *testing.T) {
	v := newVault(t, testKey(1))
	a, errA := v.Seal(PurposeEmail, "ada@example.org")
	b, errB := v.Seal(PurposeEmail, "ada@example.org")
	if errA != nil || errB != nil {
		t.Fatal(errA, errB)
	}
	if bytes.Equal(a, b) {
		t.Error("two seals of the same plaintext are identical")
	}
}

func TestSealFailsWithoutRandomness(t *testing.T) {
	v, err := New(testKey(1), bytes.NewReader(nil))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Seal(PurposeEmail, "x"); err == nil {
		t.Error("Seal succeeded with an empty random source")
	}
}

func TestHash(t *testing.T) {
	v := newVault(t, testKey(1))
	h := v.Hash(PurposeEmail, "ada@example.org")
	if !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(h) {
		t.Fatalf("Hash = %q, want 64 lower-case hex characters", h)
	}
	tests := []struct {
		name     string
		other    string
		wantSame bool
	}{
		{"same purpose and input", newVault(t, testKey(1)).Hash(PurposeEmail, "ada@example.org"), true},
		{"other purpose", v.Hash(PurposeContact, "ada@example.org"), false},
		{"other input", v.Hash(PurposeEmail, "bob@example.org"), false},
		{"other key", newVault(t, testKey(2)).Hash(PurposeEmail, "ada@example.org"), false},
		{"purpose and input not just concatenated", v.Hash(PurposeEmail+"a", "da@example.org"), false},
		{"same vault again, after other hashes", v.Hash(PurposeEmail, "ada@example.org"), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if same := tt.other == h; same != tt.wantSame {
				t.Errorf("hashes equal = %v, want %v", same, tt.wantSame)
			}
		})
	}
}

func TestNewRejectsWrongKeyLength(t *testing.T) {
	for _, n := range []int{0, 16, KeySize - 1, KeySize + 1, 64} {
		if _, err := New(make([]byte, n), rand.Reader); err == nil {
			t.Errorf("New accepted a %d-byte key", n)
		}
	}
}

func TestLoadKeyConfigured(t *testing.T) {
	key := testKey(7)
	tests := []struct {
		name       string
		configured string
		wantErr    bool
	}{
		{"hex", hex.EncodeToString(key), false},
		{"hex with spaces", "  " + hex.EncodeToString(key) + "\n", false},
		{"base64", base64.StdEncoding.EncodeToString(key), false},
		{"too short hex", hex.EncodeToString(key[:16]), true},
		{"garbage", "not a key", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			keyFile := filepath.Join(t.TempDir(), "secret.key")
			got, err := LoadKey(tt.configured, keyFile, rand.Reader)
			if tt.wantErr {
				if err == nil {
					t.Errorf("LoadKey(%q) accepted a bad key", tt.configured)
				}
				return
			}
			if err != nil || !bytes.Equal(got, key) {
				t.Errorf("LoadKey = %x, %v; want %x", got, err, key)
			}
			if _, err := os.Stat(keyFile); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("a configured key should not create the key file (stat: %v)", err)
			}
		})
	}
}

func TestLoadKeyCreatesKeyFileOnce(t *testing.T) {
	keyFile := filepath.Join(t.TempDir(), "data", "secret.key")
	first, err := LoadKey("", keyFile, rand.Reader)
	if err != nil {
		t.Fatalf("first LoadKey: %v", err)
	}
	if len(first) != KeySize {
		t.Fatalf("key is %d bytes, want %d", len(first), KeySize)
	}
	info, err := os.Stat(keyFile)
	if err != nil {
		t.Fatalf("key file not created: %v", err)
	}
	if mode := info.Mode().Perm(); mode != 0o600 {
		t.Errorf("key file mode = %o, want 600", mode)
	}
	second, err := LoadKey("", keyFile, bytes.NewReader(nil)) // no randomness: must read the file
	if err != nil || !bytes.Equal(first, second) {
		t.Errorf("second LoadKey = %x, %v; want the first key %x", second, err, first)
	}
}

func TestLoadKeyRejectsGarbageKeyFile(t *testing.T) {
	keyFile := filepath.Join(t.TempDir(), "secret.key")
	if err := os.WriteFile(keyFile, []byte("garbage\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if key, err := LoadKey("", keyFile, rand.Reader); err == nil {
		t.Errorf("LoadKey accepted a garbage key file, returned %x", key)
	}
	if b, _ := os.ReadFile(keyFile); string(b) != "garbage\n" {
		t.Errorf("key file was overwritten with %q", b)
	}
}
