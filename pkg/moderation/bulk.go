package moderation

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/undersigned/undersigned/pkg/store"
)

// ActionBulkDecision is the audit log's action for a decision taken on
// every signature a queue filter matched: one entry with the filter and the
// counts, beside each signature's own entry.
const ActionBulkDecision = "bulk_decision"

// decideChunk is the most signatures one transaction of a bulk decision
// moves: signers wait for SQLite's one writer no longer than one chunk. A
// decision writes more per signature than an invalidation (the signer's
// mail, the public counts), so its chunks are smaller: 100 approvals hold
// the writer about 20 to 90 ms, 250 about 60 to 400 ms, on this shared
// two-core machine (TestBulkDecisionCommitsAChunkAtATime logs them).
const decideChunk = 100

// Selection is what a bulk decision by filter acts on: the signatures the
// queue filter matched when staff previewed it, on every page. Signatures
// that come into the queue after the preview (a later id, a later
// confirmation, a signer's correction) or change otherwise are left as they
// are: the store keeps to those with no audit entry after AsOf.
type Selection struct {
	Filter Filter
	Count  int64     // how many matched at the preview
	MaxID  uint64    // the highest id that matched
	AsOf   time.Time // when the preview was made
}

// matching is the store's filter for the signatures sel still holds.
func (sel Selection) matching() store.QueueFilter {
	qf := sel.Filter.matching()
	qf.MaxID, qf.AsOf = sel.MaxID, sel.AsOf
	return qf
}

// Count counts the signatures f matches on every page.
func (s *Service) Count(ctx context.Context, f Filter) (int64, error) {
	n, _, err := store.CountQueue(s.d.Store.Read(ctx), f.matching())
	if err != nil {
		return 0, fmt.Errorf("moderation: count queue: %w", err)
	}
	return n, nil
}

// PreviewSelection counts the signatures f matches on every page and
// returns them as a selection for StartDecision.
func (s *Service) PreviewSelection(ctx context.Context, f Filter) (Selection, error) {
	sel := Selection{Filter: f, AsOf: s.d.Now()}
	var err error
	sel.Count, sel.MaxID, err = store.CountQueue(s.d.Store.Read(ctx), sel.matching())
	if err != nil {
		return Selection{}, fmt.Errorf("moderation: preview selection: %w", err)
	}
	return sel, nil
}

// StartDecision takes decision d on every signature of sel in the
// background, a chunk at a time (see ApplyToSelection), and returns the
// job's id for JobStatus; the job's total is the count of the preview, so
// that those that changed since are counted as left as they were.
func (s *Service) StartDecision(ctx context.Context, actor *store.Staff, sel Selection, d Decision) (int, error) {
	if _, err := s.check(d); err != nil {
		return 0, err
	}
	job := Job{Kind: JobDecision, Action: d.Action, Total: sel.Count}
	return s.jobs.start(ctx, job, func(ctx context.Context, progress func(int)) (int, error) {
		res, err := s.ApplyToSelection(ctx, actor, sel, d, progress)
		return res.Changed, err
	}), nil
}

// ApplyToSelection takes decision d on every signature of sel, decideChunk
// at a time, each chunk a transaction of its own in which each signature
// moves through the lifecycle (state, counts, its own audit entry) and its
// signer's mail is queued, as Apply does. A signature that changed since
// the preview no longer matches, or is refused, and is left as it is. When
// it ends, one audit entry records the decision, the filter and the counts
// (sel.Count matched at the preview). After each chunk it calls progress
// with how many it has changed so far.
func (s *Service) ApplyToSelection(ctx context.Context, actor *store.Staff, sel Selection, d Decision, progress func(done int)) (Result, error) {
	to, err := s.check(d)
	if err != nil {
		return Result{}, err
	}
	var res Result
	for after := uint64(0); ; {
		last, err := s.decideChunk(ctx, actor, sel, d, to, after, &res)
		if err != nil {
			err = fmt.Errorf("moderation: %s by filter after signature %d: %w", d.Action, after, err)
			return res, errors.Join(err, s.auditBulk(ctx, actor, sel, d, res, true))
		}
		if last == 0 {
			return res, s.auditBulk(ctx, actor, sel, d, res, false)
		}
		after = last
		if progress != nil {
			progress(res.Changed)
		}
	}
}

// decideChunk decides on the next chunk of sel, with ids above after,
// counts the outcome in res and returns the last id it looked at (0 once
// none is left).
func (s *Service) decideChunk(ctx context.Context, actor *store.Staff, sel Selection, d Decision, to store.Status, after uint64, res *Result) (last uint64, err error) {
	var changes changeSet
	var chunk Result
	err = s.d.Store.Write(ctx, func(tx *gorm.DB) error {
		last, changes, chunk = 0, changeSet{}, Result{}
		sigs, err := store.QueueAfter(tx, sel.matching(), after, decideChunk)
		if err != nil {
			return err
		}
		for i := range sigs {
			last = sigs[i].ID
			if err := s.decideCounted(tx, actor, &sigs[i], to, d, changes, &chunk); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	res.Changed, res.Skipped = res.Changed+chunk.Changed, res.Skipped+chunk.Skipped
	if chunk.Changed > 0 {
		s.d.Outbox.Wake()
	}
	changes.notify(s.d.Live)
	return last, nil
}

// auditBulk records a bulk decision as one audit entry: the decision, the
// filter in words and the counts, about the filter's letter.
func (s *Service) auditBulk(ctx context.Context, actor *store.Staff, sel Selection, d Decision, res Result, stopped bool) error {
	subject := fmt.Sprintf("%s by filter (%s): %d matched, %d changed, %d left as they were",
		d.Action, s.describe(sel.Filter), sel.Count, res.Changed, max(0, int(sel.Count)-res.Changed))
	if stopped {
		subject += ", stopped early"
	}
	e := store.AuditEvent{StaffID: &actor.ID, StaffEmail: actor.Email, Action: ActionBulkDecision,
		Subject: store.TruncateRunes(subject, 300), CreatedAt: s.d.Now()}
	if sel.Filter.LetterID != 0 {
		e.LetterID = &sel.Filter.LetterID
	}
	err := s.d.Store.Write(ctx, func(tx *gorm.DB) error { return store.Audit(tx, e) })
	if err != nil {
		return fmt.Errorf("moderation: audit %s by filter: %w", d.Action, err)
	}
	return nil
}

// describe is a queue filter in words, for the audit log: each field set,
// with the status always named.
func (s *Service) describe(f Filter) string {
	m := f.matching()
	terms := []string{"status " + string(m.Status)}
	if letter, ok := s.d.Letters.ByID(f.LetterID); ok {
		terms = append(terms, "letter "+letter.Slug)
	}
	if f.Kind != "" {
		terms = append(terms, "kind "+string(f.Kind))
	}
	if f.Country != "" {
		terms = append(terms, "country "+f.Country)
	}
	if f.Flag != 0 {
		terms = append(terms, "flag "+f.Flag.Code())
	}
	if f.Query != "" {
		terms = append(terms, fmt.Sprintf("search %q", f.Query))
	}
	return strings.Join(terms, ", ")
}

// Next returns the id of the signature that follows the one with id in the
// queue f lists, newest confirmation first, so that a moderator can go
// through the queue one signature after another; false when none is left.
func (s *Service) Next(ctx context.Context, f Filter, id uint64) (uint64, bool, error) {
	tx := s.d.Store.Read(ctx)
	sig, err := store.ConfirmedSignatureByID(tx, id)
	if errors.Is(err, store.ErrNotFound) {
		return 0, false, ErrNotFound
	}
	if err != nil {
		return 0, false, fmt.Errorf("moderation: next after %d: %w", id, err)
	}
	next, err := store.NextInQueue(tx, f.matching(), sig)
	if errors.Is(err, store.ErrNotFound) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("moderation: next after %d: %w", id, err)
	}
	return next.ID, true, nil
}
