package mail

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"time"

	"golang.org/x/time/rate"
	"gorm.io/gorm"

	"github.com/undersigned/undersigned/pkg/config"
	"github.com/undersigned/undersigned/pkg/i18n"
	"github.com/undersigned/undersigned/pkg/letters"
	"github.com/undersigned/undersigned/pkg/store"
	"github.com/undersigned/undersigned/pkg/vault"
)

// WorkerDeps are what a Worker is built from.
type WorkerDeps struct {
	Store     *store.Store
	Vault     *vault.Vault
	Letters   *letters.Registry
	Catalog   *i18n.Catalog
	Renderer  *Renderer
	Transport Transport
	Config    config.Mail
	Reasons   []config.Reason // rejection reasons, whose text rejection mails carry
	BaseURL   string
	SiteName  string
	// Contact is the campaign's address (config.Site.Contact): the Reply-To
	// of every mail and the address the rejection mail names; may be empty.
	Contact  string
	Now      func() time.Time
	Random   io.Reader // for the jitter of retries
	Log      *slog.Logger
	Observer Observer
	// Markdown renders the bodies of updates to signers.
	Markdown *letters.Markdown
}

// Observer is told how sending went, for monitoring.
type Observer interface {
	MailSentOK()
	MailFailed(retry bool)
}

// Worker drains the outbox: it sends each due job and marks it sent, or keeps
// it queued with a later due time when sending fails. Sending is at-least-once:
// a job is marked sent only after the transport accepted it.
type Worker struct {
	d    WorkerDeps
	wake chan struct{}
	bulk *rate.Limiter // mail.bulk_per_minute; nil: no cap
}

// NewWorker returns a worker over d.
func NewWorker(d WorkerDeps) *Worker {
	w := &Worker{d: d, wake: make(chan struct{}, 1)}
	if perMinute := d.Config.BulkPerMinute; perMinute > 0 {
		w.bulk = rate.NewLimiter(rate.Limit(float64(perMinute)/60), min(perMinute, d.Config.Outbox.BatchSize))
	}
	return w
}

// Forget removes what the transport kept of mail to address (the file
// transport's .eml files), when the signature it was sent for is erased.
// Signing calls it after the erasure committed.
func (w *Worker) Forget(address string) error {
	if f, ok := w.d.Transport.(Forgetter); ok {
		return f.Forget(address)
	}
	return nil
}

// Wake asks the worker to look for due jobs now rather than at its next poll.
// Signing calls it after committing a new job.
func (w *Worker) Wake() {
	select {
	case w.wake <- struct{}{}:
	default: // a wake-up is already pending
	}
}

// Run drains the outbox until ctx ends, waking on Wake or every poll interval.
func (w *Worker) Run(ctx context.Context) {
	ticker := time.NewTicker(w.d.Config.Outbox.PollInterval)
	defer ticker.Stop()
	for {
		if _, err := w.Drain(ctx); err != nil && ctx.Err() == nil {
			w.d.Log.Error("outbox: drain failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		case <-w.wake:
		}
	}
}

// Drain sends due jobs in batches until none is due, and reports how many were sent.
func (w *Worker) Drain(ctx context.Context) (int, error) {
	sent := 0
	for ctx.Err() == nil {
		w.d.Store.GiveWayToSigners(ctx, w.d.Config.Outbox.YieldToSigning)
		now := w.d.Now()
		jobs, err := w.d.Store.ClaimMailJobs(ctx, now, w.d.Config.Outbox.ClaimLease, w.d.Config.Outbox.BatchSize, w.bulkAllowed(now))
		if err != nil {
			return sent, err
		}
		w.spendBulk(now, jobs)
		if len(jobs) == 0 {
			if closer, ok := w.d.Transport.(io.Closer); ok {
				if err := closer.Close(); err != nil {
					w.d.Log.Warn("outbox: closing the relay connection", "err", redact(err.Error()))
				}
			}
			return sent, nil
		}
		sigs, loadErr := w.signaturesOf(ctx, jobs)
		texts, textErr := w.textsOf(ctx, jobs)
		updates, updateErr := w.updatesOf(ctx, jobs)
		loadErr = errors.Join(loadErr, textErr, updateErr)
		var out outcomes
		for _, job := range jobs {
			// Shutting down, stop between jobs; without the signatures, send
			// nothing. Either way the jobs left are due again at once.
			if ctx.Err() != nil || loadErr != nil {
				out.unsent = append(out.unsent, job.ID)
				continue
			}
			msg, err := w.composeJob(ctx, job, batchRows{sigs, texts, updates})
			w.process(ctx, job, msg, err, &out)
		}
		if err := w.record(ctx, out); err != nil {
			return sent, err
		}
		if loadErr != nil {
			return sent, loadErr
		}
		sent += len(out.sent)
	}
	return sent, nil
}

// bulkAllowed is how many bulk mails (store.BulkKinds) the next batch may
// take at now under mail.bulk_per_minute. Those it may not take stay due:
// Drain returns when only they are left, and the next poll takes more.
func (w *Worker) bulkAllowed(now time.Time) int {
	if w.bulk == nil {
		return w.d.Config.Outbox.BatchSize
	}
	return int(w.bulk.TokensAt(now))
}

// spendBulk counts the bulk mails of a claimed batch against the cap.
func (w *Worker) spendBulk(now time.Time, jobs []store.MailJob) {
	if w.bulk == nil {
		return
	}
	n := 0
	for _, job := range jobs {
		if job.Bulk() {
			n++
		}
	}
	w.bulk.AllowN(now, n)
}

// outcomes are what became of a claimed batch's jobs, recorded together in
// one transaction once the batch has been through the transport: one write
// for fifty mails, not fifty, on the database's one writer.
type outcomes struct {
	sent []uint64
	// to is the address each sent job went to, kept only with a transport
	// that keeps copies (Forgetter), to remove those of a signature erased
	// while its mail was being sent.
	to      map[uint64]string
	unsent  []uint64                  // not attempted: due again at once
	changes []func(tx *gorm.DB) error // deletions, failures and retries: rare
}

// signaturesOf loads the signatures a batch of jobs writes to, in one query
// rather than one a mail.
func (w *Worker) signaturesOf(ctx context.Context, jobs []store.MailJob) (map[uint64]*store.Signature, error) {
	ids := make([]uint64, 0, len(jobs))
	for _, job := range jobs {
		if job.SignatureID != nil {
			ids = append(ids, *job.SignatureID)
		}
	}
	return store.SignaturesByID(w.d.Store.Read(ctx), ids)
}

// batchRows are the rows a batch of jobs names, each kind loaded in one
// query: the signatures, the text versions notices name and the updates.
type batchRows struct {
	sigs    map[uint64]*store.Signature
	texts   map[uint64]*store.LetterText
	updates map[uint64]*store.LetterUpdate
}

// composeJob renders a job's message: a digest for a staff member, or a
// signer's mail from rows, what the batch's jobs name.
func (w *Worker) composeJob(ctx context.Context, job store.MailJob, rows batchRows) (*Message, error) {
	if job.StaffID != nil {
		return w.composeDigest(ctx, job)
	}
	if job.SignatureID == nil {
		return nil, store.ErrNotFound
	}
	var text *store.LetterText
	if job.LetterTextID != nil {
		if text = rows.texts[*job.LetterTextID]; text == nil {
			return nil, store.ErrNotFound
		}
	}
	var update *store.LetterUpdate
	if job.LetterUpdateID != nil {
		if update = rows.updates[*job.LetterUpdateID]; update == nil {
			return nil, store.ErrNotFound
		}
	}
	return w.compose(job, rows.sigs[*job.SignatureID], text, update)
}

// updatesOf loads the updates a batch's jobs carry, in one query.
func (w *Worker) updatesOf(ctx context.Context, jobs []store.MailJob) (map[uint64]*store.LetterUpdate, error) {
	ids := namedIDs(jobs, func(j store.MailJob) *uint64 { return j.LetterUpdateID })
	if len(ids) == 0 {
		return nil, nil
	}
	return store.LetterUpdatesByID(w.d.Store.Read(ctx), ids)
}

// namedIDs are the distinct ids the jobs name in the field id reads.
func namedIDs(jobs []store.MailJob, id func(store.MailJob) *uint64) []uint64 {
	var ids []uint64
	for _, job := range jobs {
		if p := id(job); p != nil && !slices.Contains(ids, *p) {
			ids = append(ids, *p)
		}
	}
	return ids
}

// textsOf loads the text versions a batch's notices name, in one query.
func (w *Worker) textsOf(ctx context.Context, jobs []store.MailJob) (map[uint64]*store.LetterText, error) {
	ids := namedIDs(jobs, func(j store.MailJob) *uint64 { return j.LetterTextID })
	if len(ids) == 0 {
		return nil, nil
	}
	return store.LetterTextsByID(w.d.Store.Read(ctx), ids)
}

// process sends one job's message, msg, or notes why composing it failed
// (err), and notes the outcome; a failure to send is noted on the job.
func (w *Worker) process(ctx context.Context, job store.MailJob, msg *Message, err error, out *outcomes) {
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, errObsolete) {
		out.changes = append(out.changes, func(tx *gorm.DB) error { return tx.Delete(&store.MailJob{}, job.ID).Error })
		return
	}
	if errors.Is(err, errNothingToSay) { // counted as sent: the moment stays the member's last digest
		out.sent = append(out.sent, job.ID)
		return
	}
	if err == nil {
		err = w.d.Transport.Send(ctx, msg)
	}
	if err == nil {
		w.d.Observer.MailSentOK()
		out.sent = append(out.sent, job.ID)
		if _, keeps := w.d.Transport.(Forgetter); keeps {
			if out.to == nil {
				out.to = map[uint64]string{}
			}
			out.to[job.ID] = msg.To
		}
		return
	}
	f := classify(err)
	giveUp := f.permanent || job.Attempts+1 >= w.d.Config.Outbox.MaxAttempts
	w.d.Observer.MailFailed(!giveUp)
	if giveUp {
		if f.permanent {
			w.d.Log.Error("outbox: relay refused the mail for good", "job", job.ID, "kind", job.Kind, "err", f.summary)
		} else {
			w.d.Log.Error("outbox: giving up after the last attempt", "job", job.ID, "kind", job.Kind, "attempts", job.Attempts+1, "err", f.summary)
		}
		out.changes = append(out.changes, func(tx *gorm.DB) error { return store.MarkMailFailed(tx, job.ID, f.summary) })
		return
	}
	next := w.d.Now().Add(w.backoff(job.Attempts))
	w.d.Log.Warn("outbox: send failed; will retry", "job", job.ID, "kind", job.Kind, "attempt", job.Attempts+1, "next", next, "err", f.summary)
	out.changes = append(out.changes, func(tx *gorm.DB) error { return store.MarkMailRetry(tx, job.ID, next, f.summary) })
}

// record writes a batch's outcomes, even while shutting down: its mail has
// already gone out.
func (w *Worker) record(ctx context.Context, out outcomes) error {
	now := w.d.Now()
	var erased []uint64
	err := w.d.Store.Write(context.WithoutCancel(ctx), func(tx *gorm.DB) error {
		if len(out.sent) > 0 {
			if err := store.MarkMailSent(tx, out.sent, now); err != nil {
				return err
			}
		}
		if len(out.to) > 0 {
			var err error
			if erased, err = store.MissingMailJobs(tx, out.sent); err != nil {
				return err
			}
		}
		if len(out.unsent) > 0 {
			if err := store.ReleaseMailJobs(tx, out.unsent, now); err != nil {
				return err
			}
		}
		for _, change := range out.changes {
			if err := change(tx); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("mail: record outcomes: %w", err)
	}
	for _, id := range erased { // written after the erasure removed the others
		if err := w.Forget(out.to[id]); err != nil {
			return err
		}
	}
	return nil
}

// PruneSent deletes the records of mail sent longer ago than
// mail.outbox.keep_sent, and reports how many went.
func (w *Worker) PruneSent(ctx context.Context) (int64, error) {
	return w.d.Store.PruneSentMail(ctx, w.d.Now().Add(-w.d.Config.Outbox.KeepSent))
}

// backoff is how long a job that failed attempts times waits (Backoff).
func (w *Worker) backoff(attempts int) time.Duration {
	return Backoff(w.d.Config.Outbox, attempts, w.d.Random)
}

// Backoff doubles the wait after each failed attempt, from o.RetryMin up to
// o.RetryMax, and spreads it by up to a quarter either way (jitter, read
// from random), so that work refused together is not retried together. The
// mail and the webhook workers share it.
func Backoff(o config.Outbox, attempts int, random io.Reader) time.Duration {
	wait := o.RetryMin
	for i := 0; i < attempts && wait < o.RetryMax; i++ {
		wait *= 2
	}
	wait = min(wait, o.RetryMax)
	var b [8]byte
	if _, err := io.ReadFull(random, b[:]); err != nil {
		return wait
	}
	spread := float64(binary.LittleEndian.Uint64(b[:])>>11) / (1 << 53) // in [0, 1)
	return time.Duration(float64(wait) * (0.75 + spread/2))
}

// errObsolete marks a job whose mail no longer makes sense, such as a
// confirmation link for a signature confirmed meanwhile.
var errObsolete = errors.New("mail: job is obsolete")

// compose renders the job's message from sig, its signature as loaded for
// the batch, for a notice of a material change, text, the version that
// made it, and for an update, update; a job whose signature is gone (nil)
// is store.ErrNotFound.
func (w *Worker) compose(job store.MailJob, sig *store.Signature, text *store.LetterText, update *store.LetterUpdate) (*Message, error) {
	if sig == nil {
		return nil, store.ErrNotFound
	}
	if obsolete(job, sig) {
		return nil, errObsolete
	}
	letter, ok := w.d.Letters.ByID(sig.LetterID)
	if !ok {
		return nil, fmt.Errorf("mail: letter %d of signature %d is not configured", sig.LetterID, sig.ID)
	}
	to, err := w.d.Vault.Open(vault.PurposeEmail, sig.EmailSealed)
	if err != nil {
		return nil, fmt.Errorf("mail: open address of signature %d: %w", sig.ID, err)
	}
	greet := sig.Name
	if sig.ContactSealed != nil { // an organisation: greet the person who signed for it
		if greet, err = w.d.Vault.Open(vault.PurposeContact, sig.ContactSealed); err != nil {
			return nil, fmt.Errorf("mail: open contact of signature %d: %w", sig.ID, err)
		}
	}
	l := w.d.Catalog.Localizer(sig.Locale, letter.Lang)
	content := Content{
		Kind:        job.Kind,
		Name:        greet,
		LetterTitle: letter.In(sig.Locale).Title,
		LetterURL:   w.d.BaseURL + "/letters/" + letter.Slug,
		ExpiresAt:   l.DateTime(sig.TokenExpiresAt),
		Status:      sig.Status,
		SiteName:    w.d.SiteName,
		Contact:     w.d.Contact,
		ReasonText:  w.reasonText(sig.ReasonCode),
	}
	if sig.Status == store.StatusUnconfirmed && sig.TokenSealed != nil {
		if content.ConfirmURL, err = w.linkURL("/confirm/", vault.PurposeToken, sig.ID, sig.TokenSealed); err != nil {
			return nil, err
		}
	}
	if text != nil {
		content.ChangedOn, content.Note, content.NoteLang = l.DateTime(text.CreatedAt), text.Note, text.Lang
	}
	if sig.ManageSealed != nil {
		if content.ManageURL, err = w.linkURL("/manage/", vault.PurposeManage, sig.ID, sig.ManageSealed); err != nil {
			return nil, err
		}
	}
	if update != nil {
		if err := w.addUpdate(&content, sig, letter, update); err != nil {
			return nil, err
		}
	}
	msg, err := w.d.Renderer.Render(content, l)
	if err != nil {
		return nil, err
	}
	msg.From, msg.To, msg.ReplyTo = w.d.Config.From, to, w.d.Contact
	return msg, nil
}

// addUpdate puts the update into c, in the signer's language or else the
// letter's own, with the signer's one-click unsubscribe link.
func (w *Worker) addUpdate(c *Content, sig *store.Signature, letter *letters.Letter, update *store.LetterUpdate) error {
	text, ok := update.In(sig.Locale, letter.Lang)
	if !ok {
		return fmt.Errorf("mail: update %d has no text in %s or %s", update.ID, sig.Locale, letter.Lang)
	}
	body, err := w.d.Markdown.Render(text.Body)
	if err != nil {
		return fmt.Errorf("mail: update %d in %s: %w", update.ID, text.Lang, err)
	}
	token, err := w.d.Vault.UnsubscribeLink(sig.ID)
	if err != nil {
		return fmt.Errorf("mail: unsubscribe link of signature %d: %w", sig.ID, err)
	}
	c.UpdateSubject, c.UpdateText, c.UpdateHTML, c.UpdateLang = text.Subject, text.Body, body, text.Lang
	c.UnsubscribeURL = w.d.BaseURL + "/unsubscribe/" + token
	return nil
}

// obsolete reports whether a job's mail no longer makes sense for sig as it
// is now: a confirmation link for a signature confirmed meanwhile, or a
// notice of a change for one that no longer stands (rejected or withdrawn),
// or an update for one that no longer stands or has unsubscribed.
func obsolete(job store.MailJob, sig *store.Signature) bool {
	switch job.Kind {
	case store.MailConfirm:
		return sig.Status != store.StatusUnconfirmed
	case store.MailLetterChanged:
		return !slices.Contains(store.StandingStatuses(), sig.Status)
	case store.MailLetterUpdate:
		return !slices.Contains(store.StandingStatuses(), sig.Status) || !sig.KeepInformed || sig.UnsubscribedAt != nil
	}
	return false
}

// linkURL is the address of a signer's link under path, from its sealed
// secret.
func (w *Worker) linkURL(path, purpose string, signatureID uint64, sealed []byte) (string, error) {
	token, err := w.d.Vault.OpenLink(purpose, signatureID, sealed)
	if err != nil {
		return "", fmt.Errorf("mail: open the %s link of signature %d: %w", purpose, signatureID, err)
	}
	return w.d.BaseURL + path + token, nil
}

func (w *Worker) reasonText(code string) string {
	for _, r := range w.d.Reasons {
		if r.Code == code {
			return r.Text
		}
	}
	return ""
}
