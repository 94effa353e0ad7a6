package store

import (
	"context"
	"strings"
	"testing"

	"gorm.io/gorm"
)

// TestMovesQueueWebhookEvents moves a signature from confirmation to
// withdrawal with two endpoints on its letter: each endpoint gets the
// events it takes, in the move's transaction, and withdrawing leaves no
// personal data in any delivery, queued or sent.
func TestMovesQueueWebhookEvents(t *testing.T) {
	st, letter := openLetterStore(t)
	ctx := context.Background()
	all := &Webhook{LetterID: letter.ID, URL: "https://crm.example/all", SecretSealed: []byte("s"), Events: "signature.confirmed signature.published signature.withdrawn"}
	withdrawals := &Webhook{LetterID: letter.ID, URL: "https://crm.example/gone", SecretSealed: []byte("s"), Events: "signature.withdrawn"}
	err := st.Write(ctx, func(tx *gorm.DB) error { return AddWebhook(tx, all) })
	if err == nil {
		err = st.Write(ctx, func(tx *gorm.DB) error { return AddWebhook(tx, withdrawals) })
	}
	if err != nil {
		t.Fatal(err)
	}
	sig := seedIn(t, st, letter, StatusUnconfirmed, "Zorblat")
	sig.Ref = "eff"
	if _, err := move(st, sig, Move{Event: EventConfirm, To: StatusPublished, By: SignerActor(), At: lifecycleNow}); err != nil {
		t.Fatal(err)
	}
	log := deliveriesOf(t, st, all.ID)
	if len(log) != 2 || log[0].Event != WebhookPublished || log[1].Event != WebhookConfirmed {
		t.Fatalf("after confirming, the endpoint has %+v; want published and confirmed", log)
	}
	if !strings.Contains(log[1].Payload, `"name":"Zorblat"`) || !strings.Contains(log[1].Payload, `"locale":"en"`) {
		t.Errorf("the confirmed event lacks the public fields: %s", log[1].Payload)
	}
	if err := st.Write(ctx, func(tx *gorm.DB) error {
		return RecordWebhookOutcomes(tx, []WebhookOutcome{{ID: log[1].ID, Status: JobSent, ResponseStatus: 200}}, lifecycleNow)
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := move(st, sig, Move{Event: EventWithdraw, To: StatusWithdrawn, By: SignerActor(), At: lifecycleNow}); err != nil {
		t.Fatal(err)
	}
	log = deliveriesOf(t, st, all.ID)
	if len(log) != 2 || log[0].Event != WebhookWithdrawn || log[1].Event != WebhookConfirmed || log[1].Payload != "" {
		t.Fatalf("after withdrawing, the endpoint has %+v; want the withdrawal and the sent confirmation, erased", log)
	}
	if gone := deliveriesOf(t, st, withdrawals.ID); len(gone) != 1 || gone[0].Payload != log[0].Payload {
		t.Errorf("the withdrawals endpoint has %+v", gone)
	}
	want := `{"type":"signature.withdrawn","created_at":"2026-12-04T12:00:00Z","letter":{"id":1,"slug":"` + letter.Slug + `"},"signature":{"id":1}}`
	if log[0].Payload != want {
		t.Errorf("withdrawn event %s, want %s", log[0].Payload, want)
	}
}

// deliveriesOf is the endpoint's log, newest first.
func deliveriesOf(t *testing.T, st *Store, webhookID uint64) []WebhookDelivery {
	t.Helper()
	log, err := WebhookLog(st.Read(context.Background()), webhookID, 10)
	if err != nil {
		t.Fatal(err)
	}
	return log
}
