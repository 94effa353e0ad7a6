package moderation

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"gorm.io/gorm"

	"github.com/undersigned/undersigned/pkg/store"
)

// Decision is an action with, for rejections, its reason code and a note for
// the audit log (the signer is sent the reason's text, not the note).
type Decision struct {
	Action Action
	Reason string
	Note   string
}

// Result says how many of the selected signatures a decision changed; the
// others were not in a state it applies to. Refused says, for those that
// were, where they stand now and who moved them there last: another
// moderator deciding first, say.
type Result struct {
	Changed int
	Skipped int
	Refused []*store.MoveError
}

// Apply takes a decision on the signatures with ids, in one transaction: each
// moves through the lifecycle (state, public counts and audit entry
// together), and the signer is mailed when approved or rejected.
func (s *Service) Apply(ctx context.Context, actor *store.Staff, ids []uint64, d Decision) (Result, error) {
	to, err := s.check(d)
	if err != nil {
		return Result{}, err
	}
	if len(ids) == 0 {
		return Result{}, ErrNoSelection
	}
	if len(ids) > MaxBulk {
		return Result{}, ErrTooMany
	}
	var res Result
	var changes changeSet
	err = s.d.Store.Write(ctx, func(tx *gorm.DB) error {
		res, changes = Result{}, changeSet{}
		sigs, err := store.SignaturesByID(tx, ids)
		if err != nil {
			return err
		}
		for _, id := range ids {
			sig, ok := sigs[id]
			if !ok {
				res.Skipped++
				continue
			}
			if err := s.decideCounted(tx, actor, sig, to, d, changes, &res); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return Result{}, fmt.Errorf("moderation: %s %d signatures: %w", d.Action, len(ids), err)
	}
	if res.Changed > 0 {
		s.d.Outbox.Wake()
	}
	changes.notify(s.d.Live)
	return res, nil
}

// Validate says why decision d cannot be taken (ErrUnknownAction,
// ErrUnknownReason), or nil: a bulk decision's preview asks before
// counting.
func (s *Service) Validate(d Decision) error {
	_, err := s.check(d)
	return err
}

// check returns the state decision d moves signatures to, or why it cannot
// be taken.
func (s *Service) check(d Decision) (store.Status, error) {
	to, ok := target(d.Action)
	if !ok {
		return "", ErrUnknownAction
	}
	if _, ok := s.Reason(d.Reason); d.Action == ActionReject && !ok {
		return "", ErrUnknownReason
	}
	return to, nil
}

// decideCounted decides on sig as decide does and counts the outcome in
// res: a signature that moved on meanwhile is skipped, with where it stands.
func (s *Service) decideCounted(tx *gorm.DB, actor *store.Staff, sig *store.Signature, to store.Status, d Decision, changes changeSet, res *Result) error {
	err := s.decide(tx, actor, sig, to, d, changes)
	var refused *store.MoveError
	switch {
	case errors.As(err, &refused):
		res.Skipped++
		res.Refused = append(res.Refused, refused)
	case err != nil:
		return err
	default:
		res.Changed++
	}
	return nil
}

// decide moves one signature by a staff decision and queues the signer's mail.
func (s *Service) decide(tx *gorm.DB, actor *store.Staff, sig *store.Signature, to store.Status, d Decision, changes changeSet) error {
	wasRejected := sig.Status == store.StatusRejected
	now := s.d.Now()
	moved, err := s.d.Store.MoveSignature(tx, sig, store.Move{Event: store.Event(d.Action), To: to, By: store.StaffActor(actor),
		At: now, Reason: d.Reason, Note: d.Note})
	if err != nil {
		return err
	}
	changes.add(moved)
	switch {
	case d.Action == ActionApprove, d.Action == ActionRestore && wasRejected:
		return store.EnqueueMail(tx, store.MailPublished, sig.ID, now)
	case d.Action == ActionReject:
		return store.EnqueueMail(tx, store.MailRejected, sig.ID, now)
	}
	return nil
}

// changeSet gathers, per letter, what a transaction changed in public, to
// tell the public view once it has committed.
type changeSet map[uint]*store.Change

func (cs changeSet) add(c *store.Change) {
	if c == nil {
		return
	}
	all, ok := cs[c.LetterID]
	if !ok {
		all = &store.Change{LetterID: c.LetterID}
		cs[c.LetterID] = all
	}
	for _, code := range c.Countries {
		if !slices.Contains(all.Countries, code) {
			all.Countries = append(all.Countries, code)
		}
	}
	all.Published = append(all.Published, c.Published...)
	all.Unpublished = append(all.Unpublished, c.Unpublished...)
}

func (cs changeSet) notify(live interface{ Notify(store.Change) }) {
	for _, c := range cs {
		live.Notify(*c)
	}
}
