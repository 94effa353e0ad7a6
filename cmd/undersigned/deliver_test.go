package main

import (
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
