package main

import (
	"fmt"
	"log/slog"
	"runtime/debug"
	"strings"
)

// buildVersion is what the Go toolchain records about how a binary was built:
// `undersigned version` prints it and the server logs it at start, so an
// operator can tell which code is running without a hand-edited constant.
type buildVersion struct {
	// Module is the main module's version: the tag of the commit built, or a
	// pseudo-version naming the commit (v0.0.0-20261201100000-0e0da0155ad8,
	// "+dirty" with uncommitted changes), or "(devel)" when built outside a
	// git repository Go can read.
	Module string
	// Revision is the commit checked out when the binary was built, empty
	// when it was built outside a VCS work tree (or with -buildvcs=false).
	Revision string
	// CommitTime is that commit's time (RFC 3339): Go records no build date,
	// and the commit's date is the one that says how old the code is.
	CommitTime string
	// Modified reports whether the work tree had uncommitted changes.
	Modified bool
	// Go is the toolchain that built the binary, such as go1.26.8.
	Go string
}

// currentVersion is the running binary's build information.
func currentVersion() buildVersion {
	info, ok := debug.ReadBuildInfo()
	if !ok { // a binary built without module support
		return buildVersion{Module: "unknown"}
	}
	return versionFrom(info)
}

// versionFrom reads the main module's version and the vcs.* settings that
// `go build` stamps into a binary built inside a work tree.
func versionFrom(info *debug.BuildInfo) buildVersion {
	v := buildVersion{Module: info.Main.Version, Go: info.GoVersion}
	if v.Module == "" {
		v.Module = "unknown"
	}
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			v.Revision = s.Value
		case "vcs.time":
			v.CommitTime = s.Value
		case "vcs.modified":
			v.Modified = s.Value == "true"
		}
	}
	return v
}

// commit is the revision as printed: "+dirty" marks a build from a work tree
// with uncommitted changes, "unknown" one built outside a work tree.
func (v buildVersion) commit() string {
	if v.Revision == "" {
		return "unknown"
	}
	if v.Modified {
		return v.Revision + "+dirty"
	}
	return v.Revision
}

// String is the line `undersigned version` prints, such as
// "undersigned v1.4.0 commit 0e0da01… (2026-12-01T10:00:00Z) go1.26.8".
func (v buildVersion) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "undersigned %s commit %s", v.Module, v.commit())
	if v.CommitTime != "" {
		fmt.Fprintf(&b, " (%s)", v.CommitTime)
	}
	if v.Go != "" {
		fmt.Fprintf(&b, " %s", v.Go)
	}
	return b.String()
}

// LogValue puts the version into the server's structured start-up line.
func (v buildVersion) LogValue() slog.Value {
	return slog.GroupValue(slog.String("version", v.Module), slog.String("commit", v.commit()),
		slog.String("commit_time", v.CommitTime), slog.String("go", v.Go))
}
