package moderation

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"golang.org/x/net/publicsuffix"
	"gorm.io/gorm"

	"github.com/undersigned/undersigned/pkg/store"
	"github.com/undersigned/undersigned/pkg/vault"
)

// Filter narrows the queue. The zero Status means pending_review.
type Filter struct {
	LetterID uint
	Kind     store.Kind
	Country  string
	Status   store.Status
	Query    string
	Page     int // from 1
}

// Item is one row of the queue: what the public would see, plus the private
// contact and a hint when the website and the email's domains differ.
type Item struct {
	store.Signature
	Email          string
	ContactName    string
	DomainMismatch bool
}

// Page is one page of the queue.
type Page struct {
	Items   []Item
	Page    int
	HasMore bool
}

// Statuses are the states the queue can be filtered by.
func Statuses() []store.Status { return store.ConfirmedStatuses() }

// matching is the store's filter for the signatures f matches on every
// page: the one place the queue's filter is handed down.
func (f Filter) matching() store.QueueFilter {
	if f.Status == "" {
		f.Status = store.StatusPendingReview
	}
	return store.QueueFilter{Status: f.Status, LetterID: f.LetterID, Kind: f.Kind, Country: f.Country, Query: f.Query}
}

// Queue lists confirmed signatures matching f, newest confirmation first.
func (s *Service) Queue(ctx context.Context, f Filter) (Page, error) {
	if f.Page < 1 {
		f.Page = 1
	}
	size := s.d.Config.PageSize
	qf := f.matching()
	qf.Limit, qf.Offset = size+1, (f.Page-1)*size
	sigs, err := store.ReviewQueue(s.d.Store.Read(ctx), qf)
	if err != nil {
		return Page{}, fmt.Errorf("moderation: queue: %w", err)
	}
	page := Page{Page: f.Page, HasMore: len(sigs) > size}
	if page.HasMore {
		sigs = sigs[:size]
	}
	for _, sig := range sigs {
		item, err := s.item(sig)
		if err != nil {
			return Page{}, err
		}
		page.Items = append(page.Items, item)
	}
	return page, nil
}

// PendingByLetter counts the signatures awaiting review, by letter id.
func (s *Service) PendingByLetter(ctx context.Context) (map[uint]int64, error) {
	counts, err := store.PendingReviewByLetter(s.d.Store.Read(ctx))
	if err != nil {
		return nil, fmt.Errorf("moderation: pending by letter: %w", err)
	}
	return counts, nil
}

// Get returns one confirmed signature as a queue item.
func (s *Service) Get(ctx context.Context, id uint64) (Item, error) {
	sig, err := store.ConfirmedSignatureByID(s.d.Store.Read(ctx), id)
	if errors.Is(err, store.ErrNotFound) {
		return Item{}, ErrNotFound
	}
	if err != nil {
		return Item{}, fmt.Errorf("moderation: get %d: %w", id, err)
	}
	return s.item(*sig)
}

func (s *Service) item(sig store.Signature) (Item, error) {
	item := Item{Signature: sig}
	if sig.EmailSealed == nil {
		return item, nil // withdrawn: personal data erased
	}
	var err error
	if item.Email, err = s.d.Vault.Open(vault.PurposeEmail, sig.EmailSealed); err != nil {
		return Item{}, fmt.Errorf("moderation: open email of %d: %w", sig.ID, err)
	}
	if sig.ContactSealed != nil {
		if item.ContactName, err = s.d.Vault.Open(vault.PurposeContact, sig.ContactSealed); err != nil {
			return Item{}, fmt.Errorf("moderation: open contact of %d: %w", sig.ID, err)
		}
	}
	item.DomainMismatch = sig.Kind == store.KindOrganisation && !sameOrganisation(sig.Website, item.Email)
	return item, nil
}

// sameOrganisation reports whether a website and an email address belong to
// the same registrable domain (www.ngo.example and press@ngo.example do).
func sameOrganisation(website, email string) bool {
	u, err := url.Parse(website)
	at := strings.LastIndexByte(email, '@')
	if err != nil || at < 0 {
		return false
	}
	site, err1 := publicsuffix.EffectiveTLDPlusOne(strings.ToLower(u.Hostname()))
	mail, err2 := publicsuffix.EffectiveTLDPlusOne(strings.ToLower(email[at+1:]))
	return err1 == nil && err2 == nil && site == mail
}

// AuditFilter narrows the audit log.
type AuditFilter struct {
	Action      string
	StaffEmail  string
	SignatureID uint64
	LetterID    uint
	Page        int
}

// AuditLog lists audit events matching f, newest first.
func (s *Service) AuditLog(ctx context.Context, f AuditFilter) ([]store.AuditEvent, bool, error) {
	if f.Page < 1 {
		f.Page = 1
	}
	size := s.d.Config.PageSize
	filter := store.AuditFilter{Action: f.Action, StaffEmail: f.StaffEmail, SignatureID: f.SignatureID, LetterID: f.LetterID}
	events, err := store.AuditEvents(s.d.Store.Read(ctx), filter, size+1, (f.Page-1)*size)
	if err != nil {
		return nil, false, fmt.Errorf("moderation: audit log: %w", err)
	}
	more := len(events) > size
	if more {
		events = events[:size]
	}
	return events, more, nil
}

// RequeueMail puts failed mail (all of it when ids is empty) back in the
// outbox, due now, and records it in the audit log in the same transaction;
// it returns how many mails it requeued.
func (s *Service) RequeueMail(ctx context.Context, actor *store.Staff, ids []uint64) (int64, error) {
	var n int64
	err := s.d.Store.Write(ctx, func(tx *gorm.DB) error {
		var err error
		if n, err = store.RequeueFailedMail(tx, ids, s.d.Now()); err != nil {
			return err
		}
		return store.AuditAction(tx, store.StaffActor(actor), "mail_requeue", fmt.Sprintf("%d mails", n), s.d.Now())
	})
	if err != nil {
		return 0, fmt.Errorf("moderation: requeue %d failed mails: %w", len(ids), err)
	}
	s.d.Outbox.Wake()
	return n, nil
}
