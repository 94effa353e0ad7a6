package main

import (
	"archive/zip"
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/undersigned/undersigned/pkg/deliver/pdftest"
)

// TestDeliverWritesThePDF runs `undersigned deliver` on the sample letter,
// which nobody has signed yet: a valid PDF of the letter saying so; and
// refuses what it cannot do with a clear message.
func TestDeliverWritesThePDF(t *testing.T) {
	env := commandEnv(t)
	out := filepath.Join(t.TempDir(), "letter.pdf")
	runWith := func(args ...string) (string, error) {
		var stdout strings.Builder
		err := run(t.Context(), append([]string{"--config", "../../config.yaml", "deliver"}, args...), env,
			console{in: strings.NewReader(""), out: &stdout, err: io.Discard})
		return stdout.String(), err
	}
	said, err := runWith(sampleSlug, "--lang", "en", "--out", out)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(said, "wrote "+out) || !strings.Contains(said, "0 names from 0 countries") {
		t.Errorf("the command said %q", said)
	}
	pdf, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if info := pdftest.Info(t, pdf); !strings.Contains(info, "Pages:") {
		t.Errorf("pdfinfo: %s", info)
	}
	if text := pdftest.Text(t, pdf); !strings.Contains(text, "No signatories yet.") {
		t.Errorf("the PDF reads %q", text)
	}
	// The flags may come first; a language the letter lacks falls back with a note.
	if said, err := runWith("--lang", "de", "--out", out, sampleSlug); err != nil || !strings.Contains(said, "English") {
		t.Errorf("--lang de: %q, %v; want the English text and a note", said, err)
	}
	for _, args := range [][]string{{sampleSlug}, {"--out", out}, {"no-such-letter", "--out", out}, {sampleSlug, "other", "--out", out}} {
		if _, err := runWith(args...); err == nil {
			t.Errorf("deliver %q succeeded", args)
		}
	}
}

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
	// The pack holds the delivered document, the same PDF --out writes.
	zr, err := zip.OpenReader(pack)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	var holdsPDF bool
	for _, f := range zr.File {
		holdsPDF = holdsPDF || f.Name == "letter.pdf" && f.UncompressedSize64 > 1000
	}
	if !holdsPDF {
		t.Error("the pack has no letter.pdf")
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
