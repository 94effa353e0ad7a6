package store

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"
)

// WebhookEvent names what a webhook delivery tells a receiver.
type WebhookEvent string

// The events a webhook endpoint may subscribe to, and the test event the
// console sends on request.
const (
	WebhookConfirmed WebhookEvent = "signature.confirmed"
	WebhookPublished WebhookEvent = "signature.published"
	// WebhookWithdrawn carries no personal data: the signature's id, its
	// letter and the time only.
	WebhookWithdrawn WebhookEvent = "signature.withdrawn"
	WebhookTest      WebhookEvent = "webhook.test"
)

// WebhookEvents are the events an endpoint may subscribe to.
func WebhookEvents() []WebhookEvent {
	return []WebhookEvent{WebhookConfirmed, WebhookPublished, WebhookWithdrawn}
}

// Webhook is an endpoint an admin added to a letter: where its events go,
// which ones, and the secret their signatures are made with, sealed.
type Webhook struct {
	ID           uint64 `gorm:"primaryKey"`
	LetterID     uint   `gorm:"not null;index"`
	Letter       Letter `gorm:"constraint:OnDelete:CASCADE"`
	URL          string `gorm:"size:2000;not null"`
	SecretSealed []byte `gorm:"not null"`
	// Events are the subscribed events, separated by spaces.
	Events    string `gorm:"size:200;not null"`
	CreatedBy string `gorm:"size:254;not null;default:''"`
	CreatedAt time.Time
}

// Subscribes reports whether the endpoint takes event.
func (w Webhook) Subscribes(event WebhookEvent) bool {
	return slices.Contains(strings.Fields(w.Events), string(event))
}

// WebhookDelivery is one event on its way to one endpoint: a row of the
// webhook outbox, queued in the transaction of the move it tells of and
// sent by the webhook worker as the mail outbox's jobs are (claimed with a
// lease, retried with backoff). Its log is what the console shows.
type WebhookDelivery struct {
	ID          uint64       `gorm:"primaryKey"`
	WebhookID   uint64       `gorm:"not null;index"`
	Webhook     *Webhook     `gorm:"constraint:OnDelete:CASCADE"`
	Event       WebhookEvent `gorm:"size:40;not null"`
	SignatureID *uint64      `gorm:"index"`
	// Payload is the JSON body, fixed when the event happened; erased
	// ("") with the signature's personal data.
	Payload       string    `gorm:"not null"`
	Status        JobStatus `gorm:"size:20;not null;index:idx_webhook_deliveries_due,priority:1"`
	Attempts      int       `gorm:"not null;default:0"`
	NextAttemptAt time.Time `gorm:"not null;index:idx_webhook_deliveries_due,priority:2"`
	// ResponseStatus is the HTTP status the receiver last answered; 0 when
	// it did not answer.
	ResponseStatus int    `gorm:"not null;default:0"`
	LastError      string `gorm:"size:1000;not null;default:''"`
	SentAt         *time.Time
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// WebhookPayload is the JSON body of a delivery.
type WebhookPayload struct {
	Type      WebhookEvent      `json:"type"`
	CreatedAt time.Time         `json:"created_at"`
	Letter    WebhookLetter     `json:"letter"`
	Signature *WebhookSignature `json:"signature,omitempty"`
}

// WebhookLetter names the letter of an event.
type WebhookLetter struct {
	ID   uint   `json:"id"`
	Slug string `json:"slug"`
}

// WebhookSignature is what an event tells of a signature: its id, and
// except for a withdrawal its public fields, source, language and consent.
type WebhookSignature struct {
	ID             uint64     `json:"id"`
	Kind           Kind       `json:"kind,omitempty"`
	Status         Status     `json:"status,omitempty"`
	Name           string     `json:"name,omitempty"`
	Affiliation    string     `json:"affiliation,omitempty"`
	Website        string     `json:"website,omitempty"`
	OrgType        string     `json:"org_type,omitempty"`
	Country        string     `json:"country,omitempty"`
	Ref            string     `json:"ref,omitempty"`
	Locale         string     `json:"locale,omitempty"`
	ConsentVersion string     `json:"consent_version,omitempty"`
	ConfirmedAt    *time.Time `json:"confirmed_at,omitempty"`
	PublishedAt    *time.Time `json:"published_at,omitempty"`
	// Consents are the signer's choices on the sign form; nil for a
	// withdrawal.
	Consents *WebhookConsents `json:"consents,omitempty"`
}

// WebhookConsents are a signer's choices to be contacted: by the campaign
// about the letter (KeepInformed, until they unsubscribe) and by the
// partner whose link brought them (PartnerContact, that partner's code in
// the event's ref), each with the version of the text they agreed to.
type WebhookConsents struct {
	KeepInformed          bool   `json:"keep_informed"`
	KeepInformedVersion   string `json:"keep_informed_version,omitempty"`
	PartnerContact        bool   `json:"partner_contact"`
	PartnerContactVersion string `json:"partner_contact_version,omitempty"`
}

// webhookSignatureOf is what event tells of sig: a withdrawal its id only,
// others its public fields (the name only when the public list shows it).
func webhookSignatureOf(event WebhookEvent, sig *Signature) *WebhookSignature {
	if event == WebhookWithdrawn {
		return &WebhookSignature{ID: sig.ID}
	}
	out := &WebhookSignature{ID: sig.ID, Kind: sig.Kind, Status: sig.Status, Affiliation: sig.Affiliation, Website: sig.Website,
		OrgType: sig.OrgType, Country: sig.Country, Ref: sig.Ref, Locale: sig.Locale, ConsentVersion: sig.ConsentVersion,
		ConfirmedAt: sig.ConfirmedAt, PublishedAt: sig.PublishedAt}
	c := ConsentsOf(sig)
	out.Consents = &WebhookConsents{KeepInformed: c.KeepInformed, KeepInformedVersion: c.KeepInformedVersion,
		PartnerContact: c.PartnerContact, PartnerContactVersion: c.PartnerContactVersion}
	if sig.Named() {
		out.Name = sig.Name
	}
	return out
}

// webhookEventsOf are the events a move of a signature from before to
// after makes.
func webhookEventsOf(before, after *Signature) []WebhookEvent {
	var events []WebhookEvent
	if before.Status == StatusUnconfirmed && after.Status != StatusUnconfirmed && after.Status != StatusDeleted {
		events = append(events, WebhookConfirmed)
	}
	if before.Status != StatusPublished && after.Status == StatusPublished {
		events = append(events, WebhookPublished)
	}
	if before.Status != StatusWithdrawn && after.Status == StatusWithdrawn {
		events = append(events, WebhookWithdrawn)
	}
	return events
}

// queueWebhooks queues, in tx, a delivery of each event the move of a
// signature from before to after makes, to each endpoint of its letter
// that takes it. A letter without endpoints costs one indexed query.
func queueWebhooks(tx *gorm.DB, before, after *Signature, at time.Time) error {
	events := webhookEventsOf(before, after)
	if len(events) == 0 {
		return nil
	}
	hooks, err := WebhooksOf(tx, after.LetterID)
	if err != nil || len(hooks) == 0 {
		return err
	}
	var slug string
	if err := tx.Model(&Letter{}).Where("id = ?", after.LetterID).Pluck("slug", &slug).Error; err != nil {
		return fmt.Errorf("store: slug of letter %d: %w", after.LetterID, err)
	}
	var rows []WebhookDelivery
	for _, event := range events {
		body, err := json.Marshal(WebhookPayload{Type: event, CreatedAt: at.UTC(), Letter: WebhookLetter{ID: after.LetterID, Slug: slug},
			Signature: webhookSignatureOf(event, after)})
		if err != nil {
			return err
		}
		for _, h := range hooks {
			if h.Subscribes(event) {
				rows = append(rows, newWebhookDelivery(h.ID, event, &after.ID, string(body), at))
			}
		}
	}
	if len(rows) == 0 {
		return nil
	}
	if err := tx.Create(&rows).Error; err != nil {
		return fmt.Errorf("store: queue webhooks of signature %d: %w", after.ID, err)
	}
	return nil
}

// newWebhookDelivery is a delivery due at now.
func newWebhookDelivery(webhookID uint64, event WebhookEvent, signatureID *uint64, payload string, now time.Time) WebhookDelivery {
	return WebhookDelivery{WebhookID: webhookID, Event: event, SignatureID: signatureID, Payload: payload, Status: JobQueued,
		NextAttemptAt: now, CreatedAt: now, UpdatedAt: now}
}

// eraseWebhookPayloads drops the queued deliveries of a signature being
// withdrawn or erased and erases the bodies of those sent, keeping their
// log lines.
func eraseWebhookPayloads(tx *gorm.DB, signatureID uint64) error {
	if err := tx.Where("signature_id = ? AND status = ?", signatureID, JobQueued).Delete(&WebhookDelivery{}).Error; err != nil {
		return fmt.Errorf("store: drop webhooks of signature %d: %w", signatureID, err)
	}
	if err := tx.Model(&WebhookDelivery{}).Where("signature_id = ?", signatureID).Update("payload", "").Error; err != nil {
		return fmt.Errorf("store: erase webhooks of signature %d: %w", signatureID, err)
	}
	return nil
}

// AddWebhook stores a new endpoint.
func AddWebhook(tx *gorm.DB, w *Webhook) error {
	if err := tx.Create(w).Error; err != nil {
		return fmt.Errorf("store: add webhook to letter %d: %w", w.LetterID, err)
	}
	return nil
}

// RemoveWebhook deletes the letter's endpoint id with its deliveries,
// queued and logged, and returns it; ErrNotFound when the letter has no
// such endpoint.
func RemoveWebhook(tx *gorm.DB, letterID uint, id uint64) (*Webhook, error) {
	hook, err := WebhookOf(tx, letterID, id)
	if err != nil {
		return nil, err
	}
	if err := tx.Where("webhook_id = ?", id).Delete(&WebhookDelivery{}).Error; err != nil {
		return nil, fmt.Errorf("store: drop the deliveries of webhook %d: %w", id, err)
	}
	if err := tx.Delete(&Webhook{}, id).Error; err != nil {
		return nil, fmt.Errorf("store: remove webhook %d: %w", id, err)
	}
	return hook, nil
}

// WebhooksOf lists a letter's endpoints, oldest first.
func WebhooksOf(tx *gorm.DB, letterID uint) ([]Webhook, error) {
	var hooks []Webhook
	if err := tx.Where("letter_id = ?", letterID).Order("id").Find(&hooks).Error; err != nil {
		return nil, fmt.Errorf("store: webhooks of letter %d: %w", letterID, err)
	}
	return hooks, nil
}

// WebhookOf is the letter's endpoint with id, or ErrNotFound.
func WebhookOf(tx *gorm.DB, letterID uint, id uint64) (*Webhook, error) {
	var hooks []Webhook
	if err := tx.Where("letter_id = ? AND id = ?", letterID, id).Limit(1).Find(&hooks).Error; err != nil {
		return nil, fmt.Errorf("store: webhook %d of letter %d: %w", id, letterID, err)
	}
	if len(hooks) == 0 {
		return nil, ErrNotFound
	}
	return &hooks[0], nil
}

// WebhooksByID loads endpoints by id, in one query.
func WebhooksByID(tx *gorm.DB, ids []uint64) (map[uint64]*Webhook, error) {
	var hooks []Webhook
	if err := tx.Where("id IN ?", ids).Find(&hooks).Error; err != nil {
		return nil, fmt.Errorf("store: %d webhooks: %w", len(ids), err)
	}
	out := make(map[uint64]*Webhook, len(hooks))
	for i := range hooks {
		out[hooks[i].ID] = &hooks[i]
	}
	return out, nil
}

// QueueWebhookTest queues a test event to the endpoint, due now.
func QueueWebhookTest(tx *gorm.DB, hook *Webhook, slug string, now time.Time) error {
	body, err := json.Marshal(WebhookPayload{Type: WebhookTest, CreatedAt: now.UTC(), Letter: WebhookLetter{ID: hook.LetterID, Slug: slug}})
	if err != nil {
		return err
	}
	row := newWebhookDelivery(hook.ID, WebhookTest, nil, string(body), now)
	if err := tx.Create(&row).Error; err != nil {
		return fmt.Errorf("store: queue a test event to webhook %d: %w", hook.ID, err)
	}
	return nil
}

// WebhookLog is the endpoint's latest deliveries, newest first.
func WebhookLog(tx *gorm.DB, webhookID uint64, limit int) ([]WebhookDelivery, error) {
	var rows []WebhookDelivery
	if err := tx.Where("webhook_id = ?", webhookID).Order("id DESC").Limit(limit).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("store: log of webhook %d: %w", webhookID, err)
	}
	return rows, nil
}

// ClaimWebhookDeliveries takes up to limit due deliveries for one worker,
// leasing them as ClaimMailJobs leases mail: no other worker takes them
// until the lease ends, so a delivery is never sent twice at once.
func (s *Store) ClaimWebhookDeliveries(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]WebhookDelivery, error) {
	var rows []WebhookDelivery
	err := s.Write(ctx, func(tx *gorm.DB) error {
		return tx.Raw(`UPDATE webhook_deliveries SET next_attempt_at = ? WHERE id IN (
			SELECT id FROM webhook_deliveries WHERE status = ? AND next_attempt_at <= ?
			ORDER BY next_attempt_at, id LIMIT ?`+s.skipLocked()+`)
			RETURNING *`, now.Add(lease), JobQueued, now, limit).Scan(&rows).Error
	})
	if err != nil {
		return nil, fmt.Errorf("store: claim webhook deliveries: %w", err)
	}
	slices.SortFunc(rows, func(a, b WebhookDelivery) int { return cmp.Compare(a.ID, b.ID) })
	return rows, nil
}

// WebhookOutcome is what became of one attempt at a delivery.
type WebhookOutcome struct {
	ID             uint64
	Status         JobStatus // JobSent, JobFailed (given up) or JobQueued (retry at Next)
	ResponseStatus int
	Error          string
	Next           time.Time
}

// RecordWebhookOutcomes writes attempts' outcomes at now, one statement for
// each group of alike outcomes (most often: every one sent with a 200).
func RecordWebhookOutcomes(tx *gorm.DB, outcomes []WebhookOutcome, now time.Time) error {
	type alike struct {
		status         JobStatus
		responseStatus int
		err            string
		next           time.Time
	}
	groups := map[alike][]uint64{}
	var order []alike
	for _, o := range outcomes {
		key := alike{o.Status, o.ResponseStatus, TruncateRunes(o.Error, 1000), o.Next}
		if _, seen := groups[key]; !seen {
			order = append(order, key)
		}
		groups[key] = append(groups[key], o.ID)
	}
	for _, key := range order {
		updates := map[string]any{"status": key.status, "attempts": gorm.Expr("attempts + 1"), "response_status": key.responseStatus,
			"last_error": key.err, "updated_at": now}
		switch key.status {
		case JobSent:
			updates["sent_at"] = now
		case JobQueued:
			updates["next_attempt_at"] = key.next
		}
		if err := tx.Model(&WebhookDelivery{}).Where("id IN ?", groups[key]).Updates(updates).Error; err != nil {
			return fmt.Errorf("store: record %d webhook deliveries: %w", len(groups[key]), err)
		}
	}
	return nil
}

// PruneWebhookDeliveries deletes the deliveries delivered or given up whose
// last attempt was before cutoff, pruneBatch a transaction, and reports how
// many. A delivery's next_attempt_at is its last claim's lease, past its
// last attempt, so the outbox's index finds them.
func (s *Store) PruneWebhookDeliveries(ctx context.Context, cutoff time.Time) (int64, error) {
	return s.pruneInBatches(ctx, "webhook deliveries", `DELETE FROM webhook_deliveries WHERE id IN (
		SELECT id FROM webhook_deliveries WHERE status IN ? AND next_attempt_at < ? LIMIT ?)`,
		[]JobStatus{JobSent, JobFailed}, cutoff, pruneBatch)
}

// ReleaseWebhookDeliveries makes claimed deliveries that were not attempted
// due again at now, rather than at the end of their claim's lease.
func ReleaseWebhookDeliveries(tx *gorm.DB, ids []uint64, now time.Time) error {
	if len(ids) == 0 {
		return nil
	}
	err := tx.Model(&WebhookDelivery{}).Where("id IN ? AND status = ?", ids, JobQueued).Update("next_attempt_at", now).Error
	if err != nil {
		return fmt.Errorf("store: release %d webhook deliveries: %w", len(ids), err)
	}
	return nil
}

// QueuedWebhookDeliveries counts the deliveries still to be sent, due or
// waiting for a retry, of every endpoint.
func QueuedWebhookDeliveries(tx *gorm.DB) (int64, error) {
	var n int64
	if err := tx.Model(&WebhookDelivery{}).Where("status = ?", JobQueued).Count(&n).Error; err != nil {
		return 0, fmt.Errorf("store: count queued webhook deliveries: %w", err)
	}
	return n, nil
}
