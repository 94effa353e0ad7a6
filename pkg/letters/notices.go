package letters

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"gorm.io/gorm"

	"github.com/undersigned/undersigned/pkg/store"
)

// NoticeChunk is how many signers one transaction queues notices for: on
// SQLite every transaction holds the one writer, and signers queue behind
// it, so a letter with a hundred thousand signers is told in two hundred
// short transactions rather than one long one.
const NoticeChunk = 500

// Waker is the outbox worker, woken as notices are queued.
type Waker interface{ Wake() }

// Notices is the Notifier the console uses: it queues, in the background,
// the mail that tells each signer who still stands by a letter that its
// text changed materially. The outbox sends the notices after all other
// mail, at most mail.bulk_per_minute a minute.
type Notices struct {
	st      *store.Store
	outbox  Waker
	now     func() time.Time
	chunk   int
	yield   time.Duration
	log     *slog.Logger
	running sync.WaitGroup
}

// NewNotices returns the notifier that queues notices in chunks of chunk
// signers (NoticeChunk outside tests), waiting yield before each chunk
// while signers queue for the writer (mail.outbox.yield_to_signing).
func NewNotices(st *store.Store, outbox Waker, now func() time.Time, chunk int, yield time.Duration, log *slog.Logger) *Notices {
	return &Notices{st: st, outbox: outbox, now: now, chunk: chunk, yield: yield, log: log}
}

// TextChanged starts queueing a notice of text, a material change, for
// every signer of the letter who still stands, and returns at once: the
// console's save does not wait for a hundred thousand rows.
func (n *Notices) TextChanged(ctx context.Context, letterID uint, text store.LetterText) error {
	n.running.Go(func() {
		if _, err := n.Queue(context.WithoutCancel(ctx), letterID, text.ID); err != nil {
			n.log.Error("letters: queueing the notices of a material change", "letter", letterID, "text", text.ID, "err", err)
		}
	})
	return nil
}

// Queue queues a notice of the text version textID for every signer of
// the letter who still stands (store.StandingStatuses), a chunk per
// transaction, waking the outbox after each, and reports how many it
// queued. A failure stops it; the chunks committed stay.
func (n *Notices) Queue(ctx context.Context, letterID uint, textID uint64) (int, error) {
	queued, err := n.inChunks(ctx, func(tx *gorm.DB, after uint64) (int, uint64, error) {
		return store.QueueLetterChanged(tx, letterID, textID, after, n.chunk, n.now())
	})
	if err != nil {
		return queued, fmt.Errorf("letters: notices of text %d of letter %d: %w", textID, letterID, err)
	}
	return queued, nil
}

// UpdateSent starts queueing the update updateID for every signer of the
// letter who still stands and asked to be kept informed, and returns at
// once, as TextChanged does.
func (n *Notices) UpdateSent(ctx context.Context, letterID uint, updateID uint64) {
	n.running.Go(func() {
		if _, err := n.QueueUpdate(context.WithoutCancel(ctx), letterID, updateID); err != nil {
			n.log.Error("letters: queueing an update", "letter", letterID, "update", updateID, "err", err)
		}
	})
}

// QueueUpdate queues the update updateID for every signer of the letter
// who still stands, asked to be kept informed and has not unsubscribed, a
// chunk per transaction as Queue does, and reports how many it queued.
func (n *Notices) QueueUpdate(ctx context.Context, letterID uint, updateID uint64) (int, error) {
	queued, err := n.inChunks(ctx, func(tx *gorm.DB, after uint64) (int, uint64, error) {
		return store.QueueLetterUpdate(tx, letterID, updateID, after, n.chunk, n.now())
	})
	if err != nil {
		return queued, fmt.Errorf("letters: update %d of letter %d: %w", updateID, letterID, err)
	}
	return queued, nil
}

// inChunks runs queue, which queues mail for the signers after an id and
// returns how many and the last id (0 once none is left), a transaction
// per chunk, waking the outbox after each, and reports how many it queued.
// Before each chunk it gives way to signers: the mail it queues is sent
// after theirs anyway.
func (n *Notices) inChunks(ctx context.Context, queue func(tx *gorm.DB, after uint64) (int, uint64, error)) (int, error) {
	queued := 0
	for after := uint64(0); ; {
		n.st.GiveWayToSigners(ctx, n.yield)
		var count int
		var last uint64
		err := n.st.Write(ctx, func(tx *gorm.DB) error {
			var err error
			count, last, err = queue(tx, after)
			return err
		})
		if err != nil {
			return queued, fmt.Errorf("after signature %d: %w", after, err)
		}
		if last == 0 {
			return queued, nil
		}
		queued, after = queued+count, last
		n.outbox.Wake()
	}
}

// Wait returns once every queueing started has finished; the server waits
// for them when it stops, and tests before they drain the outbox.
func (n *Notices) Wait() { n.running.Wait() }
