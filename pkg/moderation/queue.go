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
	Flag     store.Flag // 0 matches any
	Page     int        // from 1
}

// Item is one row of the queue: what the public would see, plus the private
// contact, the signature's flags and the signatures it may duplicate.
type Item struct {
	store.Signature
	Email          string
	ContactName    string
	DomainMismatch bool
	Flags          []store.Flag
	Duplicates     []store.Duplicate
	// MediaPending says that its statement or logo awaits review.
	MediaPending bool
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
	return store.QueueFilter{Status: f.Status, LetterID: f.LetterID, Kind: f.Kind, Country: f.Country, Flag: f.Flag, Query: f.Query}
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
		item, err := s.item(ctx, sig, sig.Has(store.FlagDuplicate))
		if err != nil {
			return Page{}, err
		}
		page.Items = append(page.Items, item)
	}
	return page, s.markMediaPending(ctx, page.Items)
}

// markMediaPending marks the items whose statement or logo awaits review,
// in one query for the page.
func (s *Service) markMediaPending(ctx context.Context, items []Item) error {
	if len(items) == 0 {
		return nil
	}
	ids := make([]uint64, len(items))
	for i, item := range items {
		ids[i] = item.ID
	}
	pending, err := store.MediaAwaitingReview(s.d.Store.Read(ctx), ids)
	if err != nil {
		return fmt.Errorf("moderation: queue: %w", err)
	}
	for i := range items {
		items[i].MediaPending = pending[items[i].ID]
	}
	return nil
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
	return s.item(ctx, *sig, true)
}

// item is sig as the console shows it, its contact opened, with the
// signatures it may duplicate when withDuplicates asks for them.
func (s *Service) item(ctx context.Context, sig store.Signature, withDuplicates bool) (Item, error) {
	item := Item{Signature: sig}
	if sig.EmailSealed == nil {
		return item, nil // withdrawn: personal data erased
	}
	var err error
	if withDuplicates {
		if item.Duplicates, err = store.DuplicatesOf(s.d.Store.Read(ctx), &sig); err != nil {
			return Item{}, fmt.Errorf("moderation: duplicates of %d: %w", sig.ID, err)
		}
	}
	if item.Email, err = s.d.Vault.Open(vault.PurposeEmail, sig.EmailSealed); err != nil {
		return Item{}, fmt.Errorf("moderation: open email of %d: %w", sig.ID, err)
	}
	if sig.ContactSealed != nil {
		if item.ContactName, err = s.d.Vault.Open(vault.PurposeContact, sig.ContactSealed); err != nil {
			return Item{}, fmt.Errorf("moderation: open contact of %d: %w", sig.ID, err)
		}
	}
	item.DomainMismatch = sig.Has(store.FlagDomainMismatch) || sig.Kind == store.KindOrganisation && !sameOrganisation(sig.Website, item.Email)
	if item.DomainMismatch { // checked here too: the migration could not open the addresses of rows stored before it
		sig.Flags |= store.FlagDomainMismatch
	}
	item.Flags = sig.FlagsOf()
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
