package webhooks_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	"github.com/undersigned/undersigned/pkg/webhooks"
)

func TestGuardAllowsPublicAddressesOnly(t *testing.T) {
	tests := []struct {
		ip    string
		allow []string
		want  bool
	}{
		{"93.184.215.14", nil, true},
		{"2606:4700::1111", nil, true},
		{"127.0.0.1", nil, false},
		{"::1", nil, false},
		{"::ffff:127.0.0.1", nil, false},
		{"10.1.2.3", nil, false},
		{"172.16.0.1", nil, false},
		{"192.168.1.1", nil, false},
		{"169.254.169.254", nil, false},
		{"fe80::1", nil, false},
		{"fd00:ec2::254", nil, false},
		{"0.0.0.0", nil, false},
		{"::", nil, false},
		{"224.0.0.1", nil, false},
		{"127.0.0.1", []string{"127.0.0.0/8"}, true},
		{"10.1.2.3", []string{"10.1.0.0/16"}, true},
		{"169.254.169.254", []string{"10.0.0.0/8"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.ip, func(t *testing.T) {
			g, err := webhooks.NewGuard(tt.allow)
			if err != nil {
				t.Fatal(err)
			}
			if got := g.Allowed(netip.MustParseAddr(tt.ip)); got != tt.want {
				t.Errorf("Allowed(%s) with %v = %v, want %v", tt.ip, tt.allow, got, tt.want)
			}
		})
	}
}

// TestClientRefusesAtDialTimeAndFollowsNoRedirect: a name that resolves to
// loopback is refused as the connection is made, and a redirect is
// answered, not followed.
func TestClientRefusesAtDialTimeAndFollowsNoRedirect(t *testing.T) {
	srv := httptest.NewServer(http.RedirectHandler("http://169.254.169.254/latest/meta-data", http.StatusFound))
	t.Cleanup(srv.Close)
	port := srv.URL[strings.LastIndex(srv.URL, ":"):]
	strict, _ := webhooks.NewGuard(nil)
	client, err := strict.Client("")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.Get("http://localhost" + port); !errors.Is(err, webhooks.ErrPrivateAddress) {
		t.Errorf("GET localhost: %v, want ErrPrivateAddress", err)
	}
	loose, _ := webhooks.NewGuard([]string{"127.0.0.0/8", "::1/128"})
	client, _ = loose.Client("")
	res, err := client.Get("http://localhost" + port)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusFound {
		t.Errorf("status %d, want the redirect itself", res.StatusCode)
	}
}
