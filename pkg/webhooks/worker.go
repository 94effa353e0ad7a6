package webhooks

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"gorm.io/gorm"

	"github.com/undersigned/undersigned/pkg/mail"
	"github.com/undersigned/undersigned/pkg/store"
	"github.com/undersigned/undersigned/pkg/vault"
)

// Wake asks the worker to look for due deliveries now rather than at its
// next poll.
func (s *Service) Wake() {
	select {
	case s.wake <- struct{}{}:
	default: // a wake-up is already pending
	}
}

// Run delivers until ctx ends, waking on Wake or every outbox poll interval.
func (s *Service) Run(ctx context.Context) {
	ticker := time.NewTicker(s.d.Outbox.PollInterval)
	defer ticker.Stop()
	for {
		if _, err := s.Drain(ctx); err != nil && ctx.Err() == nil {
			s.d.Log.Error("webhooks: drain failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		case <-s.wake:
		}
	}
}

// claimBatch is how many deliveries one claim takes. They are posted one
// after another, in the order they were queued, for as long as each can
// still run the whole Timeout within the claim's lease (see Drain).
const claimBatch = 40

// Drain delivers due deliveries until none is due, and reports how many
// the receivers accepted. Like the mail outbox, it gives way to signers
// (store.Store.GiveWayToSigners) before each batch.
func (s *Service) Drain(ctx context.Context) (int, error) {
	sent := 0
	for ctx.Err() == nil {
		s.d.Store.GiveWayToSigners(ctx, s.d.Outbox.YieldToSigning)
		claimed := s.d.Now()
		rows, err := s.d.Store.ClaimWebhookDeliveries(ctx, claimed, s.d.Outbox.ClaimLease, claimBatch)
		if err != nil || len(rows) == 0 {
			return sent, err
		}
		ids := make([]uint64, len(rows))
		for i, r := range rows {
			ids[i] = r.WebhookID
		}
		hooks, err := store.WebhooksByID(s.d.Store.Read(ctx), ids)
		if err != nil {
			return sent, err
		}
		outcomes, unposted := s.deliverAll(ctx, hooks, rows, claimed.Add(s.d.Outbox.ClaimLease-Timeout))
		for _, out := range outcomes {
			if out.Status == store.JobSent {
				sent++
			}
		}
		// One write for the batch's outcomes: the writer is signing's too.
		err = s.d.Store.Write(context.WithoutCancel(ctx), func(tx *gorm.DB) error {
			if err := store.RecordWebhookOutcomes(tx, outcomes, s.d.Now()); err != nil {
				return err
			}
			return store.ReleaseWebhookDeliveries(tx, unposted, s.d.Now())
		})
		if err != nil || ctx.Err() != nil {
			return sent, err
		}
	}
	return sent, nil
}

// deliverAll posts rows one after another and says what became of each one
// posted. Past the first, which it always posts (a lease shorter than the
// Timeout would otherwise post nothing, ever), it posts none after
// lastStart, so that no post outlives the claim's lease and none is claimed
// again, and sent twice at once, while it runs; nor, shutting down, after
// ctx ends. It returns the ids of those it did not post, to be made due
// again at once.
func (s *Service) deliverAll(ctx context.Context, hooks map[uint64]*store.Webhook, rows []store.WebhookDelivery, lastStart time.Time) ([]store.WebhookOutcome, []uint64) {
	outcomes := make([]store.WebhookOutcome, 0, len(rows))
	var unposted []uint64
	for _, r := range rows {
		if ctx.Err() != nil || (len(outcomes) > 0 && s.d.Now().After(lastStart)) {
			unposted = append(unposted, r.ID)
			continue
		}
		outcomes = append(outcomes, s.deliver(ctx, hooks[r.WebhookID], r))
	}
	return outcomes, unposted
}

// deliver posts one delivery to its endpoint and says what became of it: a
// 2xx answer is sent; anything else is retried with backoff up to the
// outbox's max_attempts, then given up.
func (s *Service) deliver(ctx context.Context, hook *store.Webhook, r store.WebhookDelivery) store.WebhookOutcome {
	out := store.WebhookOutcome{ID: r.ID, Status: store.JobSent}
	if hook == nil || r.Payload == "" { // the endpoint or the data went meanwhile
		out.Status, out.Error = store.JobFailed, "nothing left to send"
		return out
	}
	status, err := s.post(ctx, hook, r)
	out.ResponseStatus = status
	if err == nil && (status < 200 || status > 299) {
		err = fmt.Errorf("receiver answered %d", status)
	}
	if err == nil {
		return out
	}
	out.Error = err.Error()
	if r.Attempts+1 >= s.d.Outbox.MaxAttempts {
		out.Status = store.JobFailed
		s.d.Log.Warn("webhooks: giving up after the last attempt", "delivery", r.ID, "webhook", hook.ID, "err", err)
		return out
	}
	out.Status, out.Next = store.JobQueued, s.d.Now().Add(mail.Backoff(s.d.Outbox, r.Attempts, s.d.Random))
	return out
}

// post sends the delivery's body, signed, and returns the receiver's status.
func (s *Service) post(ctx context.Context, hook *store.Webhook, r store.WebhookDelivery) (int, error) {
	secret, err := s.d.Vault.Open(vault.PurposeWebhookSecret, hook.SecretSealed)
	if err != nil {
		return 0, fmt.Errorf("open the secret of webhook %d: %w", hook.ID, err)
	}
	body := []byte(r.Payload)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, hook.URL, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Undersigned-Webhooks/1")
	req.Header.Set("Undersigned-Event", string(r.Event))
	req.Header.Set("Undersigned-Delivery", strconv.FormatUint(r.ID, 10))
	req.Header.Set(SignatureHeader, Sign(secret, s.d.Now(), body))
	resp, err := s.d.Client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	return resp.StatusCode, nil
}
