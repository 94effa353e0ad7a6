package store_test

import (
	"context"
	"strings"
	"testing"

	"gorm.io/gorm"

	"github.com/undersigned/undersigned/pkg/store"
)

// TestLinksMailedBeforeIDsStillWork takes a database back to the schema
// before links carried ids, with a signature whose links were mailed then,
// and migrates it: the links are found through legacy_links, signing no
// longer writes their indexes, and the schema is a fresh database's.
func TestLinksMailedBeforeIDsStillWork(t *testing.T) {
	st, _ := openTemp(t)
	fresh := schemaOf(t, st)
	ctx := context.Background()
	var sigID uint64
	err := st.Write(ctx, func(tx *gorm.DB) error {
		for _, stmt := range []string{
			"DROP TABLE legacy_links",
			"CREATE INDEX `idx_signatures_token_hash` ON `signatures`(`token_hash`)",
			"CREATE INDEX `idx_signatures_manage_hash` ON `signatures`(`manage_hash`)",
			"DELETE FROM migrations WHERE id = '2026112701_links_carry_ids'",
		} {
			if err := tx.Exec(stmt).Error; err != nil {
				return err
			}
		}
		letter := &store.Letter{Slug: "l", Title: "L", Body: "b", Lang: "en", VersionHash: "v"}
		if err := tx.Create(letter).Error; err != nil {
			return err
		}
		sig := &store.Signature{LetterID: letter.ID, Kind: store.KindIndividual, Name: "Ada", Country: "GB",
			EmailHash: "e", Status: store.StatusUnconfirmed, TokenHash: "old-token", ManageHash: "old-manage",
			Locale: "en", LetterVersion: "v", ConsentVersion: "c"}
		err := tx.Create(sig).Error
		sigID = sig.ID
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if migrated := schemaOf(t, st); strings.Join(migrated, "\n") != strings.Join(fresh, "\n") {
		t.Errorf("the migrated schema differs from a fresh one:\n%s\n\n%s", strings.Join(migrated, "\n"), strings.Join(fresh, "\n"))
	}
	db := st.Read(ctx)
	for _, c := range []struct{ column, hash string }{{"token_hash", "old-token"}, {"manage_hash", "old-manage"}} {
		if sig, err := store.FindSignatureByLegacyLink(db, c.column, c.hash); err != nil || sig.ID != sigID {
			t.Errorf("legacy %s %q: %v, %v; want signature %d", c.column, c.hash, sig, err, sigID)
		}
	}
	if sig, err := store.FindSignatureByLegacyLink(db, "token_hash", "old-manage"); err == nil {
		t.Errorf("a manage link confirmed signature %d", sig.ID)
	}
	err = st.Write(ctx, func(tx *gorm.DB) error {
		return tx.Model(&store.Signature{}).Where("id = ?", sigID).Update("token_hash", "").Error
	})
	if err != nil {
		t.Fatal(err)
	}
	if sig, err := store.FindSignatureByLegacyLink(db, "token_hash", "old-token"); err == nil {
		t.Errorf("an erased token still finds signature %d", sig.ID)
	}
}
