package vault

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"math"
	"strings"
	"testing"
)

func TestLinkCarriesItsSignatureAndSecret(t *testing.T) {
	v := newVault(t, testKey(1))
	for _, id := range []uint64{1, 2, 42, math.MaxUint64} {
		for _, purpose := range []string{PurposeToken, PurposeManage} {
			secret, err := v.NewLinkSecret()
			if err != nil {
				t.Fatal(err)
			}
			token, err := v.Link(purpose, id, secret)
			if err != nil {
				t.Fatal(err)
			}
			if len(token) != 54 || !base64URL(token) {
				t.Errorf("Link(%q, %d) = %q, want 54 base64url characters", purpose, id, token)
			}
			gotID, gotSecret, ok := v.ParseLink(purpose, token)
			if !ok || gotID != id || gotSecret != secret {
				t.Errorf("ParseLink(Link(%q, %d, %q)) = %d, %q, %v", purpose, id, secret, gotID, gotSecret, ok)
			}
		}
	}
}

func TestLinkHidesTheID(t *testing.T) {
	v := newVault(t, testKey(1))
	secret, _ := v.NewLinkSecret()
	var locators [][]byte
	for id := uint64(1); id <= 3; id++ {
		token, _ := v.Link(PurposeToken, id, secret)
		raw, _ := base64.RawURLEncoding.DecodeString(token)
		if binary.BigEndian.Uint64(raw) == id || bytes.Contains(raw[:locatorBytes], []byte{0, 0, 0, 0}) {
			t.Errorf("link to %d shows its id: %x", id, raw[:locatorBytes])
		}
		locators = append(locators, raw[:locatorBytes])
	}
	for i := 1; i < len(locators); i++ {
		if same := countEqualBytes(locators[i-1], locators[i]); same > 4 {
			t.Errorf("links to ids %d and %d share %d locator bytes: %x, %x", i, i+1, same, locators[i-1], locators[i])
		}
	}
}

func countEqualBytes(a, b []byte) int {
	n := 0
	for i := range a {
		if a[i] == b[i] {
			n++
		}
	}
	return n
}

func TestParseLinkRefusesWhatItDidNotMake(t *testing.T) {
	v := newVault(t, testKey(1))
	secret, _ := v.NewLinkSecret()
	token, _ := v.Link(PurposeToken, 7, secret)
	flipped := []byte(token)
	flipped[3] ^= 0x01 // within the locator
	cases := map[string]struct {
		vault   *Vault
		purpose string
		token   string
	}{
		"other purpose":    {v, PurposeManage, token},
		"other key":        {newVault(t, testKey(2)), PurposeToken, token},
		"locator altered":  {v, PurposeToken, string(flipped)},
		"truncated":        {v, PurposeToken, token[:53]},
		"padded":           {v, PurposeToken, token + "="},
		"standard base64":  {v, PurposeToken, strings.NewReplacer("-", "+", "_", "/").Replace(token[:52]) + "+/"},
		"line break":       {v, PurposeToken, token[:20] + "\n" + token[21:]},
		"legacy link":      {v, PurposeToken, base64.RawURLEncoding.EncodeToString(make([]byte, 32))},
		"empty":            {v, PurposeToken, ""},
		"trailing bits on": {v, PurposeToken, token[:53] + string(nonCanonicalLast(token[53]))},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			if id, _, ok := c.vault.ParseLink(c.purpose, c.token); ok {
				t.Errorf("ParseLink(%q) = %d, ok", c.token, id)
			}
		})
	}
}

// nonCanonicalLast returns another character that decodes to the same last
// bytes: the last of 54 characters carries 4 bits that are not data.
func nonCanonicalLast(c byte) byte {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	return alphabet[strings.IndexByte(alphabet, c)^1]
}

func TestOpenLinkBuildsTheLinkOrKeepsALegacyOne(t *testing.T) {
	v := newVault(t, testKey(1))
	secret, _ := v.NewLinkSecret()
	sealed, _ := v.Seal(PurposeManage, secret)
	got, err := v.OpenLink(PurposeManage, 9, sealed)
	if want, _ := v.Link(PurposeManage, 9, secret); err != nil || got != want {
		t.Errorf("OpenLink = %q, %v; want %q", got, err, want)
	}
	legacy := base64.RawURLEncoding.EncodeToString(bytes.Repeat([]byte{0xab}, 32))
	sealed, _ = v.Seal(PurposeManage, legacy)
	if got, err := v.OpenLink(PurposeManage, 9, sealed); err != nil || got != legacy || !IsLegacyLink(got) {
		t.Errorf("OpenLink of a legacy token = %q, %v; want it as it was", got, err)
	}
	if _, err := v.OpenLink(PurposeToken, 9, sealed); err == nil {
		t.Error("OpenLink opened a secret sealed for another purpose")
	}
}

// FuzzParseLink proves that every link Link makes parses back to its id and
// secret, and that ParseLink accepts only a canonical token Link would make.
func FuzzParseLink(f *testing.F) {
	v, err := New(testKey(1), strings.NewReader(strings.Repeat("x", 1000)))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(uint64(1), []byte("0123456789abcdef01234567"), "")
	f.Add(uint64(math.MaxUint64), []byte{}, strings.Repeat("A", 54))
	f.Add(uint64(0), []byte{0xff}, strings.Repeat("-", 43))
	f.Fuzz(func(t *testing.T, id uint64, raw []byte, token string) {
		var b [LinkSecretBytes]byte
		copy(b[:], raw)
		secret := base64.RawURLEncoding.EncodeToString(b[:])
		made, err := v.Link(PurposeToken, id, secret)
		if err != nil {
			t.Fatal(err)
		}
		if gotID, gotSecret, ok := v.ParseLink(PurposeToken, made); !ok || gotID != id || gotSecret != secret {
			t.Errorf("ParseLink(Link(%d, %q)) = %d, %q, %v", id, secret, gotID, gotSecret, ok)
		}
		if gotID, gotSecret, ok := v.ParseLink(PurposeToken, token); ok {
			if again, _ := v.Link(PurposeToken, gotID, gotSecret); again != token {
				t.Errorf("ParseLink accepted %q, which Link would write as %q", token, again)
			}
		}
		if IsLegacyLink(token) && (len(token) != 43 || !base64URL(token)) {
			t.Errorf("IsLegacyLink(%q) = true", token)
		}
	})
}

func TestUnsubscribeLinkNamesItsSignatureOnly(t *testing.T) {
	v := newVault(t, testKey(1))
	token, err := v.UnsubscribeLink(42)
	if err != nil {
		t.Fatal(err)
	}
	if id, ok := v.ParseUnsubscribeLink(token); !ok || id != 42 {
		t.Errorf("ParseUnsubscribeLink(UnsubscribeLink(42)) = %d, %v", id, ok)
	}
	if again, _ := v.UnsubscribeLink(42); again != token {
		t.Error("the unsubscribe link of a signature changed between two calls")
	}
	secret, err := v.NewLinkSecret()
	if err != nil {
		t.Fatal(err)
	}
	forged, err := v.Link(PurposeUnsubscribe, 42, secret)
	if err != nil {
		t.Fatal(err)
	}
	manage, err := v.Link(PurposeManage, 42, secret)
	if err != nil {
		t.Fatal(err)
	}
	other, _ := newVault(t, testKey(2)).UnsubscribeLink(42)
	for _, bad := range []string{forged, manage, other, token[:len(token)-1]} {
		if id, ok := v.ParseUnsubscribeLink(bad); ok {
			t.Errorf("ParseUnsubscribeLink(%q) = %d, accepted", bad, id)
		}
	}
}
