package letters_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/undersigned/undersigned/pkg/config"
	"github.com/undersigned/undersigned/pkg/letters"
	"github.com/undersigned/undersigned/pkg/store"
)

// consoleWithLetter is the console over a fresh SQLite database holding one
// English letter, and that letter.
func consoleWithLetter(t *testing.T) (*letters.Console, *letters.Registry, *letters.Letter) {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(store.Options{Driver: "sqlite", DataDir: t.TempDir(), Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	if _, err := letters.Import(ctx, st, []config.Letter{{Slug: "keep-encryption", Title: "Keep encryption strong", Body: "We ask.", Lang: "en"}}, now); err != nil {
		t.Fatal(err)
	}
	markdown := letters.NewMarkdown()
	reg, err := letters.Load(ctx, st, markdown)
	if err != nil {
		t.Fatal(err)
	}
	letter, ok := reg.BySlug("keep-encryption")
	if !ok {
		t.Fatal("the imported letter is not loaded")
	}
	return letters.NewConsole(st, reg, markdown, nil, func() time.Time { return now }), reg, letter
}

// TestSaveTextAddsATranslation: the first text in a new language is stored
// as version 1 of that letter and served at once.
func TestSaveTextAddsATranslation(t *testing.T) {
	console, reg, letter := consoleWithLetter(t)
	edit := letters.TextEdit{Lang: "fr", TextFields: letters.TextFields{Title: "Gardons un chiffrement fort", Body: "Nous demandons."}}
	saved, err := console.SaveText(context.Background(), store.Actor{Name: "admin@campaign.example"}, letter.ID, edit, []string{"en", "fr"})
	if err != nil {
		t.Fatalf("SaveText: %v", err)
	}
	if saved.Version != 1 || saved.New {
		t.Errorf("saved %+v, want version 1, not a new version", saved)
	}
	now, _ := reg.ByID(letter.ID)
	if !now.Has("fr") || now.In("fr").Title != "Gardons un chiffrement fort" {
		t.Errorf("French text served: %v %q", now.Has("fr"), now.In("fr").Title)
	}
}
