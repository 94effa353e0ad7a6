// Package webhooks sends a letter's signature events to the endpoints
// admins add to it: the console adds endpoints (Service.Add), the lifecycle
// queues deliveries in the transaction of each move (store.MoveSignature),
// and the worker (Service.Drain) posts them, signed, retrying with backoff.
package webhooks

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/undersigned/undersigned/pkg/config"
	"github.com/undersigned/undersigned/pkg/letters"
	"github.com/undersigned/undersigned/pkg/store"
	"github.com/undersigned/undersigned/pkg/vault"
)

// SignatureHeader carries a delivery's signature: "t=<unix seconds>,v1=<hex
// HMAC-SHA256 of '<t>.<body>' under the endpoint's secret>".
const SignatureHeader = "Undersigned-Signature"

// The errors Add fails with, each about one field of the console's form.
var (
	ErrInvalidURL  = errors.New("webhooks: not an absolute URL")
	ErrNotHTTPS    = errors.New("webhooks: URL is not https")
	ErrUnknownHost = errors.New("webhooks: host does not resolve")
	ErrNoEvents    = errors.New("webhooks: no event chosen")
)

// Deps are what a Service is built from.
type Deps struct {
	Store *store.Store
	Vault *vault.Vault
	Guard *Guard
	// Client is Guard.Client's: every request it makes is checked.
	Client *http.Client
	// Outbox are the mail outbox's lease, retry and attempt settings,
	// which deliveries follow too.
	Outbox config.Outbox
	Now    func() time.Time
	Random io.Reader // secrets and the jitter of retries
	Log    *slog.Logger
}

// Service adds endpoints, queues test events and delivers what is queued.
type Service struct {
	d    Deps
	wake chan struct{}
}

// New returns a service over d.
func New(d Deps) *Service { return &Service{d: d, wake: make(chan struct{}, 1)} }

// Add checks and stores an endpoint for the letter: an https URL whose host
// resolves to addresses the guard allows, and at least one of
// store.WebhookEvents. It returns the endpoint and its secret, which is
// shown this once and kept only sealed.
func (s *Service) Add(ctx context.Context, by store.Actor, letterID uint, rawURL string, events []string) (*store.Webhook, string, error) {
	u, err := s.checkURL(ctx, rawURL)
	if err != nil {
		return nil, "", err
	}
	if len(events) == 0 || slices.ContainsFunc(events, func(e string) bool { return !slices.Contains(store.WebhookEvents(), store.WebhookEvent(e)) }) {
		return nil, "", ErrNoEvents
	}
	secret, err := s.newSecret()
	if err != nil {
		return nil, "", err
	}
	sealed, err := s.d.Vault.Seal(vault.PurposeWebhookSecret, secret)
	if err != nil {
		return nil, "", err
	}
	now := s.d.Now()
	hook := &store.Webhook{LetterID: letterID, URL: u.String(), SecretSealed: sealed, Events: strings.Join(events, " "), CreatedBy: by.Name, CreatedAt: now}
	err = s.d.Store.Write(ctx, func(tx *gorm.DB) error {
		if err := store.AddWebhook(tx, hook); err != nil {
			return err
		}
		return audit(tx, by, "webhook_add", hook, now)
	})
	if err != nil {
		return nil, "", err
	}
	return hook, secret, nil
}

// audit records, in tx, an action by on an endpoint, under its letter.
func audit(tx *gorm.DB, by store.Actor, action string, hook *store.Webhook, at time.Time) error {
	return store.Audit(tx, store.AuditEvent{StaffID: by.StaffID, StaffEmail: by.Name, Action: action, LetterID: &hook.LetterID,
		Subject: store.TruncateRunes(hook.URL, 300), CreatedAt: at})
}

// checkURL parses an endpoint's URL and checks its scheme and its host's
// addresses.
func (s *Service) checkURL(ctx context.Context, rawURL string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(rawURL))
	if err != nil || u.Host == "" || u.User != nil || len(rawURL) > 2000 {
		return nil, ErrInvalidURL
	}
	if u.Scheme != "https" {
		return nil, ErrNotHTTPS
	}
	if err := s.d.Guard.CheckHost(ctx, u.Hostname()); err != nil {
		if errors.Is(err, ErrPrivateAddress) {
			return nil, err
		}
		return nil, fmt.Errorf("%w: %w", ErrUnknownHost, err)
	}
	return u, nil
}

// newSecret is a new endpoint's secret: 32 random bytes, base64url, after
// "whsec_".
func (s *Service) newSecret() (string, error) {
	var b [32]byte
	if _, err := io.ReadFull(s.d.Random, b[:]); err != nil {
		return "", fmt.Errorf("webhooks: new secret: %w", err)
	}
	return "whsec_" + base64.RawURLEncoding.EncodeToString(b[:]), nil
}

// Remove deletes the letter's endpoint id, with its queued deliveries and
// its log, audited as webhook_remove; nothing more is sent to it. It
// returns the endpoint removed, or store.ErrNotFound when the letter has no
// such endpoint.
func (s *Service) Remove(ctx context.Context, by store.Actor, letterID uint, id uint64) (*store.Webhook, error) {
	var hook *store.Webhook
	err := s.d.Store.Write(ctx, func(tx *gorm.DB) error {
		var err error
		if hook, err = store.RemoveWebhook(tx, letterID, id); err != nil {
			return err
		}
		return audit(tx, by, "webhook_remove", hook, s.d.Now())
	})
	return hook, err
}

// PruneLog deletes the deliveries delivered or given up longer ago than
// mail.outbox.keep_sent, as the mail outbox prunes its sent mail, and
// reports how many.
func (s *Service) PruneLog(ctx context.Context) (int64, error) {
	return s.d.Store.PruneWebhookDeliveries(ctx, s.d.Now().Add(-s.d.Outbox.KeepSent))
}

// Endpoints lists the letter's endpoints, oldest first.
func (s *Service) Endpoints(ctx context.Context, letterID uint) ([]store.Webhook, error) {
	return store.WebhooksOf(s.d.Store.Read(ctx), letterID)
}

// Log is the endpoint's latest deliveries, newest first, or
// store.ErrNotFound when the letter has no such endpoint.
func (s *Service) Log(ctx context.Context, letterID uint, id uint64, limit int) (*store.Webhook, []store.WebhookDelivery, error) {
	db := s.d.Store.Read(ctx)
	hook, err := store.WebhookOf(db, letterID, id)
	if err != nil {
		return nil, nil, err
	}
	log, err := store.WebhookLog(db, id, limit)
	return hook, log, err
}

// SendTest queues a test event to the letter's endpoint id and wakes the
// worker; store.ErrNotFound when the letter has no such endpoint.
func (s *Service) SendTest(ctx context.Context, letter *letters.Letter, id uint64) error {
	err := s.d.Store.Write(ctx, func(tx *gorm.DB) error {
		hook, err := store.WebhookOf(tx, letter.ID, id)
		if err != nil {
			return err
		}
		return store.QueueWebhookTest(tx, hook, letter.Slug, s.d.Now())
	})
	if err == nil {
		s.Wake()
	}
	return err
}

// Sign is the value of SignatureHeader for body sent at t under secret.
func Sign(secret string, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(ts + "."))
	mac.Write(body)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac.Sum(nil))
}
