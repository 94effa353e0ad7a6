package main

import (
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
)

// buildBinary builds the command into a temporary folder, with extra go
// build flags, as an operator would, and returns the binary's path.
func buildBinary(t *testing.T, flags ...string) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "undersigned")
	args := append(append([]string{"build"}, flags...), "-o", bin, ".")
	if out, err := exec.Command("go", args...).CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	return bin
}

func TestVersionFrom(t *testing.T) {
	const revision = "0e0da0155ad84f822ffaf6fc35e79c804487607d"
	const pseudo = "v0.0.0-20261201100000-0e0da0155ad8"
	vcs := func(modified string) []debug.BuildSetting {
		return []debug.BuildSetting{{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: revision},
			{Key: "vcs.time", Value: "2026-12-01T10:00:00Z"}, {Key: "vcs.modified", Value: modified}}
	}
	tests := []struct {
		name string
		info debug.BuildInfo
		want string
	}{
		{"a tagged checkout", debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v1.4.0"}, Settings: vcs("false")},
			"undersigned v1.4.0 commit " + revision + " (2026-12-01T10:00:00Z) go1.26.8"},
		{"uncommitted changes", debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: pseudo + "+dirty"}, Settings: vcs("true")},
			"undersigned " + pseudo + "+dirty commit " + revision + "+dirty (2026-12-01T10:00:00Z) go1.26.8"},
		{"outside a repository", debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}},
			"undersigned (devel) commit unknown go1.26.8"},
		{"go install of a tag", debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v1.4.0"}},
			"undersigned v1.4.0 commit unknown go1.26.8"},
		{"no module information", debug.BuildInfo{}, "undersigned unknown commit unknown"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := versionFrom(&tt.info).String(); got != tt.want {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}

// TestVersionOfABuiltBinary builds the binary as an operator would (VCS
// stamping on, whatever GOFLAGS says) and checks that `version` and
// `--version` print the same line, needing no configuration, and that the
// commit is the checkout's HEAD.
func TestVersionOfABuiltBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := buildBinary(t, "-buildvcs=auto")
	line := runVersion(t, bin, "version")
	if flag := runVersion(t, bin, "--version"); flag != line {
		t.Errorf("--version printed %q, version %q", flag, line)
	}
	if !strings.HasPrefix(line, "undersigned ") || !strings.Contains(line, " commit ") || !strings.HasSuffix(line, " "+runtime.Version()) {
		t.Errorf("version = %q, want undersigned VERSION commit … %s", line, runtime.Version())
	}
	head, err := git("rev-parse", "HEAD")
	if err != nil {
		t.Skipf("not in a git work tree (%v): the commit is not checked", err)
	}
	if gitDir, _ := git("rev-parse", "--absolute-git-dir"); gitDir != mustGit(t, "rev-parse", "--path-format=absolute", "--git-common-dir") {
		// Go looks for a .git directory, and a linked worktree has a .git file (golang/go#58218).
		t.Skipf("a linked git worktree: go build cannot stamp its commit; version printed %q", line)
	}
	status := mustGit(t, "status", "--porcelain")
	want := head
	if status != "" {
		want += "+dirty"
	}
	if !strings.Contains(line, " commit "+want+" (") {
		t.Errorf("version = %q, want the commit %s (git status: %q)", line, want, status)
	}
}

// runVersion runs the binary with args from a folder with no config.yaml.
func runVersion(t *testing.T, bin string, args ...string) string {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = t.TempDir()
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s: %v", bin, strings.Join(args, " "), err)
	}
	return strings.TrimSpace(string(out))
}

func git(args ...string) (string, error) {
	out, err := exec.Command("git", args...).Output()
	return strings.TrimSpace(string(out)), err
}

func mustGit(t *testing.T, args ...string) string {
	t.Helper()
	out, err := git(args...)
	if err != nil {
		t.Fatalf("git %s: %v", strings.Join(args, " "), err)
	}
	return out
}
