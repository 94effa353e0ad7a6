package mail

import (
	"context"
	"errors"
	"fmt"
	"net/url"

	"github.com/undersigned/undersigned/pkg/store"
)

// errNothingToSay marks a digest due when signatures awaited review, all of
// them decided by the time it is sent: it is recorded as sent, unmailed.
var errNothingToSay = errors.New("mail: nothing awaits review any more")

// DigestLine is one letter in a staff member's digest: its title, its counts
// in words, and its review queue.
type DigestLine struct {
	Title    string
	Counts   string
	QueueURL string
}

// composeDigest renders the digest job's message to its staff member, with
// the counts as they are now. A member gone or disabled since it was queued
// gets nothing (store.ErrNotFound). Staff have no language of their own, so
// the digest is in the site's default language: English, the catalogs'
// fallback. It carries counts and letter titles only, never a signer's
// address or name.
func (w *Worker) composeDigest(ctx context.Context, job store.MailJob) (*Message, error) {
	db := w.d.Store.Read(ctx)
	member, err := store.StaffByID(db, *job.StaffID)
	if err != nil {
		return nil, err
	}
	if member.Disabled {
		return nil, store.ErrNotFound
	}
	since, err := store.PreviousDigestAt(db, member.ID, job.ID)
	if err != nil {
		return nil, err
	}
	counts, err := store.AwaitingReviewSince(db, since)
	if err != nil {
		return nil, err
	}
	if len(counts) == 0 {
		return nil, errNothingToSay
	}
	l := w.d.Catalog.Localizer()
	content := Content{
		Kind:        store.MailDigest,
		LetterTitle: w.d.SiteName,
		SiteName:    w.d.SiteName,
		Contact:     w.d.Contact,
		QueueURL:    w.d.BaseURL + "/admin",
		SettingsURL: w.d.BaseURL + "/admin/account",
	}
	for _, c := range counts {
		content.Waiting += c.Waiting
		letter, ok := w.d.Letters.ByID(c.LetterID)
		if !ok {
			continue // no longer served; the whole queue's link still reaches it
		}
		content.Digest = append(content.Digest, DigestLine{
			Title:    letter.In(l.Lang()).Title,
			Counts:   l.T("mail.digest.counts", "Count", c.Waiting, "New", l.Number(c.NewSince)),
			QueueURL: content.QueueURL + "?letter=" + url.QueryEscape(letter.Slug),
		})
	}
	msg, err := w.d.Renderer.Render(content, l)
	if err != nil {
		return nil, fmt.Errorf("mail: digest for staff %d: %w", member.ID, err)
	}
	msg.From, msg.To, msg.ReplyTo = w.d.Config.From, member.Email, w.d.Contact
	return msg, nil
}
