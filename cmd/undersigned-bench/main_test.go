package main

import (
	"bytes"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/undersigned/undersigned/pkg/store"
	"github.com/undersigned/undersigned/pkg/web/webtest"
)

// TestLoadCommandRunsEveryPhase runs the load command, small, from the
// repository's root as the README does, and checks that every phase ran
// and measured something, with no request failing.
func TestLoadCommandRunsEveryPhase(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the whole load command")
	}
	heap := filepath.Join(t.TempDir(), "heap.pprof")
	cmd := exec.CommandContext(t.Context(), "go", "run", "./cmd/undersigned-bench", "-seed", "500", "-duration", "1s", "-clients", "4", "-streams", "40",
		"-sign-rate", "100", "-sign-ramp", "1s", "-memprofile", heap)
	cmd.Dir = "../.."
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("load command: %v\n%s", err, out)
	}
	text := string(out)
	for _, want := range []string{"seeded 500 published signatures", "5000 of their mails delivered", "event streams open: 40",
		"stream update latency over 40 clients"} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	checkRequestPhases(t, text)
	// The memory is read with the signatures stored by then: the 500 seeded,
	// and after the mail burst's 5,000, at least 5,500.
	for _, after := range []string{"seeding", "signing at 100/s", "these phases", "every phase"} {
		m := regexp.MustCompile(`RSS after ` + after + `, with (\d+) signatures stored: [1-9]\d* MiB`).FindStringSubmatch(text)
		if m == nil {
			t.Errorf("no RSS after %s", after)
		} else if stored, _ := strconv.Atoi(m[1]); stored < 500 || (after != "seeding" && stored < 5500) {
			t.Errorf("RSS after %s: %d signatures stored", after, stored)
		}
	}
	if b, err := os.ReadFile(heap); err != nil || !bytes.HasPrefix(b, []byte{0x1f, 0x8b}) {
		t.Errorf("no gzipped heap profile written (%v)", err)
	}
	if strings.Contains(text, "requests failed") {
		t.Errorf("some requests failed")
	}
	if t.Failed() {
		t.Logf("output:\n%s", out)
	}
}

// checkRequestPhases checks that each request phase of a small run (signing
// at 100/s) printed its figures: some requests a second, and a share of the
// CPU stolen that is one. The letter page is measured beside signing, which
// must have run too.
func checkRequestPhases(t *testing.T, text string) {
	t.Helper()
	for _, phase := range []string{"bare echo \\(ceiling\\)", "sign POST, rising to 100/s in 1s", "sign POST, 100/s started", "sign POST, as fast as answered", "letter page GET \\(signing [1-9]\\d*/s\\)", "JSON API GET"} {
		// req/s first; last, the share of the machine's CPU stolen meanwhile.
		m := regexp.MustCompile(`(?m)^` + phase + `\s+(\d+)\s.*\s(\d+\.\d)%$`).FindStringSubmatch(text)
		if m == nil {
			t.Errorf("no figure for %s", phase)
			continue
		}
		if rps, _ := strconv.Atoi(m[1]); rps == 0 {
			t.Errorf("%s: 0 requests a second", phase)
		}
		if stolen, _ := strconv.ParseFloat(m[2], 64); stolen > 100 {
			t.Errorf("%s: %.1f%% of the CPU stolen", phase, stolen)
		}
	}
}

// TestLoadCommandOnPostgres runs the load command, small, on two servers
// sharing a PostgreSQL database of its own, when the suite has a PostgreSQL
// server: every phase measures something, each name published through the
// first server reaches the second's event stream, and the database is
// dropped at the end.
func TestLoadCommandOnPostgres(t *testing.T) {
	base := os.Getenv(webtest.PostgresEnv)
	if base == "" || testing.Short() {
		t.Skip("needs " + webtest.PostgresEnv + " and runs the whole load command")
	}
	cmd := exec.CommandContext(t.Context(), "go", "run", "./cmd/undersigned-bench", "-database", "postgres", "-dsn", base, "-instances", "2",
		"-seed", "1000", "-duration", "1s", "-clients", "4", "-streams", "40", "-sign-rate", "100", "-sign-ramp", "1s")
	cmd.Dir = "../.."
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("load command: %v\n%s", err, out)
	}
	text := string(out)
	if !regexp.MustCompile(`(?m)^Undersigned load test — .*, PostgreSQL \d+.*, fsync=\w+, .*, 2 instances$`).MatchString(text) {
		t.Errorf("the header names no PostgreSQL server and 2 instances")
	}
	for _, want := range []string{"seeded 1000 published signatures", "5000 of their mails delivered", "stream update latency over 40 clients"} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	checkRequestPhases(t, text)
	// A name every 250 ms for 1 s: four, each seen on the other server.
	m := regexp.MustCompile(`propagation from instance 1 to instance 2's event stream \(signing [1-9]\d*/s\): (\d+) of (\d+) names seen, p50 \S+, p99 \S+, max \S+`).FindStringSubmatch(text)
	if m == nil || m[1] != m[2] || m[2] != "4" {
		t.Errorf("propagation: %v", m)
	}
	if strings.Contains(text, "requests failed") {
		t.Errorf("some requests failed")
	}
	if left := benchDatabases(t, base); left != 0 {
		t.Errorf("%d bench databases left behind", left)
	}
	if t.Failed() {
		t.Logf("output:\n%s", out)
	}
}

// benchDatabases counts the load command's databases on the server base
// reaches.
func benchDatabases(t *testing.T, base string) int {
	t.Helper()
	st, err := store.Open(store.Options{Driver: "postgres", DSN: base + " dbname=postgres", Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	n, err := st.CountDatabases(t.Context(), "undersigned_bench_%")
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestLoadCommandCampaignPhase runs the confirm and campaign phases, small:
// signing is measured paced and as fast as answered while signers confirm,
// then also while the local receiver takes webhook events and the update
// goes out.
func TestLoadCommandCampaignPhase(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the load command")
	}
	cmd := exec.CommandContext(t.Context(), "go", "run", "./cmd/undersigned-bench", "-phases", "confirm,campaign", "-seed", "300", "-duration", "1s",
		"-clients", "4", "-sign-rate", "100", "-confirm-rate", "50")
	cmd.Dir = "../.."
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("load command: %v\n%s", err, out)
	}
	text := string(out)
	for _, phase := range []string{"sign POST, 100/s, confirming", "sign POST, fast, confirming", "sign POST, 100/s, campaign running",
		"sign POST, fast, campaign running"} {
		if m := regexp.MustCompile(`(?m)^` + phase + `\s+(\d+)\s`).FindStringSubmatch(text); m == nil || m[1] == "0" {
			t.Errorf("no figure for %s", phase)
		}
	}
	// Confirmations beside both; webhook requests beside the campaign only.
	m := regexp.MustCompile(`beside signing, in \d+s: (\d+) confirmations, \d+/s; (\d+) webhook requests taken`).FindAllStringSubmatch(text, -1)
	if len(m) != 2 || m[0][1] == "0" || m[0][2] != "0" || m[1][1] == "0" || m[1][2] == "0" {
		t.Errorf("the work beside signing: %q, want confirmations twice and webhook requests the second time", m)
	}
	if strings.Contains(text, "requests failed") {
		t.Errorf("some requests failed")
	}
	if t.Failed() {
		t.Logf("output:\n%s", out)
	}
}
