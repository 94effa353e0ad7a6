package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode"
)

// repoRoot is the repository's top folder, seen from this package.
const repoRoot = "../.."

// docPages are the documents a reader opens in the repository.
func docPages(t *testing.T) []string {
	t.Helper()
	pages, err := filepath.Glob(filepath.Join(repoRoot, "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	return append(pages, filepath.Join(repoRoot, "README.md"))
}

// readDoc returns a document's text.
func readDoc(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// markdownLink finds a link's target, `](target)`; relativePath a path
// written out in code, `../pkg/store/batch.go`.
var (
	markdownLink = regexp.MustCompile(`\]\(([^)\s]+)\)`)
	relativePath = regexp.MustCompile("`(\\.\\./[^`\\s]+)`")
)

// TestDocsLinksResolveInsideTheRepository follows every relative link of
// README.md and docs/*.md, and every path written as `../…`: each must name
// a file or folder of the repository, and a #fragment a heading of its page.
func TestDocsLinksResolveInsideTheRepository(t *testing.T) {
	root, err := filepath.Abs(repoRoot)
	if err != nil {
		t.Fatal(err)
	}
	for _, page := range docPages(t) {
		text := readDoc(t, page)
		var targets []string
		for _, m := range markdownLink.FindAllStringSubmatch(text, -1) {
			targets = append(targets, m[1])
		}
		for _, m := range relativePath.FindAllStringSubmatch(text, -1) {
			targets = append(targets, m[1])
		}
		for _, target := range targets {
			if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
				continue
			}
			if problem := checkTarget(root, page, target); problem != "" {
				t.Errorf("%s links to %s: %s", filepath.Base(page), target, problem)
			}
		}
	}
}

// checkTarget says what is wrong with a link from page to target, or "".
func checkTarget(root, page, target string) string {
	file, fragment, _ := strings.Cut(target, "#")
	path := page
	if file != "" {
		if filepath.IsAbs(file) {
			return "an absolute path, outside the repository"
		}
		path = filepath.Join(filepath.Dir(page), filepath.FromSlash(file))
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return err.Error()
	}
	if rel, err := filepath.Rel(root, abs); err != nil || strings.HasPrefix(rel, "..") {
		return "outside the repository"
	}
	if _, err := os.Stat(abs); err != nil {
		return "no such file"
	}
	if fragment != "" && strings.HasSuffix(abs, ".md") {
		b, err := os.ReadFile(abs)
		if err != nil {
			return err.Error()
		}
		if !hasHeading(string(b), fragment) {
			return "no heading #" + fragment
		}
	}
	return ""
}

// hasHeading reports whether a Markdown page has a heading whose anchor,
// as GitHub makes it, is fragment.
func hasHeading(page, fragment string) bool {
	for line := range strings.SplitSeq(page, "\n") {
		if title, ok := strings.CutPrefix(strings.TrimLeft(line, "#"), " "); ok && strings.HasPrefix(line, "#") && anchor(title) == fragment {
			return true
		}
	}
	return false
}

// anchor is a heading's anchor: lower case, spaces as hyphens, punctuation
// other than hyphens and underscores left out.
func anchor(title string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == ' ':
			return '-'
		case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r):
			return r
		}
		return -1
	}, strings.ToLower(title))
}

// TestBenchmarksIsOnePage keeps docs/benchmarks.md a page of the latest
// figures rather than a record of every measurement.
func TestBenchmarksIsOnePage(t *testing.T) {
	text := readDoc(t, filepath.Join(repoRoot, "docs", "benchmarks.md"))
	if lines := strings.Count(text, "\n"); lines > 200 {
		t.Errorf("docs/benchmarks.md has %d lines; at most 200", lines)
	}
}

// isoDate is a calendar date as the docs would write one.
var isoDate = regexp.MustCompile(`\b\d{4}-\d{2}-\d{2}\b`)

// TestArchitectureHasNoDatedEntries keeps docs/architecture.md a
// description of the code as it is: dated figures belong in
// docs/benchmarks.md, the history of the work in git.
func TestArchitectureHasNoDatedEntries(t *testing.T) {
	text := readDoc(t, filepath.Join(repoRoot, "docs", "architecture.md"))
	for i, line := range strings.Split(text, "\n") {
		if date := isoDate.FindString(line); date != "" {
			t.Errorf("docs/architecture.md:%d is dated %s: %s", i+1, date, line)
		}
	}
}

// TestReadmeLayoutNamesEveryPackage checks that the README's layout lists
// every command under cmd/ and every package under pkg/.
func TestReadmeLayoutNamesEveryPackage(t *testing.T) {
	readme := readDoc(t, filepath.Join(repoRoot, "README.md"))
	_, layout, ok := strings.Cut(readme, "\n## Layout\n")
	if !ok {
		t.Fatal("README.md has no Layout section")
	}
	layout, _, _ = strings.Cut(layout, "\n## ")
	for _, parent := range []string{"cmd", "pkg"} {
		entries, err := os.ReadDir(filepath.Join(repoRoot, parent))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			name := parent + "/" + e.Name()
			if e.IsDir() && !strings.Contains(layout, "\n"+name+" ") {
				t.Errorf("README.md's layout does not list %s", name)
			}
		}
	}
}
