package webhooks

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"os"
	"syscall"
	"time"
)

// Timeout bounds one delivery: connecting, sending and reading the answer.
const Timeout = 10 * time.Second

// ErrPrivateAddress is what a request to an address outside the public
// internet fails with, unless webhooks.allow_private lists its network.
var ErrPrivateAddress = errors.New("webhooks: address is not public")

// Guard decides which addresses the webhook worker may connect to: public
// ones, and those in the networks an admin allowed (webhooks.allow_private).
type Guard struct {
	allow []netip.Prefix
}

// NewGuard returns a guard allowing, besides public addresses, the
// networks in allow (CIDR, as config validates them).
func NewGuard(allow []string) (*Guard, error) {
	g := &Guard{}
	for _, s := range allow {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return nil, fmt.Errorf("webhooks: allow_private %q: %w", s, err)
		}
		g.allow = append(g.allow, p.Masked())
	}
	return g, nil
}

// Allowed reports whether the worker may connect to ip: a public address,
// or one in an allowed network. Loopback, private, link-local (the cloud
// metadata address 169.254.169.254 among them), unique-local, unspecified
// and multicast addresses are not public.
func (g *Guard) Allowed(ip netip.Addr) bool {
	ip = ip.Unmap()
	for _, p := range g.allow {
		if p.Contains(ip) {
			return true
		}
	}
	return ip.IsValid() && !ip.IsLoopback() && !ip.IsPrivate() && !ip.IsLinkLocalUnicast() && !ip.IsLinkLocalMulticast() &&
		!ip.IsUnspecified() && !ip.IsMulticast() && !ip.IsInterfaceLocalMulticast()
}

// CheckHost resolves host and reports ErrPrivateAddress when any of its
// addresses is refused; an endpoint is checked so when an admin adds it.
func (g *Guard) CheckHost(ctx context.Context, host string) error {
	addrs, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return fmt.Errorf("webhooks: resolve %s: %w", host, err)
	}
	for _, ip := range addrs {
		if !g.Allowed(ip) {
			return fmt.Errorf("webhooks: %s is %s: %w", host, ip, ErrPrivateAddress)
		}
	}
	return nil
}

// control refuses, as the socket is about to connect, an address the guard
// does not allow: it sees the address DNS gave at that moment, so a name
// that resolved to a public address when the endpoint was added and to a
// private one now (DNS rebinding) is still refused.
func (g *Guard) control(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("webhooks: dial %s: %w", address, err)
	}
	if !g.Allowed(ap.Addr()) {
		return fmt.Errorf("webhooks: dial %s: %w", address, ErrPrivateAddress)
	}
	return nil
}

// Client is the HTTP client deliveries go through: every connection checked
// by the guard, no proxy, no redirect followed, Timeout per request, and
// TLS verified against the system's authorities and those of caFile (PEM;
// empty for none).
func (g *Guard) Client(caFile string) (*http.Client, error) {
	roots, err := rootsWith(caFile)
	if err != nil {
		return nil, err
	}
	dialer := &net.Dialer{Timeout: Timeout, Control: g.control}
	transport := &http.Transport{
		DialContext:         dialer.DialContext,
		TLSClientConfig:     &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12},
		TLSHandshakeTimeout: Timeout,
		MaxIdleConnsPerHost: 2,
		IdleConnTimeout:     time.Minute,
	}
	return &http.Client{
		Transport:     transport,
		Timeout:       Timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}, nil
}

// rootsWith is the system's certificate pool with caFile's added; nil (the
// system's) when caFile is empty.
func rootsWith(caFile string) (*x509.CertPool, error) {
	if caFile == "" {
		return nil, nil
	}
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return nil, fmt.Errorf("webhooks: read ca_file: %w", err)
	}
	roots, err := x509.SystemCertPool()
	if err != nil {
		roots = x509.NewCertPool()
	}
	if !roots.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("webhooks: ca_file %s holds no PEM certificate", caFile)
	}
	return roots, nil
}
