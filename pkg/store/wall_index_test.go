package store_test

import (
	"strings"
	"testing"

	"gorm.io/gorm"
)

// TestPostgresWallIndexLeadsWithTheCountry checks, on PostgreSQL, that the
// public list's index has no status column, fresh and after its migration
// step: PostgreSQL leaves the status condition, which the index's own
// implies, out of the scan's bounds, so a status column ahead of country
// made each country's search read the letter's whole index.
func TestPostgresWallIndexLeadsWithTheCountry(t *testing.T) {
	st := openPostgres(t)
	ctx := t.Context()
	columns := func() string {
		var def string
		if err := st.Read(ctx).Raw("SELECT indexdef FROM pg_indexes WHERE indexname = 'idx_signatures_wall'").Scan(&def).Error; err != nil {
			t.Fatal(err)
		}
		return def
	}
	const want = "(letter_id, country, kind, sort_key) WHERE"
	if def := columns(); !strings.Contains(def, want) {
		t.Errorf("fresh: %s", def)
	}
	err := st.Write(ctx, func(tx *gorm.DB) error {
		return tx.Exec(`DROP INDEX idx_signatures_wall;
			CREATE INDEX idx_signatures_wall ON signatures (letter_id, status, country, kind, sort_key) WHERE status = 'published';
			DELETE FROM migrations WHERE id = '2026120516_wall_index_without_status'`).Error
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if def := columns(); !strings.Contains(def, want) {
		t.Errorf("migrated: %s", def)
	}
}
