package mail

import (
	"fmt"
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
