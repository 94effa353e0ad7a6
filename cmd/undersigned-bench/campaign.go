package main

import (
	"context"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/undersigned/undersigned/pkg/app"
	"github.com/undersigned/undersigned/pkg/letters"
	"github.com/undersigned/undersigned/pkg/store"
	"github.com/undersigned/undersigned/pkg/vault"
)

// campaignInformed is how many of the seeded signers asked to be kept
// informed, and so are sent the update the campaign phase starts with.
const campaignInformed = 20_000

// campaignBulkPerMinute is mail.bulk_per_minute in a run with the campaign
// phase: fast enough that the update is sent while the phase signs.
const campaignBulkPerMinute = 60_000

// campaign is what runs beside signing, in the campaign phase, on a
// campaign's busy day: signers confirming (each confirmation rolls up the
// hourly counts and queues two webhook events and the "published" mail),
// a webhook endpoint on a local HTTPS receiver taking every event, and an
// update being sent to the seeded signers who asked to be kept informed.
type campaign struct {
	receiver *httptest.Server
	caFile   string
	events   atomic.Int64 // webhook requests the receiver took
}

// startReceiver starts the HTTPS receiver of the webhook events, its
// certificate written under dir for webhooks.ca_file.
func startReceiver(dir string) (*campaign, error) {
	c := &campaign{}
	c.receiver = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		c.events.Add(1)
	}))
	c.caFile = filepath.Join(dir, "webhook-ca.pem")
	cert := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.receiver.Certificate().Raw})
	if err := os.WriteFile(c.caFile, cert, 0o600); err != nil {
		c.receiver.Close()
		return nil, err
	}
	return c, nil
}

// env is the server's configuration for the campaign phase: webhooks to
// the receiver on loopback, and bulk mail fast enough for the update.
func (c *campaign) env() []string {
	return []string{"UNDERSIGNED_WEBHOOKS_ALLOW_PRIVATE=127.0.0.0/8", "UNDERSIGNED_WEBHOOKS_CA_FILE=" + c.caFile,
		fmt.Sprintf("UNDERSIGNED_MAIL_BULK_PER_MINUTE=%d", campaignBulkPerMinute)}
}

// addWebhook adds the receiver as the letter's endpoint for every event.
func (c *campaign) addWebhook(ctx context.Context, a *app.App) error {
	letter, _ := a.Letters.BySlug(slug)
	var events []string
	for _, e := range store.WebhookEvents() {
		events = append(events, string(e))
	}
	_, _, err := a.Webhooks.Add(ctx, store.Actor{Name: "undersigned-bench"}, letter.ID, c.receiver.URL+"/hook", events)
	return err
}

// campaignRun is the campaign phase's background work while it runs.
type campaignRun struct {
	cancel    context.CancelFunc
	done      sync.WaitGroup
	confirmed atomic.Int64
	start     time.Time
	eventsAt  int64
}

// startCampaign starts the work beside signing: signers of the earlier
// sign posts confirming at confirmRate a second and, with extras, the
// receiver added as the letter's webhook endpoint and the update sent.
func (b *bench) startCampaign(extras bool) (*campaignRun, error) {
	letter, _ := b.app.Letters.BySlug(slug)
	if extras {
		if err := b.campaign.addWebhook(b.ctx, b.app); err != nil {
			return nil, err
		}
		texts := []letters.UpdateText{{Lang: letter.Lang, Subject: "What happened next", Body: "We **delivered** the letter."}}
		if _, err := b.app.Updates.Send(b.ctx, store.Actor{Name: "undersigned-bench"}, letter.ID, texts); err != nil {
			return nil, err
		}
	}
	ctx, cancel := context.WithCancel(b.ctx)
	r := &campaignRun{cancel: cancel, start: time.Now(), eventsAt: b.webhookEvents()}
	links := make(chan string, 1000)
	r.done.Go(func() { b.confirmLinks(ctx, letter.ID, links) })
	r.done.Go(func() {
		scheduleUntil(ctx, 24*time.Hour, steady(b.confirmRate), func() {
			select {
			case link := <-links:
				if b.client.post(b.base+link) == http.StatusOK {
					r.confirmed.Add(1)
				}
			default: // no signature waits to be confirmed yet
			}
		})
	})
	return r, nil
}

// stopCampaign ends the work beside signing and says what it did.
func (b *bench) stopCampaign(r *campaignRun) error {
	r.cancel()
	r.done.Wait()
	took := time.Since(r.start)
	stats, err := store.OutboxStats(b.app.Store.Read(b.ctx), store.MailFilter{}, time.Now().UTC())
	if err != nil {
		return err
	}
	hooks, err := store.QueuedWebhookDeliveries(b.app.Store.Read(b.ctx))
	if err != nil {
		return err
	}
	fmt.Printf("  (beside signing, in %s: %d confirmations, %.0f/s; %d webhook requests taken by the receiver, %d still queued; %d mails still queued)\n",
		took.Round(time.Second), r.confirmed.Load(), float64(r.confirmed.Load())/took.Seconds(),
		b.webhookEvents()-r.eventsAt, hooks, stats.Queued)
	return nil
}

// drainWebhooks waits until no webhook delivery is left queued and says
// how many requests the receiver took since start, when the campaign
// stopped (while the outbox drained too), and how fast.
func (b *bench) drainWebhooks(start time.Time, from int64) error {
	err := waitForNone("webhook deliveries", func() (int64, error) { return store.QueuedWebhookDeliveries(b.app.Store.Read(b.ctx)) })
	if err != nil {
		return err
	}
	took, sent := time.Since(start), b.webhookEvents()-from
	fmt.Printf("  (the receiver took the %d webhook requests left queued in %s, beside the outbox: %.0f/s)\n",
		sent, took.Round(time.Millisecond), float64(sent)/took.Seconds())
	return nil
}

// webhookEvents is how many webhook requests the receiver has taken.
func (b *bench) webhookEvents() int64 {
	if b.campaign == nil {
		return 0
	}
	return b.campaign.events.Load()
}

// confirmLinks sends to links the confirmation link of each unconfirmed
// signature of the letter, oldest first, as they come, until ctx ends.
func (b *bench) confirmLinks(ctx context.Context, letterID uint, links chan<- string) {
	var after uint64
	for ctx.Err() == nil {
		sigs, err := store.UnconfirmedAfter(b.app.Store.Read(ctx), letterID, after, 500)
		if err != nil || len(sigs) == 0 {
			time.Sleep(50 * time.Millisecond)
			continue
		}
		for _, sig := range sigs {
			after = sig.ID
			token, err := b.app.Vault.OpenLink(vault.PurposeToken, sig.ID, sig.TokenSealed)
			if err != nil {
				continue
			}
			select {
			case links <- "/confirm/" + url.PathEscape(token):
			case <-ctx.Done():
				return
			}
		}
	}
}

// campaignPhases measures signing, paced and as fast as answered, as the
// sign phase does, while signers confirm beside it (the confirm phase) and,
// with extras, webhook events are delivered and an update is sent (the
// campaign phase); its signers come through a newsletter's link and ask to
// be kept informed.
func (b *bench) campaignPhases(extras bool) ([]result, error) {
	run, err := b.startCampaign(extras)
	if err != nil {
		return nil, err
	}
	beside := "confirming"
	if extras {
		beside = "campaign running"
	}
	var results []result
	if b.signRate > 0 {
		name := fmt.Sprintf("sign POST, %d/s, %s", b.signRate, beside)
		results = append(results, paced(name, b.duration, steady(b.signRate), b.signInformed))
	}
	results = append(results, load("sign POST, fast, "+beside, b.duration, b.clients, b.signInformed))
	if err := b.stopCampaign(run); err != nil {
		return nil, err
	}
	stopped, events := time.Now(), b.webhookEvents()
	if err := b.drainOutbox(); err != nil {
		return nil, err
	}
	return results, b.drainWebhooks(stopped, events)
}
