package mail

import (
	"context"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/undersigned/undersigned/pkg/config"
)

func TestSMTPClientKeepsTheConfiguredPort(t *testing.T) {
	for _, tls := range []string{"none", "starttls", "tls"} {
		for _, port := range []int{25, 465, 587, 1025} {
			tr := NewSMTPTransport(config.SMTP{Host: "relay.example", Port: port, TLS: tls, Timeout: time.Second}, time.Now)
			c, err := tr.client()
			if err != nil {
				t.Fatalf("%s:%d: %v", tls, port, err)
			}
			if got, want := c.ServerAddr(), fmt.Sprintf("relay.example:%d", port); got != want {
				t.Errorf("tls %s, port %d: client dials %s", tls, port, got)
			}
		}
	}
}

func TestClassifyRedactsAddresses(t *testing.T) {
	f := classify(errString("dial failed: 550 <ada@example.org>: no such user, affected recipient(s): bob@example.net"))
	if f.permanent {
		t.Error("an error without an SMTP code was taken as permanent")
	}
	if f.summary != "dial failed: 550 <<address>>: no such user, affected recipient(s): <address>" {
		t.Errorf("summary = %q", f.summary)
	}
}

type errString string

func (e errString) Error() string { return string(e) }

// TestFileTransportKeepsMailPrivate sends one message through the file
// transport and checks that the folder and the file, which hold a signer's
// address and confirmation link, are readable by the server's user alone,
// like the rest of the data folder.
func TestFileTransportKeepsMailPrivate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "mail")
	tr := &FileTransport{Dir: dir, Log: slog.New(slog.DiscardHandler), Now: time.Now, Tag: func(string) string { return "0123456789abcdef0123" }}
	m := &Message{From: "campaign@example.org", To: "ada@example.org", Subject: "Confirm", Text: "Follow the link."}
	if err := tr.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob(filepath.Join(dir, "*"))
	if err != nil || len(files) != 1 || filepath.Ext(files[0]) != ".eml" {
		t.Fatalf("mail folder holds %v (%v), want one .eml file", files, err)
	}
	for path, want := range map[string]fs.FileMode{dir: fs.ModeDir | 0o700, files[0]: 0o600} {
		info, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if info.Mode() != want {
			t.Errorf("%s: mode %v, want %v", filepath.Base(path), info.Mode(), want)
		}
	}
}
