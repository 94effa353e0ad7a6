package webtest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

// vnuVersion is the version of the W3C Nu Html Checker (the npm package
// vnu-jar) that .ci/run installs; keep the two in step.
const vnuVersion = "26.9.27"

// vnuJarEnv names the environment variable that points CheckHTML at a vnu.jar
// somewhere else than where .ci/run installs it.
const vnuJarEnv = "UNDERSIGNED_VNU_JAR"

// vnuJarInRepo is where .ci/run installs vnu.jar, relative to the repository
// root (npm install --prefix .ci/tools vnu-jar@vnuVersion).
const vnuJarInRepo = ".ci/tools/node_modules/vnu-jar/build/dist/vnu.jar"

// vnuTimeout bounds one run of the checker; a run over a few dozen pages
// takes a couple of seconds, most of it the JVM starting.
const vnuTimeout = 2 * time.Minute

// CheckHTML checks that every page is a valid HTML5 document, with the W3C Nu
// Html Checker (vnu.jar, the validator behind validator.w3.org/nu), and
// reports each error it finds with t.Errorf as "name:line:column: message",
// lines and columns being those of the document as served (not of a template).
//
// pages maps a name that identifies the page in the report (for example the
// method and URL path that produced it) to the whole HTML document. The pages
// are checked together in one run of the checker, since most of its time is
// the JVM starting: tests should collect the pages they want checked and call
// CheckHTML once. Warnings do not fail the test; errors do.
//
// It is used by the web package's TestPublicPagesAreValidHTML, which renders
// every public and staff page in its interesting states.
//
// The checker needs java on PATH and vnu.jar, found from the environment
// variable UNDERSIGNED_VNU_JAR or else at
// .ci/tools/node_modules/vnu-jar/build/dist/vnu.jar under the repository
// root. Without them the test is skipped, except in CI (CI=true), where it
// fails, since .ci/run installs both.
func CheckHTML(t testing.TB, pages map[string]string) {
	t.Helper()
	if len(pages) == 0 {
		t.Fatal("webtest: CheckHTML: no pages to check")
	}
	java, jar := findChecker(t)

	// Write the pages under names of our own, so that page names may hold any
	// character, and remember which file is which page.
	dir := t.TempDir()
	names := make([]string, 0, len(pages))
	for name := range pages {
		names = append(names, name)
	}
	sort.Strings(names)
	pageOf := make(map[string]string, len(names)) // file base name -> page name
	args := []string{"-jar", jar, "--errors-only", "--format", "json", "--stdout"}
	for i, name := range names {
		base := fmt.Sprintf("page-%03d.html", i)
		file := filepath.Join(dir, base)
		if err := os.WriteFile(file, []byte(pages[name]), 0o600); err != nil {
			t.Fatalf("webtest: CheckHTML: %v", err)
		}
		pageOf[base] = name
		args = append(args, file)
	}

	ctx, cancel := context.WithTimeout(context.Background(), vnuTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, java, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	runErr := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("webtest: CheckHTML: vnu.jar did not finish within %s\n%s", vnuTimeout, stderr.String())
	}
	// vnu.jar exits with 1 when it found errors: only its output tells
	// whether the run itself failed.
	var report vnuReport
	if err := json.Unmarshal(stdout.Bytes(), &report); err != nil {
		t.Fatalf("webtest: CheckHTML: cannot read vnu.jar's report (%v; run: %v)\nstdout:\n%s\nstderr:\n%s",
			err, runErr, stdout.String(), stderr.String())
	}
	var exitErr *exec.ExitError
	if runErr != nil && !errors.As(runErr, &exitErr) {
		t.Fatalf("webtest: CheckHTML: run vnu.jar: %v", runErr)
	}

	msgs := report.Messages
	sort.SliceStable(msgs, func(i, j int) bool {
		a, b := msgs[i], msgs[j]
		if a.URL != b.URL {
			return a.URL < b.URL
		}
		if a.line() != b.line() {
			return a.line() < b.line()
		}
		return a.column() < b.column()
	})
	errorsFound := 0
	for _, m := range msgs {
		name := pageName(m.URL, pageOf)
		switch {
		case m.Type == "info": // warnings and notes never fail the test
			t.Logf("%s: %s: %s", m.position(name), infoKind(m.SubType), m.Message)
		case m.Type == "non-document-error" && name == "":
			t.Errorf("webtest: CheckHTML: vnu.jar: %s", m.Message)
			errorsFound++
		default: // "error" (subtype "fatal" included) and per-page non-document errors
			errorsFound++
			if m.Extract != "" {
				t.Errorf("%s: %s\n\tnear: %s", m.position(name), m.Message, strings.ReplaceAll(m.Extract, "\n", "↵"))
			} else {
				t.Errorf("%s: %s", m.position(name), m.Message)
			}
		}
	}
	if errorsFound == 0 && runErr != nil {
		t.Fatalf("webtest: CheckHTML: vnu.jar failed without reporting an error: %v\n%s", runErr, stderr.String())
	}
	if errorsFound > 0 {
		t.Logf("webtest: CheckHTML: %d HTML error(s) in %d page(s), found by vnu.jar %s", errorsFound, len(pages), report.Version)
	}
}

// vnuReport is vnu.jar's JSON output (--format json); see
// https://github.com/validator/validator/wiki/Output-»-JSON.
type vnuReport struct {
	Version  string       `json:"version"`
	Messages []vnuMessage `json:"messages"`
}

// vnuMessage is one message of the report. Lines and columns count from 1;
// firstLine is left out when it is lastLine.
type vnuMessage struct {
	Type        string `json:"type"`    // "error", "info" or "non-document-error"
	SubType     string `json:"subType"` // "fatal" for an error, "warning" for info
	URL         string `json:"url"`
	FirstLine   int    `json:"firstLine"`
	LastLine    int    `json:"lastLine"`
	FirstColumn int    `json:"firstColumn"`
	LastColumn  int    `json:"lastColumn"`
	Message     string `json:"message"`
	Extract     string `json:"extract"`
}

// line is the line where the message's span starts.
func (m vnuMessage) line() int {
	if m.FirstLine == 0 {
		return m.LastLine
	}
	return m.FirstLine
}

// column is the column where the message's span starts.
func (m vnuMessage) column() int {
	if m.FirstColumn == 0 {
		return m.LastColumn
	}
	return m.FirstColumn
}

// position is where a message points: "name:line:column".
func (m vnuMessage) position(name string) string {
	if name == "" {
		name = m.URL
	}
	return fmt.Sprintf("%s:%d:%d", name, m.line(), m.column())
}

// pageName maps the file URL vnu.jar reports back to the page's name, or ""
// when the message is about no page file.
func pageName(fileURL string, pageOf map[string]string) string {
	if fileURL == "" {
		return ""
	}
	p := fileURL
	if u, err := url.Parse(fileURL); err == nil && u.Path != "" {
		p = u.Path
	}
	return pageOf[filepath.Base(p)]
}

func infoKind(subType string) string {
	if subType == "" {
		return "info"
	}
	return subType
}

// findChecker returns the java binary and vnu.jar, or ends the test: skipped
// on a developer's machine, failed in CI, where .ci/run installs both.
func findChecker(t testing.TB) (java, jar string) {
	t.Helper()
	var missing, install []string
	java, err := exec.LookPath("java")
	if err != nil {
		missing = append(missing, "java, which is not on PATH")
		install = append(install, "java: a Java runtime, on Debian apt-get install default-jre-headless")
	}
	jar, why := findJar()
	if why != "" {
		missing = append(missing, why)
		install = append(install, fmt.Sprintf("vnu.jar: from the repository root, npm install --prefix .ci/tools --no-audit --no-fund vnu-jar@%s\n"+
			"\t(or set %s to the path of a vnu.jar)", vnuVersion, vnuJarEnv))
	}
	if len(missing) == 0 {
		return java, jar
	}
	what := "the HTML validity check needs " + strings.Join(missing, "; and ")
	if os.Getenv("CI") == "true" {
		t.Fatalf("webtest: %s; in CI, .ci/run installs java and vnu.jar before the tests: run the tests through it", what)
	}
	t.Skipf("webtest: skipping: %s. To run it, install\n\t%s\n(.ci/run installs both)", what, strings.Join(install, "\n\t"))
	return "", ""
}

// findJar returns the path of vnu.jar, or why there is none.
func findJar() (jar, why string) {
	if p := os.Getenv(vnuJarEnv); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Sprintf("vnu.jar, but %s=%s: %v", vnuJarEnv, p, err)
		}
		return p, ""
	}
	root, err := repoRoot()
	if err != nil {
		return "", "vnu.jar, but " + err.Error()
	}
	p := filepath.Join(root, filepath.FromSlash(vnuJarInRepo))
	if _, err := os.Stat(p); err != nil {
		return "", "vnu.jar, which is not at " + p
	}
	return p, ""
}

// repoRoot is the nearest directory at or above the working directory that
// holds go.mod; go test runs a package's tests in its directory.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod found above the working directory")
		}
		dir = parent
	}
}
