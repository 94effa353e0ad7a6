// Package letters keeps the open letters: it syncs those written in config.yaml
// into the letters table at start-up and serves them, rendered, from memory.
package letters

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"html/template"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/yuin/goldmark"
	"gorm.io/gorm"

	"github.com/undersigned/undersigned/pkg/config"
	"github.com/undersigned/undersigned/pkg/i18n"
	"github.com/undersigned/undersigned/pkg/store"
)

// Letter is an open letter ready to show: its row plus the body rendered to HTML.
type Letter struct {
	ID          uint
	Slug        string
	Title       string
	Summary     string
	BodyHTML    template.HTML
	Lang        string
	Version     string
	OpensAt     time.Time
	ClosesAt    time.Time
	PublishAt   time.Time
	reviewKinds []store.Kind
	goals       []int64 // smallest first
	// texts are the translations, by language tag; the fields above are the
	// text in Lang.
	texts map[string]Text
}

// Text is a letter's text in one language.
type Text struct {
	Lang     string
	Title    string
	Summary  string
	BodyHTML template.HTML
}

// Dir is the writing direction of the text's language, for its dir attribute.
func (t Text) Dir() string { return i18n.DirOf(t.Lang) }

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
	return Text{Lang: l.Lang, Title: l.Title, Summary: l.Summary, BodyHTML: l.BodyHTML}
}

// Languages lists the languages the letter is written in, its own first.
func (l *Letter) Languages() []string {
	langs := []string{l.Lang}
	for tag := range l.texts {
		langs = append(langs, tag)
	}
	slices.Sort(langs[1:])
	return langs
}

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

// OpenForSigning reports whether the letter accepts signatures at now.
func (l *Letter) OpenForSigning(now time.Time) bool {
	return (l.OpensAt.IsZero() || !now.Before(l.OpensAt)) && (l.ClosesAt.IsZero() || now.Before(l.ClosesAt))
}

// ListIsPublic reports whether the signatories and totals may be shown at now;
// before PublishAt a letter can collect signatures under embargo.
func (l *Letter) ListIsPublic(now time.Time) bool {
	return l.PublishAt.IsZero() || !now.Before(l.PublishAt)
}

// Registry holds the letters in config order; it is built once at start-up and
// only read afterwards.
type Registry struct {
	ordered []*Letter
	bySlug  map[string]*Letter
}

// BySlug returns the letter with that slug, or false.
func (r *Registry) BySlug(slug string) (*Letter, bool) {
	l, ok := r.bySlug[slug]
	return l, ok
}

// ByID returns the letter with that id, or false.
func (r *Registry) ByID(id uint) (*Letter, bool) {
	for _, l := range r.ordered {
		if l.ID == id {
			return l, true
		}
	}
	return nil, false
}

// All returns the letters in the order config.yaml lists them.
func (r *Registry) All() []*Letter { return r.ordered }

// Sync writes the configured letters into the database (inserting new ones and
// updating changed ones) and returns them rendered.
func Sync(ctx context.Context, st *store.Store, configured []config.Letter) (*Registry, error) {
	reg := &Registry{bySlug: map[string]*Letter{}}
	md := goldmark.New()
	err := st.Write(ctx, func(tx *gorm.DB) error {
		for _, c := range configured {
			row := toRow(c)
			if err := store.UpsertLetter(tx, &row); err != nil {
				return err
			}
			l, err := render(md, row, c)
			if err != nil {
				return err
			}
			reg.ordered = append(reg.ordered, l)
			reg.bySlug[l.Slug] = l
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("letters: sync: %w", err)
	}
	return reg, nil
}

func toRow(c config.Letter) store.Letter {
	// The version covers every language's text: a change to any is a new version.
	h := sha256.New()
	h.Write([]byte(c.Title + "\x00" + c.Summary + "\x00" + c.Body))
	tags := slices.Sorted(maps.Keys(c.Translations))
	for _, tag := range tags {
		t := c.Translations[tag]
		h.Write([]byte("\x00" + tag + "\x00" + t.Title + "\x00" + t.Summary + "\x00" + t.Body))
	}
	sum := h.Sum(nil)
	return store.Letter{
		Slug:        c.Slug,
		Title:       c.Title,
		Summary:     c.Summary,
		Body:        c.Body,
		Lang:        c.Lang,
		VersionHash: hex.EncodeToString(sum),
		OpensAt:     timePtr(c.OpensAt),
		ClosesAt:    timePtr(c.ClosesAt),
		PublishAt:   timePtr(c.PublishAt),
		ReviewKinds: strings.Join(c.Review, ","),
	}
}

func render(md goldmark.Markdown, row store.Letter, c config.Letter) (*Letter, error) {
	var body bytes.Buffer
	// goldmark leaves raw HTML out unless told otherwise, so the body cannot
	// carry script even if config.yaml is edited carelessly.
	if err := md.Convert([]byte(c.Body), &body); err != nil {
		return nil, fmt.Errorf("letters: render %q: %w", c.Slug, err)
	}
	l := &Letter{
		ID:        row.ID,
		Slug:      row.Slug,
		Title:     row.Title,
		Summary:   row.Summary,
		BodyHTML:  template.HTML(body.String()),
		Lang:      row.Lang,
		Version:   row.VersionHash,
		OpensAt:   c.OpensAt,
		ClosesAt:  c.ClosesAt,
		PublishAt: c.PublishAt,
	}
	for _, k := range c.Review {
		l.reviewKinds = append(l.reviewKinds, store.Kind(k))
	}
	l.goals = slices.Clone(c.Goals)
	l.texts = map[string]Text{}
	for tag, t := range c.Translations {
		var html bytes.Buffer
		if err := md.Convert([]byte(t.Body), &html); err != nil {
			return nil, fmt.Errorf("letters: render %q in %s: %w", c.Slug, tag, err)
		}
		l.texts[tag] = Text{Lang: tag, Title: t.Title, Summary: t.Summary, BodyHTML: template.HTML(html.String())}
	}
	return l, nil
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	t = t.UTC()
	return &t
}
