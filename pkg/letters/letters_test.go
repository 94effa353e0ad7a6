package letters_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/undersigned/undersigned/pkg/config"
	"github.com/undersigned/undersigned/pkg/letters"
	"github.com/undersigned/undersigned/pkg/store"
)

var langs = []string{"en", "ar", "de", "es", "fr", "pt"}

// clock is the tests' time, moved by hand.
type clock struct{ now time.Time }

func (c *clock) Now() time.Time { return c.now }

// notices records the material changes the console reports.
type notices struct{ texts []store.LetterText }

func (n *notices) TextChanged(_ context.Context, _ uint, text store.LetterText) error {
	n.texts = append(n.texts, text)
	return nil
}

type fixture struct {
	st      *store.Store
	reg     *letters.Registry
	console *letters.Console
	clock   *clock
	notices *notices
	admin   store.Actor
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	st, err := store.Open(store.Options{Driver: "sqlite", DataDir: t.TempDir(), Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	ctx := context.Background()
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	md := letters.NewMarkdown()
	reg, err := letters.Load(ctx, st, md)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{st: st, reg: reg, clock: &clock{now: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)}, notices: &notices{},
		admin: store.Actor{Name: "admin@campaign.example"}}
	f.console = letters.NewConsole(st, reg, md, f.notices, f.clock.Now)
	return f
}

func (f *fixture) create(t *testing.T, slug string) *letters.Letter {
	t.Helper()
	l, err := f.console.Create(context.Background(), f.admin, letters.Draft{
		Settings:   letters.Settings{Slug: slug, Lang: "en", Review: []store.Kind{store.KindOrganisation}},
		TextFields: letters.TextFields{Title: "Protect encryption", Summary: "A letter.", Recipients: "To the leaders", Body: "We ask you to **protect** encryption."},
	}, langs)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func (f *fixture) sign(t *testing.T, letterID uint, status store.Status, version string) {
	t.Helper()
	err := f.st.Write(context.Background(), func(tx *gorm.DB) error {
		return tx.Create(&store.Signature{LetterID: letterID, Kind: store.KindIndividual, Name: "Ada", Country: "GB",
			EmailHash: version + string(status), Status: status, Locale: "en", LetterVersion: version, ConsentVersion: "c"}).Error
	})
	if err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) actions(t *testing.T) []string {
	t.Helper()
	events, err := store.AuditEvents(f.st.Read(context.Background()), store.AuditFilter{}, 100, 0)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for i := len(events) - 1; i >= 0; i-- {
		out = append(out, events[i].Action+" by "+events[i].StaffEmail)
	}
	return out
}

func fieldError(t *testing.T, err error) letters.FieldErrors {
	t.Helper()
	var invalid *letters.ValidationError
	if !errors.As(err, &invalid) {
		t.Fatalf("got %v, want a validation error", err)
	}
	return invalid.Fields
}

func TestStateAtFollowsTheDates(t *testing.T) {
	at := func(h int) time.Time { return time.Date(2026, 12, 1, h, 0, 0, 0, time.UTC) }
	for _, c := range []struct {
		name string
		l    letters.Letter
		now  time.Time
		want store.LetterState
	}{
		{"draft without dates", letters.Letter{State: store.LetterDraft}, at(12), store.LetterDraft},
		{"draft before opening", letters.Letter{State: store.LetterDraft, OpensAt: at(10)}, at(9), store.LetterDraft},
		{"draft at opening", letters.Letter{State: store.LetterDraft, OpensAt: at(10)}, at(10), store.LetterEmbargo},
		{"draft past opening and publication", letters.Letter{State: store.LetterDraft, OpensAt: at(10), PublishAt: at(11)}, at(11), store.LetterPublic},
		{"embargo without a date stays", letters.Letter{State: store.LetterEmbargo}, at(23), store.LetterEmbargo},
		{"embargo does not close on its own", letters.Letter{State: store.LetterEmbargo, ClosesAt: at(10)}, at(11), store.LetterEmbargo},
		{"public past closing", letters.Letter{State: store.LetterPublic, ClosesAt: at(10)}, at(10), store.LetterClosed},
		{"archived stays", letters.Letter{State: store.LetterArchived, ClosesAt: at(10)}, at(11), store.LetterArchived},
	} {
		if got := c.l.StateAt(c.now); got != c.want {
			t.Errorf("%s: %s, want %s", c.name, got, c.want)
		}
	}
}

func TestImportTakesOnlyWhatTheDatabaseLacks(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	configured := []config.Letter{{Slug: "from-config", Title: "From config", Body: "Body.", Lang: "en",
		PublishAt: f.clock.now.Add(time.Hour), Goals: []int64{100, 1000}}}
	if n, err := letters.Import(ctx, f.st, configured, f.clock.now); err != nil || n != 1 {
		t.Fatalf("first import: %d texts, %v; want 1", n, err)
	}
	if err := f.reg.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	l, _ := f.reg.BySlug("from-config")
	if l.StateAt(f.clock.now) != store.LetterEmbargo || l.StateAt(f.clock.now.Add(time.Hour)) != store.LetterPublic {
		t.Errorf("a configured letter with a date to publish: %s then %s, want embargo then public",
			l.StateAt(f.clock.now), l.StateAt(f.clock.now.Add(time.Hour)))
	}
	if g, _ := l.GoalFor(150); g.Target != 1000 {
		t.Errorf("goals imported: next target after 150 is %d, want 1000", g.Target)
	}
	// The console edits the letter; config.yaml changing afterwards
	// changes nothing but adds the translation the database lacks.
	if _, err := f.console.SaveText(ctx, f.admin, l.ID, letters.TextEdit{Lang: "en",
		TextFields: letters.TextFields{Title: "Edited in the console", Body: "Body."}}, langs); err != nil {
		t.Fatal(err)
	}
	configured[0].Title = "Changed in config"
	configured[0].Translations = map[string]config.LetterText{"fr": {Title: "Depuis la config", Body: "Corps."}}
	if n, err := letters.Import(ctx, f.st, configured, f.clock.now); err != nil || n != 1 {
		t.Fatalf("second import: %d texts, %v; want the 1 translation", n, err)
	}
	if err := f.reg.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	l, _ = f.reg.BySlug("from-config")
	if got := l.In("en").Title; got != "Edited in the console" {
		t.Errorf("title after config changed: %q, want the console's", got)
	}
	if got := l.In("fr").Title; got != "Depuis la config" {
		t.Errorf("French title: %q, want the imported translation", got)
	}
}

func TestACampaignMovesThroughItsStatesAudited(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	l := f.create(t, "campaign")
	if l.ServedAt(f.clock.now) {
		t.Error("a new draft is served to the public")
	}
	opens, publish := f.clock.now.Add(24*time.Hour), f.clock.now.Add(48*time.Hour)
	err := f.console.SetSchedule(ctx, f.admin, l.ID, letters.Schedule{OpensAt: opens, PublishAt: publish, ClosesAt: opens.Add(-time.Hour)})
	if got := fieldError(t, err)["closes_at"]; got != "error.letter.closes_before_opens" {
		t.Errorf("closing before opening: %q on closes_at", got)
	}
	if err := f.console.SetSchedule(ctx, f.admin, l.ID, letters.Schedule{OpensAt: opens, PublishAt: publish}); err != nil {
		t.Fatal(err)
	}
	l, _ = f.reg.ByID(l.ID)
	if !l.ServedAt(f.clock.now) || l.OpenForSigning(f.clock.now) {
		t.Error("a scheduled draft should be served (saying when it opens) and not take signatures")
	}
	f.clock.now = opens
	if n, err := f.console.Advance(ctx); err != nil || n != 1 {
		t.Fatalf("advance at opening: %d moves, %v; want 1", n, err)
	}
	l, _ = f.reg.ByID(l.ID)
	if l.State != store.LetterEmbargo || !l.OpenForSigning(f.clock.now) || l.ListIsPublic(f.clock.now) {
		t.Errorf("after opening: state %s; want embargo, open, list private", l.State)
	}
	if n, _ := f.console.Advance(ctx); n != 0 {
		t.Errorf("advance again: %d moves, want 0", n)
	}
	if err := f.console.Apply(ctx, f.admin, l.ID, letters.EventPublish); err != nil {
		t.Fatal(err)
	}
	if err := f.console.Apply(ctx, f.admin, l.ID, letters.EventClose); err != nil {
		t.Fatal(err)
	}
	var refused *letters.MoveError
	if err := f.console.Apply(ctx, f.admin, l.ID, letters.EventClose); !errors.As(err, &refused) || refused.From != store.LetterClosed {
		t.Errorf("closing a closed letter: %v, want a MoveError from closed", err)
	}
	l, _ = f.reg.ByID(l.ID)
	if l.OpenForSigning(f.clock.now) || !l.ListIsPublic(f.clock.now) || l.ClosesAt.IsZero() {
		t.Error("a closed letter should show its list, take no signatures and say when it closed")
	}
	if err := f.console.Apply(ctx, f.admin, l.ID, letters.EventReopen); err != nil {
		t.Fatal(err)
	}
	l, _ = f.reg.ByID(l.ID)
	if !l.OpenForSigning(f.clock.now) || !l.ClosesAt.IsZero() {
		t.Error("a reopened letter should take signatures again, with no closing date")
	}
	want := []string{
		"letter.create by admin@campaign.example", "letter.schedule by admin@campaign.example",
		"letter.open by schedule", "letter.publish by admin@campaign.example",
		"letter.close by admin@campaign.example", "letter.reopen by admin@campaign.example",
	}
	if got := f.actions(t); strings.Join(got, "; ") != strings.Join(want, "; ") {
		t.Errorf("audit log:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestEditsBecomeVersionsOnceSigned(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	l := f.create(t, "versions")
	edit := func(body string, change store.TextChange, note string) (letters.Saved, error) {
		return f.console.SaveText(ctx, f.admin, l.ID, letters.TextEdit{Lang: "en", Change: change, Note: note,
			TextFields: letters.TextFields{Title: "Protect encryption", Body: body}}, langs)
	}
	// Before anyone signs, an edit overwrites the only version.
	if saved, err := edit("We ask you to protect encryption.", "", ""); err != nil || saved.Version != 1 || saved.New {
		t.Fatalf("edit before signatures: %+v, %v; want version 1 overwritten", saved, err)
	}
	f.sign(t, l.ID, store.StatusPublished, "en/1")
	if _, err := edit("We ask you to protect strong encryption.", "", ""); fieldError(t, err)["change"] != "error.letter.change_required" {
		t.Errorf("edit after a signature without saying what kind: %v", err)
	}
	if _, err := edit("We ask you to protect strong encryption.", store.TextMaterial, ""); fieldError(t, err)["note"] != "error.letter.note_required" {
		t.Errorf("material edit without a note: %v", err)
	}
	saved, err := edit("We ask you to protect strong encryption.", store.TextMaterial, "We now say strong.")
	if err != nil || saved.Version != 2 || !saved.New || !saved.Notified {
		t.Fatalf("material edit: %+v, %v; want version 2, signers told", saved, err)
	}
	if len(f.notices.texts) != 1 || f.notices.texts[0].Note != "We now say strong." || f.notices.texts[0].Version != 2 {
		t.Errorf("signers told of %+v, want version 2 with the note", f.notices.texts)
	}
	if _, err := edit("We ask you to protect strong encryption!", store.TextMinor, ""); err != nil {
		t.Fatal(err)
	}
	if len(f.notices.texts) != 1 {
		t.Errorf("a minor edit told the signers: %d notices", len(f.notices.texts))
	}
	l, _ = f.reg.ByID(l.ID)
	text := l.In("en")
	if text.Version != 3 || text.UpdatedAt.IsZero() || !strings.Contains(string(text.Changes), "<ins>!</ins>") {
		t.Errorf("current text: version %d, updated %v, changes %q", text.Version, text.UpdatedAt, text.Changes)
	}
	for posted, stale := range map[string]bool{"en/1": true, "en/2": false, "en/3": false} {
		if key, got := l.AgreedVersion(posted, "en"); got != stale || key != posted {
			t.Errorf("signing with the form of %s: %s, stale %v; want stale %v", posted, key, got, stale)
		}
	}
	if key, stale := l.AgreedVersion("en/9", "fr"); key != "en/3" || stale {
		t.Errorf("a version that never was: %s, stale %v; want the current en/3", key, stale)
	}
	// The slug is fixed now that people have signed.
	err = f.console.UpdateSettings(ctx, f.admin, l.ID, letters.Settings{Slug: "renamed", Lang: "en"}, langs)
	if fieldError(t, err)["slug"] != "error.letter.slug_locked" {
		t.Errorf("renaming a signed letter: %v", err)
	}
}

func TestBadInputIsRefusedBesideItsField(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.create(t, "taken")
	_, err := f.console.Create(ctx, f.admin, letters.Draft{
		Settings:   letters.Settings{Slug: "taken", Lang: "en"},
		TextFields: letters.TextFields{Title: "Another", Body: "Text."},
	}, langs)
	if got := fieldError(t, err)["slug"]; got != "error.letter.slug_taken" {
		t.Errorf("slug collision: %q", got)
	}
	_, err = f.console.Create(ctx, f.admin, letters.Draft{
		Settings:   letters.Settings{Slug: "Not A Slug", Lang: "xx"},
		TextFields: letters.TextFields{Title: " ", Body: strings.Repeat("a", letters.MaxBodyBytes+1)},
		Goal:       -1,
	}, langs)
	want := letters.FieldErrors{"slug": "error.letter.slug_format", "lang": "error.letter.lang",
		"title": "error.letter.title_required", "body": "error.letter.body_long", "goal": "error.letter.goal_range"}
	got := fieldError(t, err)
	for field, id := range want {
		if got[field] != id {
			t.Errorf("%s: %q, want %q", field, got[field], id)
		}
	}
	if len(f.reg.All()) != 1 {
		t.Errorf("%d letters after refused creations, want 1", len(f.reg.All()))
	}
}

func TestGoalsReachedStayAndTheNextIsSet(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	l := f.create(t, "goals")
	if err := f.console.SetGoal(ctx, f.admin, l.ID, 100, 0); err != nil {
		t.Fatal(err)
	}
	if err := f.console.SetGoal(ctx, f.admin, l.ID, 90, 120); fieldError(t, err)["goal"] != "error.letter.goal_reached" {
		t.Errorf("a goal below the total: %v", err)
	}
	if err := f.console.SetGoal(ctx, f.admin, l.ID, 500, 120); err != nil {
		t.Fatal(err)
	}
	l, _ = f.reg.ByID(l.ID)
	if got := l.Goals(); len(got) != 2 || got[0] != 100 || got[1] != 500 {
		t.Errorf("goals %v, want [100 500]", got)
	}
}
