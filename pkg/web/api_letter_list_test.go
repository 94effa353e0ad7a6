package web_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/undersigned/undersigned/pkg/config"
	"github.com/undersigned/undersigned/pkg/web/webtest"
)

type letterListJSON struct {
	Letters []struct {
		Slug        string     `json:"slug"`
		Title       string     `json:"title"`
		Lang        string     `json:"lang"`
		Languages   []string   `json:"languages"`
		State       string     `json:"state"`
		Total       int64      `json:"total"`
		Countries   int        `json:"countries"`
		OpensAt     *time.Time `json:"opens_at"`
		ClosesAt    *time.Time `json:"closes_at"`
		PublishedAt *time.Time `json:"published_at"`
	} `json:"letters"`
}

// TestAPIListsThePublicLetters: GET /api/v1/letters lists every public
// letter with its totals, state and dates, titled in the reader's language
// where a translation exists; an embargoed letter is left out.
func TestAPIListsThePublicLetters(t *testing.T) {
	closed := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	h := webtest.New(t, func(c *config.Config) {
		c.Letters[0].Review = nil
		c.Letters[0].Translations = map[string]config.LetterText{"fr": {Title: "Gardez le chiffrement fort", Body: "Nous demandons."}}
		c.Letters = append(c.Letters,
			config.Letter{Slug: "old-letter", Title: "An old letter", Body: "Done.", Lang: "en", ClosesAt: closed},
			config.Letter{Slug: "secret-letter", Title: "Not yet", Body: "Soon.", Lang: "en", PublishAt: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)})
	})
	signAndConfirm(t, h, webtest.SignForm("ada@example.org"))

	list := getJSON[letterListJSON](t, h, "/api/v1/letters?lang=fr")
	if len(list.Letters) != 2 {
		t.Fatalf("%d letters listed, want the two public ones: %+v", len(list.Letters), list.Letters)
	}
	first, old := list.Letters[0], list.Letters[1]
	if first.Slug != webtest.LetterSlug || first.Title != "Gardez le chiffrement fort" || first.Lang != "fr" ||
		first.State != "open" || first.Total != 1 || first.Countries != 1 || len(first.Languages) != 2 {
		t.Errorf("the open letter: %+v", first)
	}
	if old.Slug != "old-letter" || old.Title != "An old letter" || old.State != "closed" || old.ClosesAt == nil || !old.ClosesAt.Equal(closed) {
		t.Errorf("the closed letter: %+v", old)
	}
	res := h.Get("/api/v1/letters", "Accept-Language", "fr")
	if etag := res.Header.Get("ETag"); etag == "" || !strings.Contains(res.Header.Get("Vary"), "Accept-Language") {
		t.Errorf("ETag %q, Vary %q: a shared cache could serve one language's titles to another", etag, res.Header.Get("Vary"))
	} else if again := h.Get("/api/v1/letters", "Accept-Language", "fr", "If-None-Match", etag); again.Status != http.StatusNotModified {
		t.Errorf("the same list again: %d, want 304", again.Status)
	}
	if got := getJSON[letterJSON](t, h, "/api/v1/letters/"+webtest.LetterSlug+"?lang=fr"); got.Title != "Gardez le chiffrement fort" {
		t.Errorf("one letter's title in French: %q", got.Title)
	}
	if got := getJSON[letterJSON](t, h, "/api/v1/letters/"+webtest.LetterSlug+"?lang=en"); got.Title != "Keep encryption strong" {
		t.Errorf("one letter's title in English: %q", got.Title)
	}
}
