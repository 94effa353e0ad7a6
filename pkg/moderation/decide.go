package moderation

import (
	"context"
	"encoding/json"
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
// others were not in a state it applies to.
type Result struct {
	Changed int
	Skipped int
}

// Apply takes a decision on the signatures with ids, in one transaction: each
// changes state, the public counts follow, an audit event records it, and the
// signer is mailed when approved or rejected.
func (s *Service) Apply(ctx context.Context, actor *store.Staff, ids []uint64, d Decision) (Result, error) {
	from, to, ok := transition(d.Action)
	if !ok {
		return Result{}, ErrUnknownAction
	}
	if len(ids) == 0 {
		return Result{}, ErrNoSelection
	}
	if len(ids) > MaxBulk {
		return Result{}, ErrTooMany
	}
	if d.Action == ActionReject {
		if _, ok := s.Reason(d.Reason); !ok {
			return Result{}, ErrUnknownReason
		}
	}
	var res Result
	changes := map[uint]*store.Change{}
	err := s.d.Store.Write(ctx, func(tx *gorm.DB) error {
		clear(changes)
		var sigs []store.Signature
		if err := tx.Where("id IN ?", ids).Find(&sigs).Error; err != nil {
			return err
		}
		res.Skipped = len(ids) - len(sigs)
		for i := range sigs {
			if !slices.Contains(from, sigs[i].Status) {
				res.Skipped++
				continue
			}
			if err := s.move(tx, actor, &sigs[i], to, d); err != nil {
				return err
			}
			res.Changed++
			recordChange(changes, &sigs[i], to)
		}
		return nil
	})
	if err != nil {
		return Result{}, fmt.Errorf("moderation: %s %d signatures: %w", d.Action, len(ids), err)
	}
	if res.Changed > 0 {
		s.d.Outbox.Wake()
	}
	for _, c := range changes {
		s.d.Live.Notify(*c)
	}
	return res, nil
}

// recordChange notes, for the public view, a signature that was published or
// unpublished.
func recordChange(changes map[uint]*store.Change, sig *store.Signature, to store.Status) {
	c, ok := changes[sig.LetterID]
	if !ok {
		c = &store.Change{LetterID: sig.LetterID}
		changes[sig.LetterID] = c
	}
	if !slices.Contains(c.Countries, sig.Country) {
		c.Countries = append(c.Countries, sig.Country)
	}
	if to == store.StatusPublished {
		c.Published = append(c.Published, sig.ID)
	}
}

// move changes one signature's state with everything that goes with it.
func (s *Service) move(tx *gorm.DB, actor *store.Staff, sig *store.Signature, to store.Status, d Decision) error {
	before := snapshotOf(sig)
	now := s.d.Now()
	note := store.TruncateRunes(d.Note, 1000)
	fields := map[string]any{"status": to, "reviewed_at": now}
	if to == store.StatusRejected {
		fields["reason_code"], fields["reason_note"] = d.Reason, note
	}
	if to == store.StatusPublished && sig.PublishedAt == nil {
		fields["published_at"] = now
	}
	changed, err := store.UpdateSignatureFrom(tx, sig.ID, sig.Status, fields)
	if err != nil || !changed {
		return err
	}
	if err := adjustCount(tx, sig, sig.Status, to); err != nil {
		return err
	}
	wasRejected := sig.Status == store.StatusRejected
	sig.Status = to
	if to == store.StatusRejected {
		sig.ReasonCode, sig.ReasonNote = d.Reason, note
	}
	if err := s.audit(tx, actor, string(d.Action), sig, before, snapshotOf(sig)); err != nil {
		return err
	}
	switch {
	case d.Action == ActionApprove, d.Action == ActionRestore && wasRejected:
		return store.EnqueueMail(tx, store.MailPublished, sig.ID, now)
	case d.Action == ActionReject:
		return store.EnqueueMail(tx, store.MailRejected, sig.ID, now)
	}
	return nil
}

// adjustCount keeps country_counts equal to the published signatures when one
// moves between states.
func adjustCount(tx *gorm.DB, sig *store.Signature, from, to store.Status) error {
	switch {
	case from != store.StatusPublished && to == store.StatusPublished:
		return store.AddToCount(tx, sig.LetterID, sig.Country, sig.Kind, sig.Named(), 1)
	case from == store.StatusPublished && to != store.StatusPublished:
		return store.AddToCount(tx, sig.LetterID, sig.Country, sig.Kind, sig.Named(), -1)
	}
	return nil
}

// snapshot is what an audit event records of a signature: its state and its
// public fields, never its contact details.
type snapshot struct {
	Status      store.Status `json:"status"`
	Kind        store.Kind   `json:"kind"`
	Name        string       `json:"name"`
	Affiliation string       `json:"affiliation,omitempty"`
	Website     string       `json:"website,omitempty"`
	OrgType     string       `json:"org_type,omitempty"`
	Country     string       `json:"country"`
	ShowName    bool         `json:"show_name"`
	ReasonCode  string       `json:"reason_code,omitempty"`
	ReasonNote  string       `json:"reason_note,omitempty"`
}

func snapshotOf(sig *store.Signature) snapshot {
	return snapshot{Status: sig.Status, Kind: sig.Kind, Name: sig.Name, Affiliation: sig.Affiliation, Website: sig.Website,
		OrgType: sig.OrgType, Country: sig.Country, ShowName: sig.ShowName, ReasonCode: sig.ReasonCode, ReasonNote: sig.ReasonNote}
}

// audit writes one audit event about a signature.
func (s *Service) audit(tx *gorm.DB, actor *store.Staff, action string, sig *store.Signature, before, after snapshot) error {
	b, err := json.Marshal(before)
	if err != nil {
		return err
	}
	a, err := json.Marshal(after)
	if err != nil {
		return err
	}
	return store.Audit(tx, store.AuditEvent{
		StaffID: &actor.ID, StaffEmail: actor.Email, Action: action, SignatureID: &sig.ID,
		Subject: fmt.Sprintf("%s (%s)", sig.Name, sig.Country), Before: string(b), After: string(a), CreatedAt: s.d.Now(),
	})
}
