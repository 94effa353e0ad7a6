package web

import (
	"crypto/sha256"
	"fmt"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/undersigned/undersigned/pkg/letters"
)

// apiLetterSummary is one letter in GET /api/v1/letters.
type apiLetterSummary struct {
	Slug          string     `json:"slug"`
	Title         string     `json:"title"`
	Lang          string     `json:"lang"`
	Languages     []string   `json:"languages"`
	State         string     `json:"state"`
	Total         int64      `json:"total"`
	Organisations int64      `json:"organisations"`
	Individuals   int64      `json:"individuals"`
	Countries     int        `json:"countries"`
	OpensAt       *time.Time `json:"opens_at"`
	ClosesAt      *time.Time `json:"closes_at"`
	PublishedAt   *time.Time `json:"published_at"`
}

// apiLetterList is the JSON of GET /api/v1/letters.
type apiLetterList struct {
	Letters []apiLetterSummary `json:"letters"`
}

// apiListLetters lists the public letters (embargoed ones are left out),
// each titled in the reader's language where it has a translation, with its
// totals, its state and its dates, for sites and tools that follow several
// campaigns. Like the other API responses it carries an ETag and varies by
// language.
func (a *App) apiListLetters(c echo.Context) error {
	lang, now := a.localizer(c).Lang(), a.d.Now()
	out := apiLetterList{Letters: []apiLetterSummary{}}
	version := sha256.New() // of what the list says: each letter's snapshot and state, and the language
	for _, letter := range a.d.Letters.All() {
		if !letter.ListedAt(now) {
			continue
		}
		snap, err := a.d.Live.Snapshot(c.Request().Context(), letter.ID)
		if err != nil {
			return err
		}
		text := letter.In(lang)
		out.Letters = append(out.Letters, apiLetterSummary{Slug: letter.Slug, Title: text.Title, Lang: text.Lang,
			Languages: letter.Languages(), State: letterState(letter, now), Total: snap.Totals.Total,
			Organisations: snap.Totals.Organisations, Individuals: snap.Totals.Individuals, Countries: len(snap.Countries()),
			OpensAt: timeOrNil(letter.OpensAt), ClosesAt: timeOrNil(letter.ClosesAt), PublishedAt: timeOrNil(letter.PublishAt)})
		fmt.Fprintf(version, "%d:%d:%s,", letter.ID, snap.Seq, letterState(letter, now))
	}
	if notModified(c, fmt.Sprintf(`W/"letters-%x-%s"`, version.Sum(nil)[:8], lang), apiLetterMaxAge) {
		return nil
	}
	return c.JSON(http.StatusOK, out)
}

// letterState says where a listed letter stands for signing: "open" while
// it takes signatures, "closed" after.
func letterState(l *letters.Letter, now time.Time) string {
	if l.OpenForSigning(now) {
		return "open"
	}
	return "closed"
}

// timeOrNil is t for JSON, or null when it is not set.
func timeOrNil(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	utc := t.UTC()
	return &utc
}
