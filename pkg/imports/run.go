package imports

import (
	"context"
	"fmt"
	"slices"

	"gorm.io/gorm"

	"github.com/undersigned/undersigned/pkg/letters"
	"github.com/undersigned/undersigned/pkg/store"
)

// run stores the import's valid rows from the first it has not stored, a
// chunk at a time, then marks it done with its one audit entry.
func (s *Service) run(ctx context.Context, actor *store.Staff, imp *store.Import, letter *letters.Letter) error {
	table, err := s.table(imp)
	if err != nil {
		return err
	}
	candidates := s.check(table, DecodeMapping(imp.Mapping), letter).candidates
	next := imp.NextRow
	for len(candidates) > 0 && candidates[0].index < next {
		candidates = candidates[1:]
	}
	for next < len(table.Rows) {
		part := candidates[:min(chunk, len(candidates))]
		end := len(table.Rows)
		if len(part) < len(candidates) {
			end = candidates[len(part)].index
		}
		if err := s.storeChunk(ctx, actor, imp, letter, part, next, end); err != nil {
			return fmt.Errorf("imports: import %d, rows %d-%d: %w", imp.ID, next, end, err)
		}
		candidates, next = candidates[len(part):], end
	}
	return s.finish(ctx, actor, imp)
}

// storeChunk stores the rows of part, which are the valid rows from
// from up to end, in one transaction that also moves the import's NextRow
// from from to end.
func (s *Service) storeChunk(ctx context.Context, actor *store.Staff, imp *store.Import, letter *letters.Letter, part []candidate, from, end int) error {
	sigs := make([]*store.Signature, len(part))
	for i, cand := range part {
		sig, err := s.d.Signing.Prepare(letter, cand.request)
		if err != nil {
			return err
		}
		sig.Source, sig.ImportID = store.SourceImport, &imp.ID
		sigs[i] = sig
	}
	mail := store.MailConfirm
	if imp.Mode == store.ImportByStaff {
		mail = "" // confirmed by staff: nothing to confirm by mail
	}
	now := s.d.Now()
	var change *store.Change
	err := s.d.Store.Write(ctx, func(tx *gorm.DB) error {
		change = nil
		inserted, err := store.InsertImported(tx, sigs, mail, now)
		if err != nil {
			return err
		}
		if imp.Mode == store.ImportByStaff {
			if change, err = s.confirmByStaff(tx, actor, letter, inserted); err != nil {
				return err
			}
		}
		return store.AdvanceImport(tx, imp.ID, from, end, len(inserted), len(sigs)-len(inserted))
	})
	if err != nil {
		return err
	}
	imp.NextRow = end
	if change != nil && s.d.Live != nil {
		s.d.Live.Notify(*change)
	}
	if mail != "" && s.d.Outbox != nil {
		s.d.Outbox.Wake()
	}
	return nil
}

// confirmByStaff confirms the signatures just inserted, on the import's
// basis, each moving as a confirmation does by the letter's review rule,
// and returns what the public view must learn of them together.
func (s *Service) confirmByStaff(tx *gorm.DB, actor *store.Staff, letter *letters.Letter, sigs []*store.Signature) (*store.Change, error) {
	all := &store.Change{LetterID: letter.ID}
	now := s.d.Now()
	for _, sig := range sigs {
		to := store.StatusPublished
		if letter.NeedsReview(sig.Kind) {
			to = store.StatusPendingReview
		}
		moved, err := s.d.Store.MoveSignature(tx, sig, store.Move{Event: store.EventStaffConfirm, To: to, By: store.StaffActor(actor), At: now})
		if err != nil {
			return nil, err
		}
		if moved == nil {
			continue
		}
		for _, c := range moved.Countries {
			if !slices.Contains(all.Countries, c) {
				all.Countries = append(all.Countries, c)
			}
		}
		all.Published = append(all.Published, moved.Published...)
	}
	if len(all.Published) == 0 {
		return nil, nil
	}
	return all, nil
}

// finish marks the import done, erasing its file, with the one audit entry
// that records it: who, which file, the counts, the mode and its basis.
func (s *Service) finish(ctx context.Context, actor *store.Staff, imp *store.Import) error {
	return s.d.Store.Write(ctx, func(tx *gorm.DB) error {
		done, err := store.ImportByID(tx, imp.ID)
		if err != nil {
			return err
		}
		if err := store.FinishImport(tx, imp.ID, s.d.Now()); err != nil {
			return err
		}
		subject := fmt.Sprintf("import %d of %s: %d rows, %d imported, %d duplicates, %d refused; %s",
			done.ID, done.FileName, done.Rows, done.Imported, done.Duplicates, done.Invalid, modeNote(done))
		return store.Audit(tx, store.AuditEvent{StaffID: &actor.ID, StaffEmail: actor.Email, Action: "import",
			LetterID: &done.LetterID, Subject: store.TruncateRunes(subject, 300), CreatedAt: s.d.Now()})
	})
}

// modeNote says in the audit entry how an import's signers are confirmed.
func modeNote(imp *store.Import) string {
	if imp.Mode == store.ImportByStaff {
		return "confirmed by staff: " + imp.Basis
	}
	return "confirmation mailed"
}
