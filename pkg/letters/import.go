package letters

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/undersigned/undersigned/pkg/config"
	"github.com/undersigned/undersigned/pkg/store"
)

// Import writes into the database the letters of config.yaml it lacks, and
// the translations it lacks of letters it has, and reports how many texts
// it wrote. What the database holds already it leaves alone: once
// imported, a letter belongs to the console.
func Import(ctx context.Context, st *store.Store, configured []config.Letter, now time.Time) (int, error) {
	written := 0
	err := st.Write(ctx, func(tx *gorm.DB) error {
		written = 0
		for _, c := range configured {
			n, err := importLetter(tx, c, now)
			if err != nil {
				return err
			}
			written += n
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("letters: import from config: %w", err)
	}
	return written, nil
}

func importLetter(tx *gorm.DB, c config.Letter, now time.Time) (int, error) {
	row, err := store.LetterBySlug(tx, c.Slug)
	written := 0
	if errors.Is(err, store.ErrNotFound) {
		row = configuredRow(c)
		first := store.LetterText{Lang: c.Lang, Title: c.Title, Summary: c.Summary, Recipients: c.Recipients, Body: c.Body,
			EditedBy: "config.yaml", CreatedAt: now, UpdatedAt: now}
		if err := store.CreateLetter(tx, row, first); err != nil {
			return 0, err
		}
		written++
	} else if err != nil {
		return 0, err
	}
	for _, tag := range slices.Sorted(maps.Keys(c.Translations)) {
		if _, err := store.CurrentText(tx, row.ID, tag); !errors.Is(err, store.ErrNotFound) {
			if err != nil {
				return 0, err
			}
			continue
		}
		t := c.Translations[tag]
		text := store.LetterText{LetterID: row.ID, Lang: tag, Version: 1, Title: t.Title, Summary: t.Summary,
			Recipients: t.Recipients, Body: t.Body, EditedBy: "config.yaml"}
		if err := store.SaveLetterText(tx, &text, now); err != nil {
			return 0, err
		}
		written++
	}
	return written, nil
}

// configuredRow is the row of a letter of config.yaml. Its state is the
// one its first date leads away from, so that StateAt moves it on as the
// dates pass; a letter that opens with no date to publish is public from
// its opening.
func configuredRow(c config.Letter) *store.Letter {
	row := &store.Letter{
		Slug: c.Slug, State: store.LetterPublic,
		OpensAt: timePtr(c.OpensAt), PublishAt: timePtr(c.PublishAt), ClosesAt: timePtr(c.ClosesAt),
		ReviewKinds: strings.Join(c.Review, ","),
	}
	if row.OpensAt != nil && row.PublishAt == nil {
		row.PublishAt = row.OpensAt
	}
	switch {
	case row.OpensAt != nil:
		row.State = store.LetterDraft
	case row.PublishAt != nil:
		row.State = store.LetterEmbargo
	}
	goals := make([]string, 0, len(c.Goals))
	for _, g := range c.Goals {
		goals = append(goals, strconv.FormatInt(g, 10))
	}
	row.Goals = strings.Join(goals, ",")
	return row
}
