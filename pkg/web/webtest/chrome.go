package webtest

import (
	"context"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// browserNames are the executables of Chromium and Chrome, most likely first.
func browserNames() []string {
	return []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"}
}

// Chrome starts a headless Chromium for the test and returns the context of
// its first tab. Without a browser on the machine the test is skipped, with
// the command that installs one; in CI (CI=true) it fails instead, since
// .ci/run installs Chromium.
func Chrome(t testing.TB) context.Context {
	t.Helper()
	path := ""
	for _, name := range browserNames() {
		if p, err := exec.LookPath(name); err == nil {
			path = p
			break
		}
	}
	if path == "" {
		msg := "no Chromium or Chrome found; install one (apt-get install chromium) to run the browser tests"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg + "; .ci/run should have installed it")
		}
		t.Skip(msg)
	}
	// The flags keep Chromium from reaching for the network on its own, which
	// this machine's closed network refuses.
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-background-timer-throttling", true),
		chromedp.Flag("disable-renderer-backgrounding", true),
		chromedp.WindowSize(1200, 900),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(allocCtx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 2*time.Minute)
	t.Cleanup(func() {
		cancelTimeout()
		cancel()
		cancelAlloc()
	})
	if err := chromedp.Do(ctx); err != nil { // starts the browser
		t.Fatalf("webtest: start %s: %v", path, err)
	}
	return ctx
}

// LabelledField returns the id of the form control that the label starting
// with text names, as a person finds a field by reading its label.
func LabelledField(t testing.TB, ctx context.Context, text string) chromedp.ID {
	t.Helper()
	id, err := chromedp.Run(ctx, chromedp.PollFunction[string](`(text) => {
		const label = [...document.querySelectorAll("label")].find(l => l.textContent.trim().startsWith(text));
		return label && label.control ? label.control.id : "";
	}`, chromedp.WithPollingArgs(text), chromedp.WithPollingTimeout(5*time.Second)))
	if err != nil || id == "" {
		t.Fatalf("webtest: no field labelled %q: %v", text, err)
	}
	return chromedp.ID(id)
}
