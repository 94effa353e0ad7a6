package letters

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"

	"github.com/undersigned/undersigned/pkg/store"
)

// maxUpdateSubject is the longest subject an update may have, in characters.
const maxUpdateSubject = 200

// UpdateText is an update's subject and Markdown body in one language, as
// an admin wrote it.
type UpdateText struct {
	Lang    string
	Subject string
	Body    string
}

// Updates sends the updates admins write on a letter's console page to its
// signers who asked to be kept informed.
type Updates struct {
	st      *store.Store
	reg     *Registry
	notices *Notices
	now     func() time.Time
}

// NewUpdates returns the service that stores updates and has notices queue
// them.
func NewUpdates(st *store.Store, reg *Registry, notices *Notices, now func() time.Time) *Updates {
	return &Updates{st: st, reg: reg, notices: notices, now: now}
}

// Send stores an update of the letter id with texts, audited as
// update_send by by, and starts queueing it in the background for every
// signer who still stands, asked to be kept informed and has not
// unsubscribed; each gets the text in their language, or else the
// letter's own. The letter's own language needs a text; any other is
// optional, but needs both its subject and its body. Texts in languages
// the letter is not written in are ignored. It returns the update's id.
func (u *Updates) Send(ctx context.Context, by store.Actor, id uint, texts []UpdateText) (uint64, error) {
	letter, ok := u.reg.ByID(id)
	if !ok {
		return 0, ErrNotFound
	}
	update := store.LetterUpdate{LetterID: id}
	errs := FieldErrors{}
	for _, t := range texts {
		if !letter.Has(t.Lang) {
			continue
		}
		t.Subject, t.Body = strings.TrimSpace(t.Subject), strings.TrimRight(strings.ReplaceAll(t.Body, "\r\n", "\n"), " \n")
		if t.Lang != letter.Lang && t.Subject == "" && strings.TrimSpace(t.Body) == "" {
			continue
		}
		checkUpdateText(t, errs)
		update.Texts = append(update.Texts, store.LetterUpdateText{Lang: t.Lang, Subject: t.Subject, Body: t.Body})
	}
	if _, ok := update.In(letter.Lang, letter.Lang); !ok {
		checkUpdateText(UpdateText{Lang: letter.Lang}, errs)
	}
	if len(errs) > 0 {
		return 0, &ValidationError{errs}
	}
	err := u.st.Write(ctx, func(tx *gorm.DB) error { return store.SaveLetterUpdate(tx, &update, by, u.now()) })
	if err != nil {
		return 0, err
	}
	u.notices.UpdateSent(ctx, id, update.ID)
	return update.ID, nil
}

// checkUpdateText notes in errs what is wrong with t, under the fields
// subject_<lang> and body_<lang>.
func checkUpdateText(t UpdateText, errs FieldErrors) {
	switch {
	case t.Subject == "":
		errs["subject_"+t.Lang] = "error.update.subject_required"
	case utf8.RuneCountInString(t.Subject) > maxUpdateSubject:
		errs["subject_"+t.Lang] = "error.update.subject_long"
	}
	switch {
	case strings.TrimSpace(t.Body) == "":
		errs["body_"+t.Lang] = "error.update.body_required"
	case len(t.Body) > MaxBodyBytes:
		errs["body_"+t.Lang] = "error.update.body_long"
	}
}
