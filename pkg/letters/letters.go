// Package letters keeps the open letters: it loads them from the database,
// serves them rendered from memory, moves them through their campaign's
// states and lets staff write, translate and schedule them (console.go).
package letters

import (
	"html/template"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/undersigned/undersigned/pkg/i18n"
	"github.com/undersigned/undersigned/pkg/store"
)

// Letter is an open letter ready to show: its row plus its texts rendered
// to HTML. A Letter is never changed once loaded: the registry swaps in new
// ones when staff change a letter.
type Letter struct {
	ID         uint
	Slug       string
	Lang       string // the language it was written in
	State      store.LetterState
	OpensAt    time.Time // zero: no date set
	PublishAt  time.Time
	ClosesAt   time.Time
	ArchivedAt time.Time
	// Revision changes whenever staff change the letter; caches of its
	// pages key on it.
	Revision    string
	reviewKinds []store.Kind
	goals       []int64 // smallest first
	// texts are the current texts, by language tag.
	texts map[string]Text
}

// Text is a letter's current text in one language.
type Text struct {
	Lang       string
	Title      string
	Summary    string
	Recipients string
	BodyHTML   template.HTML
	// Version counts the versions of the text in this language, the
	// current one included; VersionKey names it as signatures record it.
	Version    int
	VersionKey string
	// UpdatedAt is when the current version replaced an earlier one that
	// people had signed; zero for a first version.
	UpdatedAt time.Time
	// Changes shows what the latest version changed, as HTML with <ins>
	// and <del>; empty for a first version.
	Changes template.HTML
	// MaterialSince is the version that made the latest material change,
	// 0 when there was none: someone who read an earlier one has not read
	// what they would sign.
	MaterialSince int
}

// Dir is the writing direction of the text's language, for its dir attribute.
func (t Text) Dir() string { return i18n.DirOf(t.Lang) }

// Title is the letter's title in its own language.
func (l *Letter) Title() string { return l.texts[l.Lang].Title }

// In returns the letter's text in lang, or in its own language when it has
// no translation for lang.
func (l *Letter) In(lang string) Text {
	if t, ok := l.texts[lang]; ok {
		return t
	}
	if base, _, found := strings.Cut(lang, "-"); found {
		if t, ok := l.texts[base]; ok {
			return t
		}
	}
	return l.texts[l.Lang]
}

// Has reports whether the letter has a text in exactly lang.
func (l *Letter) Has(lang string) bool {
	_, ok := l.texts[lang]
	return ok
}

// AgreedVersion names the text version a signer agrees to: the one the
// sign form was drawn with (posted, a VersionKey) when it is a version of
// this letter, else the current one in the signer's locale. It reports
// stale when a material change came after the posted version: the signer
// must read the letter again.
func (l *Letter) AgreedVersion(posted, locale string) (key string, stale bool) {
	current := l.In(locale)
	lang, n, ok := strings.Cut(posted, "/")
	t, known := l.texts[lang]
	version, err := strconv.Atoi(n)
	if !ok || !known || err != nil || version < 1 || version > t.Version {
		return current.VersionKey, false
	}
	return posted, version < t.MaterialSince
}

// Languages lists the languages the letter is written in, its own first.
func (l *Letter) Languages() []string {
	langs := []string{l.Lang}
	for tag := range l.texts {
		if tag != l.Lang {
			langs = append(langs, tag)
		}
	}
	slices.Sort(langs[1:])
	return langs
}

// ReviewKinds lists the kinds of signer whose confirmed signatures wait for
// staff before they are published.
func (l *Letter) ReviewKinds() []store.Kind { return slices.Clone(l.reviewKinds) }

// Goals lists the numbers of signatures the campaign aims for, smallest first.
func (l *Letter) Goals() []int64 { return slices.Clone(l.goals) }

// Goal is where a letter stands against the goals its campaign set.
type Goal struct {
	Target  int64 // the first goal not yet reached, or the last one once all are
	Reached int64 // the signatures counted so far
	Met     bool  // every goal is reached
}

// GoalFor says where a total of signatures stands against the letter's
// goals: the first goal it has not reached, or, once it has reached them
// all, the last one, met. It reports false when the letter has no goal.
func (l *Letter) GoalFor(total int64) (Goal, bool) {
	if len(l.goals) == 0 {
		return Goal{}, false
	}
	for _, target := range l.goals {
		if total < target {
			return Goal{Target: target, Reached: total}, true
		}
	}
	return Goal{Target: l.goals[len(l.goals)-1], Reached: total, Met: true}, true
}

// NeedsReview reports whether staff must approve a confirmed signer of this kind
// before the name is published.
func (l *Letter) NeedsReview(kind store.Kind) bool {
	return slices.Contains(l.reviewKinds, kind)
}

// StateAt is the letter's state at now: the state its last move wrote,
// moved on by each scheduled date that has passed. A draft with an opening
// date opens (privately) then; an embargoed letter with a publication date
// goes public then; a public letter with a closing date closes then.
func (l *Letter) StateAt(now time.Time) store.LetterState {
	passed := func(t time.Time) bool { return !t.IsZero() && !now.Before(t) }
	s := l.State
	if s == store.LetterDraft && passed(l.OpensAt) {
		s = store.LetterEmbargo
	}
	if s == store.LetterEmbargo && passed(l.PublishAt) {
		s = store.LetterPublic
	}
	if s == store.LetterPublic && passed(l.ClosesAt) {
		s = store.LetterClosed
	}
	return s
}

// OpenForSigning reports whether the letter accepts signatures at now:
// while it collects privately and while it is public.
func (l *Letter) OpenForSigning(now time.Time) bool {
	s := l.StateAt(now)
	return s == store.LetterEmbargo || s == store.LetterPublic
}

// ListIsPublic reports whether the signatories and totals may be shown at
// now: once public, and for good after.
func (l *Letter) ListIsPublic(now time.Time) bool {
	switch l.StateAt(now) {
	case store.LetterPublic, store.LetterClosed, store.LetterArchived:
		return true
	}
	return false
}

// ServedAt reports whether the letter's public pages exist at now: every
// state but a draft, and a draft that has a date to open, whose page says
// when it opens.
func (l *Letter) ServedAt(now time.Time) bool {
	return l.StateAt(now) != store.LetterDraft || !l.OpensAt.IsZero()
}

// ListedAt reports whether the letter appears in the public lists of
// letters (the home page, GET /api/v1/letters) at now: while public and
// once closed, not archived.
func (l *Letter) ListedAt(now time.Time) bool {
	s := l.StateAt(now)
	return s == store.LetterPublic || s == store.LetterClosed
}

// fromRow builds the Letter of a row and its text versions; render turns
// Markdown into HTML.
func fromRow(row store.Letter, versions []store.LetterText, render func(string) (template.HTML, error)) (*Letter, error) {
	l := &Letter{
		ID: row.ID, Slug: row.Slug, Lang: row.Lang, State: row.State,
		OpensAt: deref(row.OpensAt), PublishAt: deref(row.PublishAt), ClosesAt: deref(row.ClosesAt),
		ArchivedAt: deref(row.ArchivedAt), Revision: strconv.FormatInt(row.UpdatedAt.UnixNano(), 36),
		texts: map[string]Text{},
	}
	for _, k := range splitList(row.ReviewKinds) {
		l.reviewKinds = append(l.reviewKinds, store.Kind(k))
	}
	for _, g := range splitList(row.Goals) {
		if n, err := strconv.ParseInt(g, 10, 64); err == nil {
			l.goals = append(l.goals, n)
		}
	}
	// versions come in language then version order: the last of each
	// language is its current text, the one before it what it replaced.
	for i, v := range versions {
		if i+1 < len(versions) && versions[i+1].Lang == v.Lang {
			continue
		}
		t, err := renderText(v, render)
		if err != nil {
			return nil, err
		}
		if i > 0 && versions[i-1].Lang == v.Lang {
			t.UpdatedAt = v.CreatedAt
			t.Changes = Changes(versions[i-1].Body, v.Body)
		}
		for j := i; j >= 0 && versions[j].Lang == v.Lang; j-- {
			if versions[j].Change == store.TextMaterial {
				t.MaterialSince = versions[j].Version
				break
			}
		}
		l.texts[v.Lang] = t
	}
	if _, ok := l.texts[l.Lang]; !ok {
		// A letter always shows some text, even one whose own language's
		// text was lost: its row keeps a copy.
		t, err := renderText(store.LetterText{Lang: row.Lang, Title: row.Title, Summary: row.Summary, Body: row.Body, Version: 1}, render)
		if err != nil {
			return nil, err
		}
		l.texts[l.Lang] = t
	}
	return l, nil
}

func renderText(v store.LetterText, render func(string) (template.HTML, error)) (Text, error) {
	body, err := render(v.Body)
	if err != nil {
		return Text{}, err
	}
	return Text{Lang: v.Lang, Title: v.Title, Summary: v.Summary, Recipients: v.Recipients, BodyHTML: body,
		Version: v.Version, VersionKey: v.VersionKey()}, nil
}

func splitList(s string) []string {
	var out []string
	for part := range strings.SplitSeq(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}

func deref(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.UTC()
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	t = t.UTC()
	return &t
}
