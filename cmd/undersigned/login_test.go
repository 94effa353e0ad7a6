package main

import (
	"bufio"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/undersigned/undersigned/pkg/web/webtest"
)

// parallelLogins is how many wrong passwords the attack test sends at once.
const parallelLogins = 40

// TestParallelWrongLoginsStayWithinTheLockoutAndMemory runs the real binary
// and sends it 40 wrong passwords for one account from one address at once.
// Each password hashed costs 19 MiB (argon2id): the lock-out reserves an
// attempt before hashing it, so at most staff.lockout_failures (10) are
// hashed and answered 401, the rest get 429 unhashed, and hashing runs a few
// at a time, so the server's peak resident memory stays under 200 MB.
func TestParallelWrongLoginsStayWithinTheLockoutAndMemory(t *testing.T) {
	if _, err := os.Stat("/proc/self/status"); err != nil {
		t.Skip("reads the server's peak memory from /proc")
	}
	if testing.Short() {
		t.Skip("builds and starts the server")
	}
	bin := buildBinary(t)
	addr := freeAddr(t)
	baseURL := "http://" + addr
	env := append(os.Environ(), "UNDERSIGNED_SERVER_ADDR="+addr, "UNDERSIGNED_BASE_URL="+baseURL, "UNDERSIGNED_LOG_LEVEL=error",
		// One check per CPU by default; pinned at two (CI's host has two CPUs) so the figure
		// does not depend on the host's: each check at once adds about 30 MB to the peak.
		"UNDERSIGNED_STAFF_HASH_CONCURRENCY=2")
	env = append(env, commandEnv(t)...)
	addStaff := exec.Command(bin, "--config", "../../config.yaml", "staff", "add", "admin@campaign.example", "--role", "admin")
	addStaff.Env = env
	addStaff.Stdin = strings.NewReader("a long enough password\n")
	if out, err := addStaff.CombinedOutput(); err != nil {
		t.Fatalf("staff add: %v\n%s", err, out)
	}
	srv := startBinary(t, bin, env, baseURL)
	defer func() { _ = srv.Process.Signal(syscall.SIGTERM); _ = srv.Wait() }()
	before := peakRSS(t, srv.Process.Pid)

	statuses := attack(t, baseURL, "admin@campaign.example", parallelLogins)
	peak := peakRSS(t, srv.Process.Pid)
	t.Logf("answers %v; peak RSS %.1f MB before the logins, %.1f MB after", statuses, mb(before), mb(peak))
	if statuses[http.StatusUnauthorized] > 10 || statuses[http.StatusUnauthorized]+statuses[http.StatusTooManyRequests] != parallelLogins {
		t.Errorf("answers %v: want at most 10 × 401 (hashed) and 429 for the rest", statuses)
	}
	if peak >= 200e6 {
		t.Errorf("peak RSS %.1f MB, want under 200 MB", mb(peak))
	}
}

// attack fetches the login form once for its CSRF token, then posts n wrong
// passwords for email at once, and counts the answers by status.
func attack(t *testing.T, baseURL, email string, n int) map[int]int {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Jar: jar, Timeout: 30 * time.Second}
	res, err := client.Get(baseURL + "/admin/login")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	csrf := ""
	for _, c := range jar.Cookies(res.Request.URL) {
		if c.Name == "undersigned_csrf" {
			csrf = c.Value
		}
	}
	forms := make([]url.Values, n)
	for i := range forms {
		forms[i] = url.Values{"email": {email}, "password": {fmt.Sprintf("wrong guess %d", i)}, "csrf": {csrf}}
	}
	return webtest.PostAtOnce(client, baseURL+"/admin/login", forms)
}

// peakRSS is the process's peak resident memory in bytes (VmHWM).
func peakRSS(t *testing.T, pid int) int64 {
	t.Helper()
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	lines := bufio.NewScanner(f)
	for lines.Scan() {
		if rest, ok := strings.CutPrefix(lines.Text(), "VmHWM:"); ok {
			kB, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err != nil {
				t.Fatalf("VmHWM %q: %v", rest, err)
			}
			return kB << 10
		}
	}
	t.Fatal("no VmHWM in /proc/<pid>/status")
	return 0
}

func mb(bytes int64) float64 { return float64(bytes) / 1e6 }
