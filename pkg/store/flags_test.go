package store_test

import (
	"context"
	"testing"

	"gorm.io/gorm"

	"github.com/undersigned/undersigned/pkg/store"
)

// TestNameKeysMatchWhatReadersTakeForOneName checks the duplicate check's
// name key: case, accents, punctuation and look-alike letters of another
// script do not tell names apart; different names stay apart.
func TestNameKeysMatchWhatReadersTakeForOneName(t *testing.T) {
	for _, c := range []struct {
		a, b string
		same bool
	}{
		{"Access Now", "access-now!", true},
		{"Access Now", "\u0410ccess Now", true}, // Cyrillic А
		{"Médecins du Monde", "MEDECINS DU MONDE", true},
		{"Access Now", "Access Later", false},
		{"Amnesty", "Amnesty International", false},
	} {
		if got := store.NameKey(c.a) == store.NameKey(c.b); got != c.same {
			t.Errorf("%q and %q: same key %v, want %v (%q, %q)", c.a, c.b, got, c.same, store.NameKey(c.a), store.NameKey(c.b))
		}
	}
}

// TestConfusableNames checks that a name whose letters of one script imitate
// another's is confusable, and that names written in one script, or in
// several each as such, are not.
func TestConfusableNames(t *testing.T) {
	for name, want := range map[string]bool{
		"\u0410pple":       true,  // Cyrillic А, Latin rest
		"Access N\u043ew":  true,  // Cyrillic о
		"Apple":            false, // Latin only
		"Яблоко":           false, // Cyrillic only
		"東京 Climate Forum": false, // two scripts, neither imitating
		"Ελληνικό Forum":   false,
	} {
		if got := store.Confusable(name); got != want {
			t.Errorf("Confusable(%q) = %v, want %v", name, got, want)
		}
	}
}

// TestContactMailboxes checks which addresses a duplicate check takes for
// one mailbox.
func TestContactMailboxes(t *testing.T) {
	for in, want := range map[string]string{
		"jane+letter@mail.ngo.example": "jane@ngo.example",
		"jane@ngo.example":             "jane@ngo.example",
		"jane@ngo.co.uk":               "jane@ngo.co.uk",
		"press@sub.ngo.co.uk":          "press@ngo.co.uk",
	} {
		if got := store.ContactMailbox(in); got != want {
			t.Errorf("ContactMailbox(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestMigrationKeysAndFlagsSignatures takes a database back to before
// signatures had duplicate keys and flags, with two confirmed organisations
// of one name, one with a look-alike name, and migrates it: the schema is a
// fresh database's, each row has its keys, the one awaiting review is
// flagged a possible duplicate, and the look-alike as confusable too.
func TestMigrationKeysAndFlagsSignatures(t *testing.T) {
	st, _ := openTemp(t)
	names := map[string]store.Status{"Access Now": store.StatusPublished, "access-now!": store.StatusPendingReview, "\u0410ccess Now": store.StatusRejected}
	migrateFrom(t, st, append(append(undoLetterUpdates(), undoPartnersAndSources()...),
		"DROP INDEX idx_signatures_name_key",
		"DROP INDEX idx_signatures_site_domain",
		"DROP INDEX idx_signatures_contact_key",
		"ALTER TABLE signatures DROP COLUMN name_key",
		"ALTER TABLE signatures DROP COLUMN site_domain",
		"ALTER TABLE signatures DROP COLUMN contact_key",
		"ALTER TABLE signatures DROP COLUMN flags",
		"DELETE FROM migrations WHERE id = '2026120505_signature_flags'",
		// The later step's columns go too, so that both come back in order.
		"DROP TABLE imports",
		"DROP INDEX idx_signatures_import_id",
		"ALTER TABLE signatures DROP COLUMN import_id",
		"ALTER TABLE signatures DROP COLUMN source",
		"DELETE FROM migrations WHERE id = '2026120506_signature_imports'",
	), func(tx *gorm.DB, letterID uint) error {
		for name, status := range names {
			err := tx.Exec("INSERT INTO signatures (letter_id, kind, name, website, country, show_name, email_hash, status, token_hash, "+
				"locale, letter_version, consent_version) VALUES (?, 'organisation', ?, 'https://www.accessnow.example', 'GB', true, ?, ?, '', 'en', 'v', 'c')",
				letterID, name, name, status).Error
			if err != nil {
				return err
			}
		}
		return nil
	})
	var sigs []store.Signature
	if err := st.Read(context.Background()).Order("id").Find(&sigs).Error; err != nil {
		t.Fatal(err)
	}
	for _, sig := range sigs {
		if sig.NameKey != store.NameKey("Access Now") || sig.SiteDomain != "accessnow.example" {
			t.Errorf("%q: name key %q, site %q; want %q, accessnow.example", sig.Name, sig.NameKey, sig.SiteDomain, store.NameKey("Access Now"))
		}
		wantDuplicate, wantConfusable := sig.Status == store.StatusPendingReview, sig.Name == "\u0410ccess Now"
		if sig.Has(store.FlagDuplicate) != wantDuplicate || sig.Has(store.FlagConfusable) != wantConfusable {
			t.Errorf("%q (%s): flags %v; want duplicate %v, confusable %v", sig.Name, sig.Status, sig.FlagsOf(), wantDuplicate, wantConfusable)
		}
	}
}
