package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"gorm.io/gorm"
)

// Event is what moves a signature: a signer's act or a staff decision. The
// audit log records it as the action.
type Event string

// The events of a signature's lifecycle.
const (
	EventConfirm    Event = "confirm"    // the signer follows the mailed link
	EventCorrect    Event = "correct"    // the signer changes the public details
	EventWithdraw   Event = "withdraw"   // the signer takes the signature back
	EventApprove    Event = "approve"    // staff publish a reviewed signature
	EventReject     Event = "reject"     // staff refuse one, with a reason
	EventHide       Event = "hide"       // staff take a published one off the list
	EventRestore    Event = "restore"    // staff publish a hidden or rejected one
	EventEdit       Event = "edit"       // staff correct the public details
	EventInvalidate Event = "invalidate" // staff reject in bulk, by domain or network
	EventErase      Event = "erase"      // staff erase a signature on the signer's request
	// EventStaffConfirm is staff confirming an imported signature on the
	// basis the import records (a signature gathered by email, on paper).
	// The import's one audit entry stands for every such move it makes;
	// the signature's import_id leads to it.
	EventStaffConfirm Event = "staff_confirm"
)

// Rule is one line of the lifecycle's table: an event may move a signature
// from From to To. A move the table has no line for is refused.
type Rule struct {
	Event    Event
	From, To Status
}

// Lifecycle is the table of every move a signature can make; MoveSignature
// refuses any other. docs/architecture.md shows the same table.
func Lifecycle() []Rule {
	rules := []Rule{
		{EventConfirm, StatusUnconfirmed, StatusPendingReview}, // kinds the letter reviews
		{EventConfirm, StatusUnconfirmed, StatusPublished},     // other kinds
		{EventStaffConfirm, StatusUnconfirmed, StatusPendingReview},
		{EventStaffConfirm, StatusUnconfirmed, StatusPublished},
		{EventApprove, StatusPendingReview, StatusPublished},
		{EventReject, StatusPendingReview, StatusRejected},
		{EventHide, StatusPublished, StatusHidden},
		{EventRestore, StatusHidden, StatusPublished},
		{EventRestore, StatusRejected, StatusPublished},
		// A correction of what staff approved, hid or refused goes back to them.
		{EventCorrect, StatusPublished, StatusPendingReview},
		{EventCorrect, StatusHidden, StatusPendingReview},
		{EventCorrect, StatusRejected, StatusPendingReview},
	}
	for _, from := range []Status{StatusUnconfirmed, StatusPendingReview, StatusPublished} {
		rules = append(rules, Rule{EventCorrect, from, from})
	}
	for _, from := range []Status{StatusPendingReview, StatusPublished, StatusHidden, StatusRejected} {
		rules = append(rules, Rule{EventEdit, from, from})
	}
	// An unconfirmed signature invalidated never confirmed its address: it
	// is deleted, as its expiry would.
	rules = append(rules, Rule{EventInvalidate, StatusUnconfirmed, StatusDeleted})
	for _, from := range []Status{StatusPendingReview, StatusPublished, StatusHidden} {
		rules = append(rules, Rule{EventInvalidate, from, StatusRejected})
	}
	// Withdrawal is the signer's right from any state; an unconfirmed
	// signature is deleted rather than kept withdrawn.
	rules = append(rules, Rule{EventWithdraw, StatusUnconfirmed, StatusDeleted}, Rule{EventErase, StatusUnconfirmed, StatusDeleted})
	for _, from := range []Status{StatusPendingReview, StatusPublished, StatusHidden, StatusRejected} {
		rules = append(rules, Rule{EventWithdraw, from, StatusWithdrawn}, Rule{EventErase, from, StatusWithdrawn})
	}
	return rules
}

// Allowed reports whether the lifecycle lets event move a signature from one
// state to another.
func Allowed(event Event, from, to Status) bool {
	return slices.Contains(Lifecycle(), Rule{event, from, to})
}

// Target is the state event moves a signature in state from to when the
// table has one line for them (withdrawing an unconfirmed signature deletes
// it, a confirmed one is kept withdrawn), or "" when it has none or several.
func Target(event Event, from Status) Status {
	var to Status
	for _, r := range Lifecycle() {
		if r.Event == event && r.From == from {
			if to != "" {
				return ""
			}
			to = r.To
		}
	}
	return to
}

// ErrMoveNotAllowed is what a move the lifecycle has no line for fails with
// (wrapped in a *MoveError).
var ErrMoveNotAllowed = errors.New("store: move not allowed")

// ErrAlreadyMoved is what a move fails with when another request moved the
// signature first (wrapped in a *MoveError saying by whom).
var ErrAlreadyMoved = errors.New("store: signature already moved")

// MoveError says which move of which signature was refused, the state the
// signature is in now, and who moved it there last (a staff member's email,
// "signer", …; empty when nobody is on record).
type MoveError struct {
	ID       uint64
	Event    Event
	From, To Status
	Now      Status
	By       string
	err      error
}

func (e *MoveError) Error() string {
	return fmt.Sprintf("store: %s signature %d from %s to %s: now %s (by %q): %v", e.Event, e.ID, e.From, e.To, e.Now, e.By, e.err)
}

// Unwrap lets errors.Is find ErrMoveNotAllowed or ErrAlreadyMoved.
func (e *MoveError) Unwrap() error { return e.err }

// Actor is who makes a move, as the audit log names them.
type Actor struct {
	StaffID *uint
	Name    string
}

// StaffActor is a staff member acting in the console.
func StaffActor(s *Staff) Actor { return Actor{StaffID: &s.ID, Name: s.Email} }

// SignerActor is the signer, acting through the mailed links.
func SignerActor() Actor { return Actor{Name: "signer"} }

// CommandLineActor is someone at the server running the command line, by
// the machine user's name.
func CommandLineActor(user string) Actor { return Actor{Name: "command line (" + user + ")"} }

// AuditAction records, in tx, an action by staff or the command line on
// something other than a signature (a staff account, a block, the outbox):
// what, on what (subject, in words), by whom and when.
func AuditAction(tx *gorm.DB, by Actor, action, subject string, at time.Time) error {
	return Audit(tx, AuditEvent{StaffID: by.StaffID, StaffEmail: by.Name, Action: action, Subject: subject, CreatedAt: at})
}

// PublicFields are the details of a signature that the public list shows and
// that the signer or staff may correct.
type PublicFields struct {
	Name        string
	Affiliation string
	Website     string
	OrgType     string
	Country     string
	ShowName    bool
}

// Move is one move of a signature: the event, the state it leads to and who
// makes it, with what the event needs.
type Move struct {
	Event Event
	To    Status
	By    Actor
	At    time.Time
	// Public are the corrected details, for EventCorrect and EventEdit.
	Public *PublicFields
	// Reason and Note are a rejection's code and its note for staff.
	Reason, Note string
	// MailDomain is the domain of the signer's email, for EventCorrect and
	// EventEdit: the domain-mismatch flag follows a new website. Empty
	// leaves the flag as it was.
	MailDomain string
}

// erased replaces personal data in audit entries of a withdrawn or erased
// signature.
const erased = "erased"

// MoveSignature moves sig, as loaded in tx, by m: it checks the move against
// the lifecycle, updates the row only while it is still in the state it was
// loaded in, keeps country_counts, the hourly history (signature_hours) and
// the letter's change counter in step, writes the audit entry and queues the
// webhook deliveries the move makes, all in tx. Withdrawal and erasure also erase
// the signature's personal data everywhere the database holds it: the row,
// its queued mail and its audit entries. sig is updated to the new state.
//
// It returns what the public view must learn once tx has committed (nil
// when nothing public changed, and when the move found nothing to change: a
// correction that corrects nothing writes nothing). It is the only way a
// signature changes state; callers add what is theirs (mail, the live
// notification) in the same transaction or after it.
func (s *Store) MoveSignature(tx *gorm.DB, sig *Signature, m Move) (*Change, error) {
	before := *sig
	unconfirmedPublished := m.To == StatusPublished && !confirms(m.Event) && sig.ConfirmedAt == nil
	if !Allowed(m.Event, before.Status, m.To) || unconfirmedPublished {
		return nil, s.refusal(tx, sig, m, ErrMoveNotAllowed)
	}
	fields := s.apply(sig, m)
	if len(fields) == 0 {
		*sig = before
		return nil, nil
	}
	duplicates, err := flagForReview(tx, &before, sig, m)
	if err != nil {
		return nil, err
	}
	if sig.Flags != before.Flags {
		fields["flags"] = sig.Flags
	}
	changed, err := updateFrom(tx, sig, before.Status, fields)
	if err != nil {
		return nil, err
	}
	if !changed {
		*sig = before
		return nil, s.refusal(tx, sig, m, ErrAlreadyMoved)
	}
	if err := flagAsDuplicates(tx, duplicates); err != nil {
		return nil, err
	}
	if err := rollUp(tx, &before, sig, m.At); err != nil {
		return nil, err
	}
	change, err := recount(tx, &before, sig)
	if err != nil {
		return nil, err
	}
	if m.Event != EventStaffConfirm { // audited once, by its import
		if err := s.record(tx, &before, sig, m); err != nil {
			return nil, err
		}
	}
	if err := queueWebhooks(tx, &before, sig, m.At); err != nil {
		return nil, err
	}
	return change, nil
}

// confirms reports whether event confirms a signature: its signer through
// the mailed link, or staff for an imported one.
func confirms(event Event) bool { return event == EventConfirm || event == EventStaffConfirm }

// refusal builds the error for a move that cannot be made, reading the
// signature's state now and who moved it last.
func (s *Store) refusal(tx *gorm.DB, sig *Signature, m Move, reason error) error {
	e := &MoveError{ID: sig.ID, Event: m.Event, From: sig.Status, To: m.To, Now: sig.Status, err: reason}
	var now struct{ Status Status }
	switch err := tx.Model(&Signature{}).Select("status").Where("id = ?", sig.ID).Take(&now).Error; {
	case err == nil:
		e.Now = now.Status
	case errors.Is(err, gorm.ErrRecordNotFound):
		e.Now = StatusDeleted
	}
	var last AuditEvent
	if err := tx.Where("signature_id = ?", sig.ID).Order("id DESC").Limit(1).Find(&last).Error; err == nil {
		e.By = last.StaffEmail
	}
	return e
}

// apply changes sig in memory as m asks and returns the columns to write;
// none when there is nothing to change.
func (s *Store) apply(sig *Signature, m Move) map[string]any {
	fields := map[string]any{}
	if m.Public != nil {
		p := *m.Public
		if sig.Kind == KindOrganisation {
			p.ShowName = sig.ShowName // an organisation is always named
		}
		if p == sig.Public() {
			return nil // a correction that corrects nothing moves nothing
		}
		sig.setPublic(p)
		sig.SetDerived(s.SortKeys)
		if m.MailDomain != "" {
			sig.SetMailDomain(m.MailDomain)
		}
		fields["name"], fields["affiliation"], fields["website"], fields["org_type"] = sig.Name, sig.Affiliation, sig.Website, sig.OrgType
		fields["country"], fields["show_name"], fields["search_text"], fields["sort_key"] = sig.Country, sig.ShowName, sig.SearchText, sig.SortKey
		fields["name_key"], fields["site_domain"] = sig.NameKey, sig.SiteDomain
	}
	if m.To != sig.Status {
		sig.Status = m.To
		fields["status"] = m.To
	}
	at := m.At
	switch m.Event {
	case EventConfirm, EventStaffConfirm:
		sig.ConfirmedAt, sig.TokenSealed = &at, nil
		fields["confirmed_at"], fields["token_sealed"] = at, nil
	case EventApprove, EventReject, EventHide, EventRestore, EventInvalidate:
		sig.ReviewedAt = &at
		fields["reviewed_at"] = at
	}
	switch m.Event {
	case EventReject, EventInvalidate:
		sig.ReasonCode, sig.ReasonNote = m.Reason, TruncateRunes(m.Note, 1000)
		fields["reason_code"], fields["reason_note"] = sig.ReasonCode, sig.ReasonNote
	case EventRestore, EventApprove: // the rejection is history now, kept in the audit log
		sig.ReasonCode, sig.ReasonNote = "", ""
		fields["reason_code"], fields["reason_note"] = "", ""
	}
	if sig.Status == StatusPublished && sig.PublishedAt == nil {
		sig.PublishedAt = &at
		fields["published_at"] = at
	}
	if sig.Status == StatusWithdrawn || sig.Status == StatusDeleted {
		for k, v := range sig.erase() {
			fields[k] = v
		}
	}
	return fields
}

// Public returns the signature's public details.
func (s *Signature) Public() PublicFields {
	return PublicFields{Name: s.Name, Affiliation: s.Affiliation, Website: s.Website, OrgType: s.OrgType,
		Country: s.Country, ShowName: s.ShowName}
}

func (s *Signature) setPublic(p PublicFields) {
	s.Name, s.Affiliation, s.Website, s.OrgType, s.Country, s.ShowName =
		p.Name, p.Affiliation, p.Website, p.OrgType, p.Country, p.ShowName
}

// erase blanks every personal field of a signature (name, contact details,
// the email and its hash, so the address could sign again, links, network,
// notes) and returns the columns to write. The kind, the country and the
// dates stay.
func (s *Signature) erase() map[string]any {
	emailHash := fmt.Sprintf("withdrawn:%d", s.ID)
	*s = Signature{ID: s.ID, LetterID: s.LetterID, Kind: s.Kind, Country: s.Country, OrgType: s.OrgType, Status: s.Status,
		EmailHash: emailHash, TokenExpiresAt: s.TokenExpiresAt, ConfirmedAt: s.ConfirmedAt, PublishedAt: s.PublishedAt,
		ReviewedAt: s.ReviewedAt, ReasonCode: s.ReasonCode, Locale: s.Locale, LetterVersion: s.LetterVersion,
		ConsentVersion: s.ConsentVersion, CreatedAt: s.CreatedAt, UpdatedAt: s.UpdatedAt}
	return map[string]any{"name": "", "affiliation": "", "website": "", "contact_sealed": nil, "email_sealed": nil,
		"email_hash": emailHash, "token_hash": "", "token_sealed": nil, "manage_hash": "", "manage_sealed": nil,
		"network_hash": "", "network_seen_at": nil, "search_text": "", "sort_key": nil, "ref": "", "reason_note": "",
		"email_domain_hash": "", "show_name": false, "name_key": "", "site_domain": "", "contact_key": "", "flags": 0,
		"utm_source": "", "utm_medium": "", "utm_campaign": "", "partner_contact_id": nil}
}

// updateFrom writes fields to sig's row while it is still in state from (a
// move to StatusDeleted deletes it instead), and reports whether it did.
func updateFrom(tx *gorm.DB, sig *Signature, from Status, fields map[string]any) (bool, error) {
	q := tx.Model(&Signature{}).Where("id = ? AND status = ?", sig.ID, from)
	var res *gorm.DB
	if sig.Status == StatusDeleted {
		res = q.Delete(&Signature{})
	} else {
		res = q.Updates(fields)
	}
	if res.Error != nil {
		return false, fmt.Errorf("store: move signature %d from %s: %w", sig.ID, from, res.Error)
	}
	return res.RowsAffected == 1, nil
}

// recount keeps country_counts equal to the published signatures, and says
// what the public view must learn, when a signature moves from before to
// after.
func recount(tx *gorm.DB, before, after *Signature) (*Change, error) {
	wasPublic, isPublic := before.Status == StatusPublished, after.Status == StatusPublished
	if !wasPublic && !isPublic {
		return nil, nil
	}
	sameCount := wasPublic && isPublic && before.Country == after.Country && before.Named() == after.Named()
	if wasPublic && !sameCount {
		if err := addToCount(tx, before.LetterID, before.Country, before.Kind, before.Named(), -1); err != nil {
			return nil, err
		}
	}
	if isPublic && !sameCount {
		if err := addToCount(tx, after.LetterID, after.Country, after.Kind, after.Named(), 1); err != nil {
			return nil, err
		}
	}
	// One bump of the change counters; a name that left the list as it was
	// bumps the unpublished one too, so that other servers drop it at once.
	if err := touchLetter(tx, after.LetterID, wasPublic); err != nil {
		return nil, err
	}
	change := &Change{LetterID: after.LetterID, Countries: []string{before.Country}}
	if after.Country != before.Country {
		change.Countries = append(change.Countries, after.Country)
	}
	if wasPublic {
		change.Unpublished = []uint64{after.ID}
	}
	if isPublic {
		change.Published = []uint64{after.ID}
	}
	return change, nil
}

// auditFields is what an audit entry records of a signature: its state and
// its public fields, never its contact details.
type auditFields struct {
	Status      Status `json:"status"`
	Kind        Kind   `json:"kind"`
	Name        string `json:"name"`
	Affiliation string `json:"affiliation,omitempty"`
	Website     string `json:"website,omitempty"`
	OrgType     string `json:"org_type,omitempty"`
	Country     string `json:"country"`
	ShowName    bool   `json:"show_name"`
	ReasonCode  string `json:"reason_code,omitempty"`
	ReasonNote  string `json:"reason_note,omitempty"`
}

func auditFieldsOf(sig *Signature) auditFields {
	return auditFields{Status: sig.Status, Kind: sig.Kind, Name: sig.Name, Affiliation: sig.Affiliation, Website: sig.Website,
		OrgType: sig.OrgType, Country: sig.Country, ShowName: sig.ShowName, ReasonCode: sig.ReasonCode, ReasonNote: sig.ReasonNote}
}

// erasedCopy is the record with its personal fields replaced by "erased".
func (f auditFields) erasedCopy() auditFields {
	for _, field := range []*string{&f.Name, &f.Affiliation, &f.Website, &f.ReasonNote} {
		if *field != "" {
			*field = erased
		}
	}
	return f
}

// record writes the audit entry of a move; a withdrawal or erasure first
// erases the personal fields of the signature's earlier entries, and its
// queued mail.
func (s *Store) record(tx *gorm.DB, before, after *Signature, m Move) error {
	b, a, subject := auditFieldsOf(before), auditFieldsOf(after), fmt.Sprintf("%s (%s)", before.Name, before.Country)
	if after.Status == StatusWithdrawn || after.Status == StatusDeleted {
		if err := eraseTraces(tx, after.ID); err != nil {
			return err
		}
		b, subject = b.erasedCopy(), fmt.Sprintf("%s (%s)", erased, before.Country)
	}
	bj, err := json.Marshal(b)
	if err != nil {
		return err
	}
	aj, err := json.Marshal(a)
	if err != nil {
		return err
	}
	return Audit(tx, AuditEvent{StaffID: m.By.StaffID, StaffEmail: m.By.Name, Action: string(m.Event), SignatureID: &after.ID,
		LetterID: &after.LetterID, Subject: subject, Before: string(bj), After: string(aj), CreatedAt: m.At})
}

// eraseTraces drops a signature's queued mail and webhook deliveries (the
// bodies of those sent are erased), its statement and logo, and
// replaces the personal fields of its audit entries by "erased", keeping
// what happened, who did it and when.
func eraseTraces(tx *gorm.DB, id uint64) error {
	if err := deleteMedia(tx, id); err != nil {
		return err
	}
	if err := tx.Where("signature_id = ?", id).Delete(&MailJob{}).Error; err != nil {
		return fmt.Errorf("store: drop mail of signature %d: %w", id, err)
	}
	if err := eraseWebhookPayloads(tx, id); err != nil {
		return err
	}
	var events []AuditEvent
	if err := tx.Where("signature_id = ?", id).Find(&events).Error; err != nil {
		return fmt.Errorf("store: audit entries of signature %d: %w", id, err)
	}
	for _, e := range events {
		updates := map[string]any{"subject": erasedSubject(e.Subject)}
		for column, doc := range map[string]string{"before": e.Before, "after": e.After} {
			updates[column] = erasedJSON(doc)
		}
		if err := tx.Model(&AuditEvent{}).Where("id = ?", e.ID).Updates(updates).Error; err != nil {
			return fmt.Errorf("store: erase audit entry %d: %w", e.ID, err)
		}
	}
	return nil
}

// erasedSubject keeps the country of an entry's subject, "Name (FR)".
func erasedSubject(subject string) string {
	if n := len(subject); n >= 5 && subject[n-1] == ')' && subject[n-5:n-3] == " (" {
		return erased + subject[n-5:]
	}
	return erased
}

// erasedJSON is an audit entry's record with the personal fields erased; a
// record it cannot read is erased whole.
func erasedJSON(doc string) string {
	if doc == "" {
		return ""
	}
	var f auditFields
	if err := json.Unmarshal([]byte(doc), &f); err != nil {
		return `"` + erased + `"`
	}
	out, err := json.Marshal(f.erasedCopy())
	if err != nil {
		return `"` + erased + `"`
	}
	return string(out)
}
