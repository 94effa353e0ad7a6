// Package pdftest reads PDFs back in tests with poppler-utils (pdftotext,
// pdfinfo), the tools a recipient's machine reads them with.
package pdftest

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// Text is the text pdftotext extracts from a PDF, in UTF-8; args go before
// the file (such as "-bbox"). It skips the test when poppler-utils is not
// installed (.ci/run installs it).
func Text(t testing.TB, pdf []byte, args ...string) string {
	t.Helper()
	return run(t, "pdftotext", pdf, append(append([]string{"-enc", "UTF-8"}, args...), "{file}", "-"))
}

// Info is what pdfinfo says of a PDF; it fails the test when pdfinfo finds
// the file broken.
func Info(t testing.TB, pdf []byte) string {
	t.Helper()
	return run(t, "pdfinfo", pdf, []string{"{file}"})
}

func run(t testing.TB, tool string, pdf []byte, args []string) string {
	t.Helper()
	if _, err := exec.LookPath(tool); err != nil {
		t.Skipf("%s not found: install poppler-utils (apt-get install poppler-utils) to read the PDF back", tool)
	}
	file := filepath.Join(t.TempDir(), "doc.pdf")
	if err := os.WriteFile(file, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	for i, a := range args {
		if a == "{file}" {
			args[i] = file
		}
	}
	out, err := exec.Command(tool, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", tool, err, out)
	}
	return string(out)
}
