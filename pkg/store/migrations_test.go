package store_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/undersigned/undersigned/pkg/store"
)

// TestLinksMailedBeforeIDsStillWork takes a database back to the schema
// before links carried ids, with a signature whose links were mailed then,
// and migrates it: the links are found through legacy_links, signing no
// longer writes their indexes, and the schema is a fresh database's.
func TestLinksMailedBeforeIDsStillWork(t *testing.T) {
	st, _ := openTemp(t)
	ctx := context.Background()
	var sigID uint64
	migrateFrom(t, st, []string{
		"DROP TABLE legacy_links",
		"CREATE INDEX `idx_signatures_token_hash` ON `signatures`(`token_hash`)",
		"CREATE INDEX `idx_signatures_manage_hash` ON `signatures`(`manage_hash`)",
		"DELETE FROM migrations WHERE id = '2026112701_links_carry_ids'",
	}, func(tx *gorm.DB, letterID uint) error {
		sig := &store.Signature{LetterID: letterID, Kind: store.KindIndividual, Name: "Ada", Country: "GB",
			EmailHash: "e", Status: store.StatusUnconfirmed, TokenHash: "old-token", ManageHash: "old-manage",
			Locale: "en", LetterVersion: "v", ConsentVersion: "c"}
		err := tx.Create(sig).Error
		sigID = sig.ID
		return err
	})
	db := st.Read(ctx)
	for _, c := range []struct {
		column store.LinkColumn
		hash   string
	}{{store.TokenLink, "old-token"}, {store.ManageLink, "old-manage"}} {
		if sig, err := store.FindSignatureByLegacyLink(db, c.column, c.hash); err != nil || sig.ID != sigID {
			t.Errorf("legacy %s %q: %v, %v; want signature %d", c.column, c.hash, sig, err, sigID)
		}
	}
	if sig, err := store.FindSignatureByLegacyLink(db, store.TokenLink, "old-manage"); err == nil {
		t.Errorf("a manage link confirmed signature %d", sig.ID)
	}
	err := st.Write(ctx, func(tx *gorm.DB) error {
		return tx.Model(&store.Signature{}).Where("id = ?", sigID).Update("token_hash", "").Error
	})
	if err != nil {
		t.Fatal(err)
	}
	if sig, err := store.FindSignatureByLegacyLink(db, store.TokenLink, "old-token"); err == nil {
		t.Errorf("an erased token still finds signature %d", sig.ID)
	}
}

// TestWallIndexBecomesPublishedOnly takes a database back to the public
// list's index of every row, and migrates it: the schema is a fresh
// database's, and the rows are all still there and listed as before.
func TestWallIndexBecomesPublishedOnly(t *testing.T) {
	st, _ := openTemp(t)
	ctx := context.Background()
	letterID := migrateFrom(t, st, []string{
		"DROP INDEX idx_signatures_wall",
		"DROP INDEX idx_signatures_queue",
		"CREATE INDEX `idx_signatures_list` ON `signatures`(`letter_id`,`status`,`country`,`kind`,`sort_key`)",
		"DELETE FROM migrations WHERE id = '2026112702_wall_index_published_only'",
	}, func(tx *gorm.DB, letterID uint) error {
		for _, s := range []struct {
			name   string
			status store.Status
		}{{"Ada", store.StatusPublished}, {"Bea", store.StatusUnconfirmed}, {"Cy", store.StatusPublished}} {
			sig := &store.Signature{LetterID: letterID, Kind: store.KindOrganisation, Name: s.name, Country: "GB",
				EmailHash: s.name, Status: s.status, Locale: "en", LetterVersion: "v", ConsentVersion: "c"}
			sig.SetDerived(st.SortKeys)
			if err := tx.Create(sig).Error; err != nil {
				return err
			}
		}
		return nil
	})
	listed, err := store.PublishedSignatories(st.Read(ctx), letterID, store.SignatoryFilter{Country: "GB"})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range listed {
		names = append(names, s.Name)
	}
	if got := strings.Join(names, ","); got != "Ada,Cy" {
		t.Errorf("after the migration the public list is %q, want Ada,Cy", got)
	}
	var rows int64
	if err := st.Read(ctx).Model(&store.Signature{}).Count(&rows).Error; err != nil || rows != 3 {
		t.Errorf("%d signatures after the migration (%v), want 3", rows, err)
	}
}

// migrateFrom takes st back to an earlier schema with the statements undo,
// stores a letter and what add puts in it, migrates, and checks that the
// schema is then a fresh database's. It returns the letter's id.
func migrateFrom(t *testing.T, st *store.Store, undo []string, add func(tx *gorm.DB, letterID uint) error) uint {
	t.Helper()
	fresh := schemaOf(t, st)
	ctx := context.Background()
	var letterID uint
	err := st.Write(ctx, func(tx *gorm.DB) error {
		for _, stmt := range undo {
			if err := tx.Exec(stmt).Error; err != nil {
				return err
			}
		}
		// The letter as every schema so far has it.
		err := tx.Exec("INSERT INTO letters (slug, title, body, lang, version_hash, publish_at, created_at, updated_at) " +
			"VALUES ('l', 'L', 'b', 'en', 'v', '2030-01-01 00:00:00+00:00', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)").Error
		if err == nil {
			err = tx.Raw("SELECT id FROM letters WHERE slug = 'l'").Scan(&letterID).Error
		}
		if err != nil {
			return err
		}
		return add(tx, letterID)
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	same := func(schema []string) string {
		out := make([]string, len(schema))
		for i, sql := range schema {
			// ALTER TABLE … ADD COLUMN writes ", " where CREATE TABLE writes ",".
			sql = strings.ReplaceAll(sql, ", `", ",`")
			// GORM writes a table's foreign keys in map order: compare them
			// sorted, the table's closing parenthesis set aside.
			parts := strings.Split(strings.TrimSuffix(sql, ")"), ",CONSTRAINT ")
			slices.Sort(parts[1:])
			out[i] = strings.Join(parts, ",CONSTRAINT ") + ")"
		}
		return strings.Join(out, "\n")
	}
	if migrated := schemaOf(t, st); same(migrated) != same(fresh) {
		t.Errorf("the migrated schema differs from a fresh one:\n%s\n\n%s", strings.Join(migrated, "\n"), strings.Join(fresh, "\n"))
	}
	return letterID
}

// TestMigrationMovesLettersIntoTheDatabase takes a database back to before
// letters had states and versioned texts, with a letter under embargo: its
// text becomes its first version, its state the one its date leads away
// from, and the schema is a fresh database's.
func TestMigrationMovesLettersIntoTheDatabase(t *testing.T) {
	st, _ := openTemp(t)
	letterID := migrateFrom(t, st, []string{
		"DROP TABLE letter_texts",
		"ALTER TABLE letters DROP COLUMN state",
		"ALTER TABLE letters DROP COLUMN archived_at",
		"ALTER TABLE letters DROP COLUMN goals",
		"DELETE FROM migrations WHERE id = '2026120501_letters_in_the_database'",
	}, func(*gorm.DB, uint) error { return nil })
	db := st.Read(context.Background())
	letter, err := store.LetterByID(db, letterID)
	if err != nil {
		t.Fatal(err)
	}
	if letter.State != store.LetterEmbargo {
		t.Errorf("a letter with a date to publish: state %q, want embargo", letter.State)
	}
	text, err := store.CurrentText(db, letterID, "en")
	if err != nil {
		t.Fatal(err)
	}
	if text.Version != 1 || text.Title != "L" || text.Body != "b" {
		t.Errorf("first version: %+v, want the letter's own text as version 1", text)
	}
}

// TestMigrationCountsUnpublishedNames takes a database back to before
// letter_changes counted unpublished names: the column comes back, zero for
// the letters changed so far, and the schema is a fresh database's.
func TestMigrationCountsUnpublishedNames(t *testing.T) {
	st, _ := openTemp(t)
	letterID := migrateFrom(t, st, []string{
		"ALTER TABLE letter_changes DROP COLUMN unpublished",
		"DELETE FROM migrations WHERE id = '2026120401_letter_changes_unpublished'",
	}, func(tx *gorm.DB, letterID uint) error {
		return tx.Exec("INSERT INTO letter_changes (letter_id, seq) VALUES (?, 7)", letterID).Error
	})
	c, err := store.LetterCounters(st.Read(context.Background()), letterID)
	if err != nil || c.Seq != 7 || c.Unpublished != 0 {
		t.Errorf("after the migration: %+v (%v)", c, err)
	}
}

// TestMigrationNamesTheLetterOfAuditEvents takes a database back to before
// audit events named their letter: the column and its index come back, the
// events about a signature name the signature's letter, the others none.
func TestMigrationNamesTheLetterOfAuditEvents(t *testing.T) {
	st, _ := openTemp(t)
	var aboutSignature, aboutStaff store.AuditEvent
	letterID := migrateFrom(t, st, []string{
		"DROP INDEX idx_audit_events_letter_id",
		"ALTER TABLE audit_events DROP COLUMN letter_id",
		"DELETE FROM migrations WHERE id = '2026120502_audit_events_letter'",
	}, func(tx *gorm.DB, letterID uint) error {
		sig := &store.Signature{LetterID: letterID, Kind: store.KindIndividual, Name: "Ada", Country: "GB",
			EmailHash: "e", Status: store.StatusPendingReview, Locale: "en", LetterVersion: "v", ConsentVersion: "c"}
		if err := tx.Create(sig).Error; err != nil {
			return err
		}
		if err := tx.Exec("INSERT INTO audit_events (staff_email, action, signature_id, created_at) VALUES ('signer', 'confirm', ?, CURRENT_TIMESTAMP)", sig.ID).Error; err != nil {
			return err
		}
		return tx.Exec("INSERT INTO audit_events (staff_email, action, created_at) VALUES ('a@b.example', 'staff_add', CURRENT_TIMESTAMP)").Error
	})
	db := st.Read(context.Background())
	if err := db.Where("action = ?", "confirm").Take(&aboutSignature).Error; err != nil {
		t.Fatal(err)
	}
	if err := db.Where("action = ?", "staff_add").Take(&aboutStaff).Error; err != nil {
		t.Fatal(err)
	}
	if aboutSignature.LetterID == nil || *aboutSignature.LetterID != letterID {
		t.Errorf("the signature's event names letter %v, want %d", aboutSignature.LetterID, letterID)
	}
	if aboutStaff.LetterID != nil {
		t.Errorf("the staff event names letter %d, want none", *aboutStaff.LetterID)
	}
}

// TestMigrationLetsTheOutboxAddressStaff takes a database back to before
// staff digests, when every mail job named a signature, with a staff member
// and two jobs, and migrates it: the jobs keep their ids, states and
// signature, the member gets the hourly digest, ids go on after the last one
// used, a job can name a staff member, each foreign key cascades, and the
// schema (indexes included) is a fresh database's.
func TestMigrationLetsTheOutboxAddressStaff(t *testing.T) {
	st, _ := openTemp(t)
	ctx := context.Background()
	now := time.Date(2026, 12, 10, 9, 0, 0, 0, time.UTC)
	var sigID uint64
	migrateFrom(t, st, append(undoLetterUpdates(),
		"ALTER TABLE staffs DROP COLUMN digest",
		"ALTER TABLE staffs DROP COLUMN last_digest_at",
		"DROP TABLE mail_jobs",
		"CREATE TABLE `mail_jobs` (`id` integer PRIMARY KEY AUTOINCREMENT,`kind` text NOT NULL,`signature_id` integer NOT NULL,"+
			"`status` text NOT NULL,`attempts` integer NOT NULL DEFAULT 0,`next_attempt_at` datetime NOT NULL,`last_error` text NOT NULL DEFAULT \"\","+
			"`sent_at` datetime,`created_at` datetime,`updated_at` datetime,CONSTRAINT `fk_mail_jobs_signature` FOREIGN KEY (`signature_id`) "+
			"REFERENCES `signatures`(`id`) ON DELETE CASCADE)",
		"CREATE INDEX `idx_mail_jobs_due` ON `mail_jobs`(`status`,`next_attempt_at`)",
		"CREATE INDEX `idx_mail_jobs_signature_id` ON `mail_jobs`(`signature_id`)",
		"DELETE FROM migrations WHERE id = '2026120503_staff_digests'",
		"DELETE FROM migrations WHERE id = '2026120504_mail_jobs_letter_text'",
		"DELETE FROM migrations WHERE id = '2026120517_mail_jobs_due_by_class'",
	), func(tx *gorm.DB, letterID uint) error {
		var err error
		if sigID, err = addPublished(tx, letterID); err != nil {
			return err
		}
		for _, stmt := range []string{
			"INSERT INTO staffs (email, role, password_hash, disabled) VALUES ('mod@campaign.example', 'moderator', 'h', false)",
			"INSERT INTO mail_jobs (id, kind, signature_id, status, next_attempt_at) VALUES (7, 'published', ?, 'sent', ?)",
			"INSERT INTO mail_jobs (id, kind, signature_id, status, next_attempt_at) VALUES (9, 'confirm', ?, 'queued', ?)",
			"DELETE FROM mail_jobs WHERE id = 9", // the last id used is gone; it must not be used again
			"INSERT INTO mail_jobs (id, kind, signature_id, status, next_attempt_at) VALUES (8, 'confirm', ?, 'queued', ?)",
		} {
			args := []any{}
			if strings.Contains(stmt, "?") {
				args = []any{sigID, now}
			}
			if err := tx.Exec(stmt, args...).Error; err != nil {
				return err
			}
		}
		return nil
	})
	db := st.Read(ctx)
	var jobs []store.MailJob
	if err := db.Order("id").Find(&jobs).Error; err != nil {
		t.Fatal(err)
	}
	if len(jobs) != 2 || jobs[0].ID != 7 || jobs[0].Status != store.JobSent || jobs[1].ID != 8 || jobs[1].Status != store.JobQueued ||
		jobs[0].SignatureID == nil || *jobs[0].SignatureID != sigID || jobs[1].StaffID != nil {
		t.Fatalf("jobs after the migration: %+v", jobs)
	}
	member, err := store.StaffByEmail(db, "mod@campaign.example")
	if err != nil || member.Digest != store.DigestHourly || member.LastDigestAt != nil {
		t.Fatalf("staff member after the migration: %+v (%v)", member, err)
	}
	var queued bool
	err = st.Write(ctx, func(tx *gorm.DB) error {
		var err error
		queued, err = store.QueueDigest(tx, member.ID, store.DigestHourly, now, now)
		return err
	})
	var digest store.MailJob
	if err == nil {
		err = db.Where("staff_id = ?", member.ID).Take(&digest).Error
	}
	if err != nil || !queued || digest.ID != 10 || digest.SignatureID != nil || digest.Kind != store.MailDigest {
		t.Fatalf("digest job: %+v, queued %v (%v); want id 10, after the last used", digest, queued, err)
	}
	err = st.Write(ctx, func(tx *gorm.DB) error {
		if err := tx.Exec("DELETE FROM signatures WHERE id = ?", sigID).Error; err != nil {
			return err
		}
		return tx.Exec("DELETE FROM staffs WHERE id = ?", member.ID).Error
	})
	var left int64
	if err == nil {
		err = db.Model(&store.MailJob{}).Count(&left).Error
	}
	if err != nil || left != 0 {
		t.Errorf("%d jobs left once their signature and staff member are deleted (%v); want none", left, err)
	}
}

// TestMigrationLetsMailJobsNameATextVersion takes a database back to before
// mail jobs could name a text version, with a job queued, and migrates it:
// the job is kept with no text named, a notice can name one, and the schema
// is a fresh database's.
func TestMigrationLetsMailJobsNameATextVersion(t *testing.T) {
	st, _ := openTemp(t)
	ctx := context.Background()
	now := time.Date(2026, 12, 10, 9, 0, 0, 0, time.UTC)
	var sigID uint64
	letterID := migrateFrom(t, st, append(undoLetterUpdates(),
		"ALTER TABLE mail_jobs DROP COLUMN letter_text_id",
		"DELETE FROM migrations WHERE id = '2026120504_mail_jobs_letter_text'",
		"DELETE FROM migrations WHERE id = '2026120517_mail_jobs_due_by_class'",
	), func(tx *gorm.DB, letterID uint) error {
		var err error
		if sigID, err = addPublished(tx, letterID); err != nil {
			return err
		}
		return tx.Exec("INSERT INTO mail_jobs (kind, signature_id, status, next_attempt_at) VALUES ('published', ?, 'queued', ?)", sigID, now).Error
	})
	text := store.LetterText{LetterID: letterID, Lang: "en", Version: 2, Title: "L", Body: "b", Change: store.TextMaterial}
	err := st.Write(ctx, func(tx *gorm.DB) error {
		if err := store.SaveLetterText(tx, &text, now); err != nil {
			return err
		}
		_, _, err := store.QueueLetterChanged(tx, letterID, text.ID, 0, 10, now)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	var jobs []store.MailJob
	if err := st.Read(ctx).Order("id").Find(&jobs).Error; err != nil {
		t.Fatal(err)
	}
	if len(jobs) != 2 || jobs[0].LetterTextID != nil || jobs[1].Kind != store.MailLetterChanged ||
		jobs[1].LetterTextID == nil || *jobs[1].LetterTextID != text.ID || *jobs[1].SignatureID != sigID {
		t.Errorf("jobs after the migration: %+v", jobs)
	}
}

// addPublished stores Ada's published signature of the letter, as any
// schema since signatures began holds it, and returns its id.
func addPublished(tx *gorm.DB, letterID uint) (uint64, error) {
	var id uint64
	err := tx.Raw("INSERT INTO signatures (letter_id, kind, name, country, show_name, email_hash, status, token_hash, locale, "+
		"letter_version, consent_version, created_at, updated_at) VALUES (?, 'individual', 'Ada', 'GB', true, 'e', 'published', '', "+
		"'en', 'v', 'c', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP) RETURNING id", letterID).Scan(&id).Error
	return id, err
}

// TestMigrationAddsImports takes a database back to before signatures could
// be imported, with a signature, and migrates it: the signature's source is
// the sign form and it names no import, the imports table is there, and the
// schema is a fresh database's.
func TestMigrationAddsImports(t *testing.T) {
	st, _ := openTemp(t)
	migrateFrom(t, st, append([]string{
		"DROP TABLE imports",
		"DROP INDEX idx_signatures_import_id",
		"ALTER TABLE signatures DROP COLUMN import_id",
		"ALTER TABLE signatures DROP COLUMN source",
		"DELETE FROM migrations WHERE id = '2026120506_signature_imports'",
	}, append(undoPartnersAndSources(), undoLetterUpdates()...)...), func(tx *gorm.DB, letterID uint) error {
		return tx.Exec("INSERT INTO signatures (letter_id, kind, name, country, show_name, email_hash, status, token_hash, locale, "+
			"letter_version, consent_version, created_at, updated_at) VALUES (?, 'individual', 'Ada', 'GB', true, 'e', 'published', '', "+
			"'en', 'v', 'c', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)", letterID).Error
	})
	var sig store.Signature
	if err := st.Read(context.Background()).Take(&sig).Error; err != nil {
		t.Fatal(err)
	}
	if sig.Source != store.SourceForm || sig.ImportID != nil {
		t.Errorf("a signature from before imports: source %q, import %v; want form, none", sig.Source, sig.ImportID)
	}
	if imports, err := store.RecentImports(st.Read(context.Background()), 10); err != nil || len(imports) != 0 {
		t.Errorf("imports after the migration: %v, %v", imports, err)
	}
}

// TestMigrationAddsSignatureMedia takes a database back to before
// signatures had statements and logos, with a published signature, and
// migrates it: the signature can be given a statement, deleting the
// signature deletes the statement, and the schema is a fresh database's.
func TestMigrationAddsSignatureMedia(t *testing.T) {
	st, _ := openTemp(t)
	var sigID uint64
	migrateFrom(t, st, []string{
		"DROP TABLE signature_media",
		"DELETE FROM migrations WHERE id = '2026120507_signature_media'",
	}, func(tx *gorm.DB, letterID uint) error {
		var err error
		sigID, err = addPublished(tx, letterID)
		return err
	})
	ctx := context.Background()
	err := st.Write(ctx, func(tx *gorm.DB) error {
		return store.InsertMedia(tx, sigID, store.MediaUpload{Statement: "Because."}, time.Date(2026, 12, 10, 9, 0, 0, 0, time.UTC))
	})
	if err != nil {
		t.Fatal(err)
	}
	m, err := store.MediaOf(st.Read(ctx), sigID)
	if err != nil || m.Statement != "Because." || m.StatementStatus != store.MediaPending {
		t.Fatalf("media after the migration: %+v, %v", m, err)
	}
	if err := st.Write(ctx, func(tx *gorm.DB) error { return tx.Exec("DELETE FROM signatures").Error }); err != nil {
		t.Fatal(err)
	}
	if _, err := store.MediaOf(st.Read(ctx), sigID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("media of a deleted signature: %v, want ErrNotFound", err)
	}
}

// TestMigrationAddsDeliveryRecords takes a database back to before
// deliveries were recorded: the campaign keys, salts, deliveries and their
// leaves come back as a fresh database has them.
func TestMigrationAddsDeliveryRecords(t *testing.T) {
	st, _ := openTemp(t)
	migrateFrom(t, st, []string{
		"DROP TABLE delivery_leaves",
		"DROP TABLE deliveries",
		"DROP TABLE signature_salts",
		"DROP TABLE campaign_keys",
		"DELETE FROM migrations WHERE id = '2026120508_delivery_records'",
	}, func(*gorm.DB, uint) error { return nil })
	keys, err := store.CampaignKeys(st.Read(context.Background()))
	if err != nil || len(keys) != 0 {
		t.Errorf("campaign keys after the migration: %v, %v", keys, err)
	}
}

// TestMigrationFillsTheHistory takes a database back to before the hourly
// history, with signatures in every state, and migrates it: each standing or
// decided signature counts as confirmed in its hour of confirmation, each
// published one as published in its hour of publication, the hours add up to
// the letter's numbers, and the schema is a fresh database's.
func TestMigrationFillsTheHistory(t *testing.T) {
	st, _ := openTemp(t)
	nine, ten := time.Date(2026, 12, 1, 9, 15, 0, 0, time.UTC), time.Date(2026, 12, 1, 10, 40, 0, 0, time.UTC)
	letterID := migrateFrom(t, st, []string{
		"DROP TABLE signature_hours",
		"DELETE FROM migrations WHERE id = '2026120509_signature_hours'",
	}, func(tx *gorm.DB, letterID uint) error {
		for i, s := range []struct {
			status               store.Status
			confirmed, published *time.Time
			ref                  string
		}{
			{store.StatusPublished, &nine, &ten, "partner"},
			{store.StatusPublished, &nine, &nine, ""},
			{store.StatusHidden, &nine, &nine, ""},
			{store.StatusPendingReview, &ten, nil, ""},
			{store.StatusWithdrawn, &nine, &nine, ""},
			{store.StatusUnconfirmed, nil, nil, ""},
		} {
			sig := &store.Signature{LetterID: letterID, Kind: store.KindIndividual, Name: "Ada", Country: "GB",
				EmailHash: fmt.Sprint("e", i), Status: s.status, ConfirmedAt: s.confirmed, PublishedAt: s.published, Ref: s.ref,
				Locale: "en", LetterVersion: "v", ConsentVersion: "c"}
			if err := tx.Create(sig).Error; err != nil {
				return err
			}
		}
		return nil
	})
	got, err := store.LetterHistory(st.Read(context.Background()), letterID)
	if err != nil {
		t.Fatal(err)
	}
	nineHour, tenHour := nine.Truncate(time.Hour), ten.Truncate(time.Hour)
	want := []store.HistoryPoint{{At: nineHour, Confirmed: 3, Published: 1}, {At: tenHour, Confirmed: 1, Published: 1}}
	if !slices.Equal(got, want) {
		t.Errorf("history after the migration: %+v, want %+v", got, want)
	}
	partner, err := store.SourceHistory(st.Read(context.Background()), letterID, "partner")
	if want := []store.HistoryPoint{{At: nineHour, Confirmed: 1}, {At: tenHour, Published: 1}}; err != nil || !slices.Equal(partner, want) {
		t.Errorf("the partner's history: %+v, %v; want %+v", partner, err, want)
	}
}

// TestMigrationAddsPartnersAndSources takes a database back to before
// partners and campaign tags, with a signature that came through a code,
// and migrates it: the signature keeps its code and has no tags, a partner
// can be stored, and the schema is a fresh database's.
func TestMigrationAddsPartnersAndSources(t *testing.T) {
	st, _ := openTemp(t)
	letterID := migrateFrom(t, st, append(undoPartnersAndSources(), undoLetterUpdates()...), func(tx *gorm.DB, letterID uint) error {
		return tx.Exec("INSERT INTO signatures (letter_id, kind, name, country, show_name, email_hash, status, token_hash, locale, "+
			"letter_version, consent_version, ref, created_at, updated_at) VALUES (?, 'individual', 'Ada', 'GB', true, 'e', 'published', '', "+
			"'en', 'v', 'c', 'eff', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)", letterID).Error
	})
	ctx := context.Background()
	var sig store.Signature
	if err := st.Read(ctx).Take(&sig).Error; err != nil {
		t.Fatal(err)
	}
	if sig.Ref != "eff" || sig.UTMSource != "" || sig.UTMMedium != "" || sig.UTMCampaign != "" {
		t.Errorf("a signature from before campaign tags: %+v", sig)
	}
	err := st.Write(ctx, func(tx *gorm.DB) error {
		return store.InsertPartner(tx, &store.Partner{LetterID: letterID, Name: "EFF", Code: "eff", TokenHash: "h"})
	})
	if err != nil {
		t.Fatal(err)
	}
	counts, err := store.SourceCounts(st.Read(ctx), letterID)
	if err != nil || len(counts) != 1 || counts[0] != (store.SourceCount{Ref: "eff", Confirmed: 1, Published: 1}) {
		t.Errorf("sources after the migration: %+v, %v", counts, err)
	}
}

// undoPartnersAndSources takes a database back to before partners and
// campaign tags; a test of an earlier step that drops signature columns
// runs it too, so that every column comes back in order.
func undoPartnersAndSources() []string {
	return []string{
		"DROP TABLE partners",
		"ALTER TABLE signatures DROP COLUMN utm_source",
		"ALTER TABLE signatures DROP COLUMN utm_medium",
		"ALTER TABLE signatures DROP COLUMN utm_campaign",
		"DELETE FROM migrations WHERE id = '2026120510_partners_and_sources'",
	}
}

// TestMigrationAddsWebhooks takes a database back to before letters had
// webhooks: the endpoints and their outbox come back as a fresh database
// has them, and an endpoint can be added to the letter.
func TestMigrationAddsWebhooks(t *testing.T) {
	st, _ := openTemp(t)
	letterID := migrateFrom(t, st, []string{
		"DROP TABLE webhook_deliveries",
		"DROP TABLE webhooks",
		"DELETE FROM migrations WHERE id = '2026120511_webhooks'",
	}, func(*gorm.DB, uint) error { return nil })
	ctx := context.Background()
	err := st.Write(ctx, func(tx *gorm.DB) error {
		return store.AddWebhook(tx, &store.Webhook{LetterID: letterID, URL: "https://crm.example.org/hook", SecretSealed: []byte("s"), Events: "signature.confirmed"})
	})
	if err != nil {
		t.Fatal(err)
	}
	if hooks, err := store.WebhooksOf(st.Read(ctx), letterID); err != nil || len(hooks) != 1 {
		t.Errorf("webhooks after the migration: %v, %v", hooks, err)
	}
}

// undoLetterUpdates takes a database back to before 2026120512_letter_updates.
// The tests of earlier steps that add columns to signatures or mail_jobs run
// it first, so that the later columns come back after theirs, in order.
func undoLetterUpdates() []string {
	return append(undoPartnerContact(),
		"DROP TABLE letter_update_texts",
		"DROP TABLE letter_updates",
		"ALTER TABLE signatures DROP COLUMN keep_informed",
		"ALTER TABLE signatures DROP COLUMN keep_informed_version",
		"ALTER TABLE signatures DROP COLUMN keep_informed_at",
		"ALTER TABLE signatures DROP COLUMN unsubscribed_at",
		"ALTER TABLE mail_jobs DROP COLUMN letter_update_id",
		"DELETE FROM migrations WHERE id = '2026120512_letter_updates'",
	)
}

// undoPartnerContact takes a database back to before 2026120513_partner_contact.
func undoPartnerContact() []string {
	return []string{
		"DROP INDEX idx_signatures_partner_contact",
		"ALTER TABLE signatures DROP COLUMN partner_contact_id",
		"ALTER TABLE signatures DROP COLUMN partner_contact_version",
		"ALTER TABLE signatures DROP COLUMN partner_contact_at",
		"DELETE FROM migrations WHERE id = '2026120513_partner_contact'",
	}
}

// TestMigrationAddsPartnerContact takes a database back to before signers
// could let a partner contact them, with a published signature that came
// through a partner's link, and migrates it: the signature has not allowed
// the partner to contact it, and the schema is a fresh database's.
func TestMigrationAddsPartnerContact(t *testing.T) {
	st, _ := openTemp(t)
	migrateFrom(t, st, undoPartnerContact(), func(tx *gorm.DB, letterID uint) error {
		_, err := addPublished(tx, letterID)
		return err
	})
	var sig store.Signature
	if err := st.Read(context.Background()).Take(&sig).Error; err != nil {
		t.Fatal(err)
	}
	if sig.PartnerContactID != nil || sig.PartnerContactVersion != "" || sig.PartnerContactAt != nil {
		t.Errorf("a signature from before partner contact: %+v", sig)
	}
}

// TestMigrationAddsLetterUpdates takes a database back to before signers
// could ask to be kept informed, with a published signature and a queued
// mail, and migrates it: the signature has not asked for updates, so an
// update queues nothing for it, and the schema is a fresh database's.
func TestMigrationAddsLetterUpdates(t *testing.T) {
	st, _ := openTemp(t)
	now := time.Date(2026, 12, 10, 9, 0, 0, 0, time.UTC)
	letterID := migrateFrom(t, st, undoLetterUpdates(), func(tx *gorm.DB, letterID uint) error {
		sigID, err := addPublished(tx, letterID)
		if err != nil {
			return err
		}
		return tx.Exec("INSERT INTO mail_jobs (kind, signature_id, status, next_attempt_at) VALUES ('published', ?, 'queued', ?)", sigID, now).Error
	})
	err := st.Write(context.Background(), func(tx *gorm.DB) error {
		update := store.LetterUpdate{LetterID: letterID, Texts: []store.LetterUpdateText{{Lang: "en", Subject: "News", Body: "b"}}}
		if err := store.SaveLetterUpdate(tx, &update, store.SignerActor(), now); err != nil {
			return err
		}
		if n, _, err := store.QueueLetterUpdate(tx, letterID, update.ID, 0, 10, now); err != nil || n != 0 {
			return fmt.Errorf("an update queued %d mails (%v) for a signature from before updates, want none", n, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestMigrationIndexesPublicationTimes takes a database back to before the
// index of publication times and migrates it: the schema is a fresh
// database's.
func TestMigrationIndexesPublicationTimes(t *testing.T) {
	st, _ := openTemp(t)
	migrateFrom(t, st, []string{
		"DROP INDEX idx_signatures_published_at",
		"DELETE FROM migrations WHERE id = '2026120515_published_at_index'",
	}, func(tx *gorm.DB, letterID uint) error {
		_, err := addPublished(tx, letterID)
		return err
	})
}

// TestMigrationIndexesQueuedMailByClass takes a database back to before the
// indexes of queued mail by class, with mail queued, and migrates it: the
// schema is a fresh database's.
func TestMigrationIndexesQueuedMailByClass(t *testing.T) {
	st, _ := openTemp(t)
	migrateFrom(t, st, []string{
		"DROP INDEX idx_mail_jobs_due_now",
		"DROP INDEX idx_mail_jobs_due_bulk",
		"DELETE FROM migrations WHERE id = '2026120517_mail_jobs_due_by_class'",
	}, func(tx *gorm.DB, letterID uint) error {
		sigID, err := addPublished(tx, letterID)
		if err != nil {
			return err
		}
		return tx.Exec("INSERT INTO mail_jobs (kind, signature_id, status, next_attempt_at) VALUES ('letter_update', ?, 'queued', CURRENT_TIMESTAMP)", sigID).Error
	})
}
