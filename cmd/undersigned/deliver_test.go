package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDeliverAndVerify writes a pack of the sample letter (no signatures
// yet) with the command line, verifies it, against its own key and
// another one, and refuses to write over it.
func TestDeliverAndVerify(t *testing.T) {
	dir := t.TempDir()
	env := []string{"UNDERSIGNED_DATA_DIR=" + dir}
	command := func(args ...string) (string, error) {
		var out bytes.Buffer
		err := run(context.Background(), append([]string{"--config", "../../config.yaml"}, args...), env,
			console{in: strings.NewReader(""), out: &out, err: &out})
		return out.String(), err
	}
	pack := filepath.Join(dir, "pack.zip")
	if out, err := command("deliver", sampleSlug, "--pack", pack); err != nil || !strings.Contains(out, "0 signatures") {
		t.Fatalf("deliver: %v\n%s", err, out)
	}
	if out, err := command("verify", pack); err != nil || !strings.HasPrefix(out, "OK: ") {
		t.Fatalf("verify: %v\n%s", err, out)
	}
	other := filepath.Join(dir, "keys.json")
	otherKeys := `{"keys":[{"id":"8a88e3dd7409f195","algorithm":"Ed25519","public_key":"O2onvM62pC1io6jQKm8Nc2UyFXcd4kOmOsBIoYtZ2ik="}]}`
	if err := os.WriteFile(other, []byte(otherKeys), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := command("verify", pack, "--key", other)
	if err == nil || !strings.Contains(out, "FAILED") || !strings.Contains(out, "not with the expected key") {
		t.Errorf("verify against another key: %v\n%s", err, out)
	}
	if out, err := command("deliver", sampleSlug, "--pack", pack); err == nil {
		t.Errorf("deliver wrote over a pack:\n%s", out)
	}
	if out, err := command("verify", filepath.Join(dir, "missing.zip")); err == nil {
		t.Errorf("verify of no file succeeded:\n%s", out)
	}
}
