package record

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"

	"github.com/undersigned/undersigned/pkg/letters"
	"github.com/undersigned/undersigned/pkg/store"
)

// Errors in a delivery staff record, each a message id for the field it is
// about.
var (
	ErrRecipientsMissing = errors.New("error.delivery.recipients_missing")
	ErrRecipientsTooLong = errors.New("error.delivery.recipients_too_long")
	ErrDateInFuture      = errors.New("error.delivery.date_in_future")
)

// maxRecipients is the longest recipients text, in characters.
const maxRecipients = 1000

// Delivered is a delivery staff record: to whom the pack of letter went, on
// which day.
type Delivered struct {
	Letter     *letters.Letter
	DeliveryID uint64
	Recipients string
	On         time.Time
	By         store.Actor
}

// Record notes that a pack was delivered, audited and in one transaction;
// the letter's public page shows it from then on. A pack already recorded
// gives store.ErrAlreadyDelivered.
func (s *Service) Record(ctx context.Context, d Delivered) error {
	d.Recipients = strings.TrimSpace(d.Recipients)
	switch {
	case d.Recipients == "":
		return ErrRecipientsMissing
	case utf8.RuneCountInString(d.Recipients) > maxRecipients:
		return ErrRecipientsTooLong
	case d.On.After(s.d.Now()):
		return ErrDateInFuture
	}
	return s.d.Store.Write(ctx, func(tx *gorm.DB) error {
		if err := store.RecordDelivery(tx, d.Letter.ID, d.DeliveryID, d.On, d.Recipients, d.By.Name); err != nil {
			return err
		}
		if err := store.TouchLetter(tx, d.Letter.ID); err != nil { // the letter page shows its deliveries
			return err
		}
		return store.AuditLetter(tx, d.By, "delivery.record", &store.Letter{ID: d.Letter.ID, Slug: d.Letter.Slug},
			fmt.Sprintf("pack %d delivered to %s on %s", d.DeliveryID, d.Recipients, d.On.Format(time.DateOnly)), s.d.Now())
	})
}

// Packs lists the letter's packs, delivered or not, newest first.
func (s *Service) Packs(ctx context.Context, letterID uint) ([]store.Delivery, error) {
	return store.DeliveriesOf(s.d.Store.Read(ctx), letterID)
}

// Timeline lists the letter's recorded deliveries, oldest first, for its
// public page.
func (s *Service) Timeline(ctx context.Context, letterID uint) ([]store.Delivery, error) {
	all, err := s.Packs(ctx, letterID)
	if err != nil {
		return nil, err
	}
	var out []store.Delivery
	for i := len(all) - 1; i >= 0; i-- {
		if all[i].Delivered() {
			out = append(out, all[i])
		}
	}
	return out, nil
}
