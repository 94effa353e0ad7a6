// Package digest decides when each staff member is mailed a digest of the
// signatures awaiting review, and queues it in the outbox; the mail worker
// renders it at send time, with the counts as they are then.
package digest

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/undersigned/undersigned/pkg/store"
)

// immediateGap is how long "at once" still waits after a digest before the
// next: a launch-day flood of signatures then makes at most twelve mails an
// hour to each staff member rather than one a signature.
const immediateGap = 5 * time.Minute

// MinGap is how long after a staff member's last digest the next may be
// queued, for their choice; ok is false for never (and anything unknown).
func MinGap(choice store.Digest) (gap time.Duration, ok bool) {
	switch choice {
	case store.DigestImmediate:
		return immediateGap, true
	case store.DigestHourly:
		return time.Hour, true
	case store.DigestDaily:
		return 24 * time.Hour, true
	}
	return 0, false
}

// Due reports whether member is due a digest at now. newest is when the
// latest signature awaiting review entered the queue (nil: none awaits). A
// member is due when something entered the queue after their last digest
// (or they never had one) and their choice's gap has passed since it.
func Due(member store.Staff, newest *time.Time, now time.Time) bool {
	gap, ok := MinGap(member.Digest)
	if !ok || member.Disabled || newest == nil {
		return false
	}
	last := member.LastDigestAt
	if last == nil {
		return true
	}
	return newest.After(*last) && !now.Before(last.Add(gap))
}

// Waker is the outbox worker, woken once digests are queued.
type Waker interface{ Wake() }

// Deps are what a Service is built from.
type Deps struct {
	Store  *store.Store
	Now    func() time.Time
	Outbox Waker
}

// Service queues the staff's digests.
type Service struct{ d Deps }

// New returns a Service over d.
func New(d Deps) *Service { return &Service{d: d} }

// QueueDue queues a digest for every staff member due one now, each in the
// transaction that moves their last digest time, and reports how many. The
// app runs it every minute.
func (s *Service) QueueDue(ctx context.Context) (int, error) {
	db := s.d.Store.Read(ctx)
	newest, err := store.NewestAwaitingReview(db)
	if err != nil || newest == nil {
		return 0, err
	}
	members, err := store.DigestRecipients(db)
	if err != nil {
		return 0, err
	}
	now := s.d.Now().UTC()
	queued := 0
	for _, member := range members {
		if !Due(member, newest, now) {
			continue
		}
		ok, err := s.queue(ctx, member, now)
		if err != nil {
			return queued, err
		}
		if ok {
			queued++
		}
	}
	if queued > 0 {
		s.d.Outbox.Wake()
	}
	return queued, nil
}

// queue queues member's digest unless another server did since member was
// read, and reports whether it did.
func (s *Service) queue(ctx context.Context, member store.Staff, now time.Time) (bool, error) {
	gap, _ := MinGap(member.Digest)
	var queued bool
	err := s.d.Store.Write(ctx, func(tx *gorm.DB) error {
		var err error
		queued, err = store.QueueDigest(tx, member.ID, member.Digest, now.Add(-gap), now)
		return err
	})
	if err != nil {
		return false, fmt.Errorf("digest: queue for staff %d: %w", member.ID, err)
	}
	return queued, nil
}
