package letters

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"

	"github.com/undersigned/undersigned/pkg/store"
)

// Limits on what staff may write, in characters unless said otherwise.
const (
	maxSlug       = 80
	maxTitle      = 300
	maxSummary    = 1000
	maxRecipients = 300
	maxNote       = 1000
	// MaxBodyBytes is the largest body a letter may have, in bytes of
	// Markdown.
	MaxBodyBytes = 100 << 10
	maxGoal      = 1_000_000_000
)

var slugPattern = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

// FieldErrors maps a form field's name to the message id that explains what
// is wrong with it.
type FieldErrors map[string]string

// ValidationError is returned when what staff submitted has FieldErrors;
// nothing was stored.
type ValidationError struct{ Fields FieldErrors }

// Error lists the fields that are wrong.
func (e *ValidationError) Error() string {
	return "letters: invalid " + strings.Join(slices.Sorted(maps.Keys(e.Fields)), ", ")
}

// ErrNotFound is returned for a letter id that names no letter.
var ErrNotFound = errors.New("letters: no such letter")

// MoveError is returned when a letter cannot make a move from the state it
// is in, such as closing a draft.
type MoveError struct {
	Event Event
	From  store.LetterState
}

// Error says which move was refused from which state.
func (e *MoveError) Error() string {
	return fmt.Sprintf("letters: cannot %s a letter that is %s", e.Event, e.From)
}

// Notifier tells a letter's confirmed signers that its text changed
// materially; the outbox sends the mails, never in the way of signing.
type Notifier interface {
	TextChanged(ctx context.Context, letterID uint, text store.LetterText) error
}

// Console is what staff do to letters in the console: write, translate,
// schedule and move them. Each change is audited in the transaction that
// makes it and reloads the registry, so it is served at once.
type Console struct {
	st       *store.Store
	reg      *Registry
	markdown *Markdown
	notify   Notifier
	now      func() time.Time
}

// NewConsole returns the console's letters service; notify may be nil
// until the outbox exists, in which case no one is told of changes.
func NewConsole(st *store.Store, reg *Registry, markdown *Markdown, notify Notifier, now func() time.Time) *Console {
	return &Console{st: st, reg: reg, markdown: markdown, notify: notify, now: now}
}

// Settings are a letter's properties other than its texts and dates.
type Settings struct {
	Slug   string
	Lang   string // its own language, one of the interface languages
	Review []store.Kind
}

// TextFields are a letter's text in one language.
type TextFields struct {
	Title      string
	Summary    string
	Recipients string
	Body       string // Markdown
}

// Draft is a new letter.
type Draft struct {
	Settings
	TextFields
	Goal int64 // 0: none
}

// Create stores a new letter as a draft, unseen by the public until it is
// opened or published.
func (c *Console) Create(ctx context.Context, by store.Actor, d Draft, langs []string) (*Letter, error) {
	d.Slug, d.Lang = strings.TrimSpace(d.Slug), strings.TrimSpace(d.Lang)
	errs := FieldErrors{}
	c.checkSettings(d.Settings, langs, errs)
	checkText(&d.TextFields, errs)
	if d.Goal < 0 || d.Goal > maxGoal {
		errs["goal"] = "error.letter.goal_range"
	}
	if len(errs) > 0 {
		return nil, &ValidationError{errs}
	}
	now := c.now()
	row := &store.Letter{Slug: d.Slug, State: store.LetterDraft, ReviewKinds: joinKinds(d.Review), CreatedAt: now, UpdatedAt: now}
	if d.Goal > 0 {
		row.Goals = strconv.FormatInt(d.Goal, 10)
	}
	first := store.LetterText{Lang: d.Lang, Title: d.Title, Summary: d.Summary, Recipients: d.Recipients, Body: d.Body,
		EditedBy: by.Name, CreatedAt: now, UpdatedAt: now}
	err := c.st.Write(ctx, func(tx *gorm.DB) error {
		if err := store.CreateLetter(tx, row, first); err != nil {
			return err
		}
		return store.AuditLetter(tx, by, "letter.create", row, d.Lang, now)
	})
	if errors.Is(err, store.ErrSlugTaken) {
		return nil, &ValidationError{FieldErrors{"slug": "error.letter.slug_taken"}}
	}
	if err != nil {
		return nil, err
	}
	return c.reloaded(ctx, row.ID)
}

// Preview renders a body as the letter page will show it, after checking
// its size.
func (c *Console) Preview(body string) (template.HTML, error) {
	if len(body) > MaxBodyBytes {
		return "", &ValidationError{FieldErrors{"body": "error.letter.body_long"}}
	}
	return c.markdown.Render(body)
}

// UpdateSettings changes a letter's slug, language and review kinds. The
// slug is fixed once anyone has signed: links to it are out in the world.
func (c *Console) UpdateSettings(ctx context.Context, by store.Actor, id uint, s Settings, langs []string) error {
	s.Slug, s.Lang = strings.TrimSpace(s.Slug), strings.TrimSpace(s.Lang)
	errs := FieldErrors{}
	c.checkSettings(s, langs, errs)
	if len(errs) > 0 {
		return &ValidationError{errs}
	}
	now := c.now()
	err := c.st.Write(ctx, func(tx *gorm.DB) error {
		row, err := c.row(tx, id)
		if err != nil {
			return err
		}
		if s.Slug != row.Slug {
			signed, err := store.LetterHasSignatures(tx, id)
			if err != nil {
				return err
			}
			if signed {
				return &ValidationError{FieldErrors{"slug": "error.letter.slug_locked"}}
			}
		}
		if s.Lang != row.Lang {
			if _, err := store.CurrentText(tx, id, s.Lang); errors.Is(err, store.ErrNotFound) {
				return &ValidationError{FieldErrors{"lang": "error.letter.lang_untranslated"}}
			} else if err != nil {
				return err
			}
		}
		before := fmt.Sprintf("%s %s [%s]", row.Slug, row.Lang, row.ReviewKinds)
		row.Slug, row.Lang, row.ReviewKinds = s.Slug, s.Lang, joinKinds(s.Review)
		if err := store.UpdateLetter(tx, row, now); err != nil {
			return err
		}
		detail := fmt.Sprintf("%s → %s %s [%s]", before, row.Slug, row.Lang, row.ReviewKinds)
		return store.AuditLetter(tx, by, "letter.settings", row, detail, now)
	})
	if errors.Is(err, store.ErrSlugTaken) {
		err = &ValidationError{FieldErrors{"slug": "error.letter.slug_taken"}}
	}
	if err != nil {
		return err
	}
	return c.reg.Reload(ctx)
}

// TextEdit is an edit to a letter's text in one language, or its first
// text in a new one.
type TextEdit struct {
	Lang string
	TextFields
	// Change says whether an edit to a text people have signed is a minor
	// one or a material one, which mails the signers; it is ignored before
	// anyone has signed.
	Change store.TextChange
	Note   string // for a material change: what changed, in a sentence or two for the signers
}

// Saved says what SaveText did.
type Saved struct {
	Version  int  // the version now current in the language
	New      bool // a new version was made, keeping the one people signed
	Notified bool // the signers are being mailed about a material change
}

// SaveText writes a letter's text in one language. Until anyone has signed,
// it overwrites the current version; from then on it adds a version, so
// that every signature keeps the text it agreed to, and staff must say
// whether the change is minor or material. A material change mails every
// confirmed signer of the letter, through the outbox.
func (c *Console) SaveText(ctx context.Context, by store.Actor, id uint, e TextEdit, langs []string) (Saved, error) {
	errs := FieldErrors{}
	if !slices.Contains(langs, e.Lang) {
		errs["lang"] = "error.letter.lang"
	}
	checkText(&e.TextFields, errs)
	e.Note = strings.TrimSpace(e.Note)
	if utf8.RuneCountInString(e.Note) > maxNote {
		errs["note"] = "error.letter.note_long"
	}
	if len(errs) > 0 {
		return Saved{}, &ValidationError{errs}
	}
	now := c.now()
	var saved Saved
	var text store.LetterText
	err := c.st.Write(ctx, func(tx *gorm.DB) error {
		row, err := c.row(tx, id)
		if err != nil {
			return err
		}
		current, err := store.CurrentText(tx, id, e.Lang)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		signed, err := store.LetterHasSignatures(tx, id)
		if err != nil {
			return err
		}
		text, saved, err = nextText(current, signed, e, by, now)
		if err != nil {
			return err
		}
		text.LetterID = id // a first text in a new language has no current one to take it from
		if err := store.SaveLetterText(tx, &text, now); err != nil {
			return err
		}
		detail := fmt.Sprintf("%s version %d", e.Lang, text.Version)
		if saved.New {
			detail += " (" + string(text.Change) + ")"
		}
		return store.AuditLetter(tx, by, "letter.text", row, detail, now)
	})
	if err != nil {
		return Saved{}, err
	}
	if err := c.reg.Reload(ctx); err != nil {
		return saved, err
	}
	if saved.Notified && c.notify != nil {
		if err := c.notify.TextChanged(ctx, id, text); err != nil {
			return saved, err
		}
	}
	return saved, nil
}

// nextText is the row SaveText writes for e over current (nil for a new
// language): the same version, overwritten, before anyone has signed or
// when nothing in it changed, and a new one after.
func nextText(current *store.LetterText, signed bool, e TextEdit, by store.Actor, now time.Time) (store.LetterText, Saved, error) {
	t := store.LetterText{Lang: e.Lang, Title: e.Title, Summary: e.Summary, Recipients: e.Recipients, Body: e.Body,
		EditedBy: by.Name, Version: 1}
	if current == nil {
		return t, Saved{Version: 1}, nil
	}
	t.LetterID = current.LetterID
	same := current.Title == t.Title && current.Summary == t.Summary && current.Recipients == t.Recipients && current.Body == t.Body
	if !signed || same {
		t.ID, t.Version, t.CreatedAt, t.Change, t.Note = current.ID, current.Version, current.CreatedAt, current.Change, current.Note
		return t, Saved{Version: t.Version}, nil
	}
	switch e.Change {
	case store.TextMinor, store.TextMaterial:
	default:
		return t, Saved{}, &ValidationError{FieldErrors{"change": "error.letter.change_required"}}
	}
	if e.Change == store.TextMaterial && e.Note == "" {
		return t, Saved{}, &ValidationError{FieldErrors{"note": "error.letter.note_required"}}
	}
	t.Version, t.Change, t.Note = current.Version+1, e.Change, e.Note
	return t, Saved{Version: t.Version, New: true, Notified: e.Change == store.TextMaterial}, nil
}

// Source is the current text of a letter in lang, as staff wrote it, for
// the edit form; ErrNotFound when it has none in lang.
func (c *Console) Source(ctx context.Context, id uint, lang string) (*store.LetterText, error) {
	t, err := store.CurrentText(c.st.Read(ctx), id, lang)
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrNotFound
	}
	return t, err
}

// Signed reports whether anyone has signed the letter: the console then
// locks its slug and asks what kind of change an edit is.
func (c *Console) Signed(ctx context.Context, id uint) (bool, error) {
	return store.LetterHasSignatures(c.st.Read(ctx), id)
}

func (c *Console) checkSettings(s Settings, langs []string, errs FieldErrors) {
	switch {
	case s.Slug == "":
		errs["slug"] = "error.letter.slug_required"
	case len(s.Slug) > maxSlug || !slugPattern.MatchString(s.Slug):
		errs["slug"] = "error.letter.slug_format"
	}
	if !slices.Contains(langs, s.Lang) {
		errs["lang"] = "error.letter.lang"
	}
	for _, k := range s.Review {
		if !slices.Contains(store.Kinds(), k) {
			errs["review"] = "error.letter.review"
		}
	}
}

func checkText(t *TextFields, errs FieldErrors) {
	t.Title, t.Summary, t.Recipients = strings.TrimSpace(t.Title), strings.TrimSpace(t.Summary), strings.TrimSpace(t.Recipients)
	t.Body = strings.TrimRight(strings.ReplaceAll(t.Body, "\r\n", "\n"), " \n")
	switch {
	case t.Title == "":
		errs["title"] = "error.letter.title_required"
	case utf8.RuneCountInString(t.Title) > maxTitle:
		errs["title"] = "error.letter.title_long"
	}
	if utf8.RuneCountInString(t.Summary) > maxSummary {
		errs["summary"] = "error.letter.summary_long"
	}
	if utf8.RuneCountInString(t.Recipients) > maxRecipients {
		errs["recipients"] = "error.letter.recipients_long"
	}
	switch {
	case strings.TrimSpace(t.Body) == "":
		errs["body"] = "error.letter.body_required"
	case len(t.Body) > MaxBodyBytes:
		errs["body"] = "error.letter.body_long"
	}
}

func joinKinds(kinds []store.Kind) string {
	s := make([]string, 0, len(kinds))
	for _, k := range kinds {
		s = append(s, string(k))
	}
	return strings.Join(s, ",")
}

// row loads the letter with id for a change, or ErrNotFound.
func (c *Console) row(tx *gorm.DB, id uint) (*store.Letter, error) {
	row, err := store.LetterByID(tx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrNotFound
	}
	return row, err
}

// reloaded reloads the registry and returns the letter with id from it.
func (c *Console) reloaded(ctx context.Context, id uint) (*Letter, error) {
	if err := c.reg.Reload(ctx); err != nil {
		return nil, err
	}
	l, ok := c.reg.ByID(id)
	if !ok {
		return nil, ErrNotFound
	}
	return l, nil
}
