package store

import (
	"context"
	"fmt"
	"time"

	"github.com/go-gormigrate/gormigrate/v2"
	"gorm.io/gorm"
)

// models lists every table, in an order that satisfies foreign keys.
func models() []any {
	return []any{&Letter{}, &Signature{}, &CountryCount{}, &Staff{}, &MailJob{}, &Session{}, &LoginFailure{}, &AuditEvent{}, &Block{}, &LetterChange{}, &LegacyLink{}, &LetterText{}, &Import{}, &SignatureMedia{},
		&CampaignKey{}, &SignatureSalt{}, &Delivery{}, &DeliveryLeaf{}, &SignatureHour{}, &Partner{},
		&Webhook{}, &WebhookDelivery{}, &LetterUpdate{}, &LetterUpdateText{}}
}

// migrations are the steps from one schema version to the next, oldest first.
// A fresh database gets the current schema at once (initSchema) and is marked
// as having run all of them; an existing one runs those it has not. Append a
// step for every change to a model; never edit one that has shipped.
func migrations() []*gormigrate.Migration {
	return []*gormigrate.Migration{
		{ID: "2026112701_links_carry_ids", Migrate: linksCarryIDs},
		{ID: "2026112702_wall_index_published_only", Migrate: wallIndexPublishedOnly},
		{ID: "2026120401_letter_changes_unpublished", Migrate: countUnpublished},
		{ID: "2026120501_letters_in_the_database", Migrate: lettersInTheDatabase},
		{ID: "2026120502_audit_events_letter", Migrate: auditEventsNameLetter},
		{ID: "2026120503_staff_digests", Migrate: staffDigests},
		{ID: "2026120504_mail_jobs_letter_text", Migrate: mailJobsNameLetterText},
		{ID: "2026120505_signature_flags", Migrate: signatureFlags},
		{ID: "2026120506_signature_imports", Migrate: signatureImports},
		{ID: "2026120507_signature_media", Migrate: signatureMediaTable},
		{ID: "2026120508_delivery_records", Migrate: deliveryRecords},
		{ID: "2026120509_signature_hours", Migrate: signatureHours},
		{ID: "2026120510_partners_and_sources", Migrate: partnersAndSources},
		{ID: "2026120511_webhooks", Migrate: webhookTables},
		{ID: "2026120512_letter_updates", Migrate: letterUpdates},
		{ID: "2026120513_partner_contact", Migrate: partnerContact},
		{ID: "2026120514_rate_counts", Migrate: rateCounts},
		{ID: "2026120515_published_at_index", Migrate: publishedAtIndex},
		{ID: "2026120516_wall_index_without_status", Migrate: wallIndexWithoutStatus},
		{ID: "2026120517_mail_jobs_due_by_class", Migrate: dueIndexes},
	}
}

// linksCarryIDs moves the look-up of links mailed so far from two indexes on
// signatures, written with every signature, to legacy_links, written never
// again: links mailed from now on carry the signature's id.
func linksCarryIDs(tx *gorm.DB) error {
	// LegacyLink as it was at this step: a step must not follow later
	// changes to the model.
	type legacyLink struct {
		Hash        string `gorm:"size:64;primaryKey"`
		SignatureID uint64 `gorm:"not null"`
	}
	if err := tx.Table("legacy_links").AutoMigrate(&legacyLink{}); err != nil {
		return err
	}
	for _, column := range []string{"token_hash", "manage_hash"} {
		err := tx.Exec("INSERT INTO legacy_links (hash, signature_id) SELECT " + column + ", id FROM signatures WHERE " +
			column + " <> '' ON CONFLICT DO NOTHING").Error
		if err != nil {
			return err
		}
		if err := dropIndexIfPresent(tx.Migrator(), "signatures", "idx_signatures_"+column); err != nil {
			return err
		}
	}
	return nil
}

// wallIndexPublishedOnly replaces the public list's index, which held every
// signature and took a page write at a random place with each new one, by
// one of published rows only, and gives the moderation queue and the expiry
// of unconfirmed signatures an index of their own, by status and time of
// confirmation, to which new rows are appended.
func wallIndexPublishedOnly(tx *gorm.DB) error {
	// The columns and indexes as they were at this step: a step must not
	// follow later changes to the model.
	type signature struct {
		LetterID    uint       `gorm:"index:idx_signatures_wall,priority:1,where:status = 'published'"`
		Country     string     `gorm:"index:idx_signatures_wall,priority:3"`
		Kind        string     `gorm:"index:idx_signatures_wall,priority:4"`
		SortKey     []byte     `gorm:"index:idx_signatures_wall,priority:5"`
		Status      string     `gorm:"index:idx_signatures_wall,priority:2;index:idx_signatures_queue,priority:1"`
		ConfirmedAt *time.Time `gorm:"index:idx_signatures_queue,priority:2"`
	}
	m := tx.Table("signatures").Migrator()
	if err := dropIndexIfPresent(m, "signatures", "idx_signatures_list"); err != nil {
		return err
	}
	for _, index := range []string{"idx_signatures_wall", "idx_signatures_queue"} {
		if err := m.CreateIndex(&signature{}, index); err != nil {
			return err
		}
	}
	return nil
}

// countUnpublished adds letter_changes.unpublished, the counter of changes
// that took a name off the public list, which servers sharing the database
// poll to stop replaying such names at once.
func countUnpublished(tx *gorm.DB) error {
	// The table as it is at this step: a step must not follow later changes
	// to the model.
	type letterChange struct {
		Unpublished int64 `gorm:"not null;default:0"`
	}
	m := tx.Table("letter_changes").Migrator()
	if m.HasColumn(&letterChange{}, "unpublished") {
		return nil
	}
	return m.AddColumn(&letterChange{}, "Unpublished")
}

// stepLetterTable is the letters table as a step's foreign keys name it.
type stepLetterTable struct {
	ID uint `gorm:"primaryKey"`
}

// TableName is the table stepLetterTable stands for.
func (stepLetterTable) TableName() string { return "letters" }

// stepLetterText is letter_texts as lettersInTheDatabase creates it.
type stepLetterText struct {
	ID         uint64          `gorm:"primaryKey"`
	LetterID   uint            `gorm:"not null;uniqueIndex:idx_letter_texts_version,priority:1"`
	Letter     stepLetterTable `gorm:"constraint:OnDelete:CASCADE"`
	Lang       string          `gorm:"size:16;not null;uniqueIndex:idx_letter_texts_version,priority:2"`
	Version    int             `gorm:"not null;uniqueIndex:idx_letter_texts_version,priority:3"`
	Title      string          `gorm:"size:300;not null"`
	Summary    string          `gorm:"size:1000;not null;default:''"`
	Recipients string          `gorm:"size:300;not null;default:''"`
	Body       string          `gorm:"type:text;not null"`
	Change     string          `gorm:"size:20;not null;default:''"`
	Note       string          `gorm:"size:1000;not null;default:''"`
	EditedBy   string          `gorm:"size:254;not null;default:''"`
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// TableName is the table stepLetterText stands for.
func (stepLetterText) TableName() string { return "letter_texts" }

// lettersInTheDatabase gives letters a state, goals and an archive date,
// and their texts a table of versions, with each letter's text so far as
// its first version: from here on the console owns letters, and
// config.yaml only seeds those the database lacks.
func lettersInTheDatabase(tx *gorm.DB) error {
	// The tables as they are at this step: a step must not follow later
	// changes to the model.
	type letter struct {
		State      string `gorm:"size:20;not null;default:'public'"`
		ArchivedAt *time.Time
		Goals      string `gorm:"size:200;not null;default:''"`
	}
	m := tx.Table("letters").Migrator()
	for _, column := range []string{"State", "ArchivedAt", "Goals"} {
		if !m.HasColumn(&letter{}, column) {
			if err := m.AddColumn(&letter{}, column); err != nil {
				return err
			}
		}
	}
	if err := tx.AutoMigrate(&stepLetterText{}); err != nil {
		return err
	}
	// A letter's dates move it on from its first state when they pass
	// (letters.StateAt), so the state a date leads away from is the one to
	// start in; a letter that opens with no date to publish went public on
	// opening.
	err := tx.Exec("UPDATE letters SET publish_at = opens_at WHERE publish_at IS NULL AND opens_at IS NOT NULL").Error
	if err == nil {
		err = tx.Exec("UPDATE letters SET state = CASE WHEN opens_at IS NOT NULL THEN 'draft' " +
			"WHEN publish_at IS NOT NULL THEN 'embargo' ELSE 'public' END").Error
	}
	if err != nil {
		return err
	}
	return tx.Exec("INSERT INTO letter_texts (letter_id, lang, version, title, summary, recipients, body, change, note, " +
		"edited_by, created_at, updated_at) SELECT id, lang, 1, title, summary, '', body, '', '', '', created_at, " +
		"updated_at FROM letters WHERE id NOT IN (SELECT letter_id FROM letter_texts)").Error
}

// auditEventsNameLetter adds audit_events.letter_id, indexed, so that the
// audit log can be filtered by letter, and fills it for the events about a
// signature from the signature's letter.
func auditEventsNameLetter(tx *gorm.DB) error {
	// The column as it is at this step: a step must not follow later changes
	// to the model.
	type auditEvent struct {
		LetterID *uint `gorm:"index:idx_audit_events_letter_id"`
	}
	m := tx.Table("audit_events").Migrator()
	if !m.HasColumn(&auditEvent{}, "letter_id") {
		if err := m.AddColumn(&auditEvent{}, "LetterID"); err != nil {
			return err
		}
	}
	if !m.HasIndex(&auditEvent{}, "idx_audit_events_letter_id") {
		if err := m.CreateIndex(&auditEvent{}, "idx_audit_events_letter_id"); err != nil {
			return err
		}
	}
	return tx.Exec(`UPDATE audit_events SET letter_id = (SELECT letter_id FROM signatures WHERE signatures.id = audit_events.signature_id)
		WHERE signature_id IS NOT NULL AND letter_id IS NULL`).Error
}

// staffDigests gives each staff member a digest choice (hourly unless they
// choose otherwise) and the time of their last digest, and lets the outbox
// address a staff member instead of a signature: mail_jobs.signature_id
// becomes nullable and staff_id, with its own cascading foreign key, is added.
func staffDigests(tx *gorm.DB) error {
	// The tables as they are at this step: a step must not follow later
	// changes to the models.
	type signature struct {
		ID uint64 `gorm:"primaryKey"`
	}
	type staff struct {
		ID           uint   `gorm:"primaryKey"`
		Digest       string `gorm:"size:20;not null;default:'hourly'"`
		LastDigestAt *time.Time
	}
	type mailJob struct {
		ID            uint64     `gorm:"primaryKey"`
		Kind          string     `gorm:"size:40;not null"`
		SignatureID   *uint64    `gorm:"index"`
		Signature     *signature `gorm:"constraint:OnDelete:CASCADE"`
		StaffID       *uint      `gorm:"index"`
		Staff         *staff     `gorm:"constraint:OnDelete:CASCADE"`
		Status        string     `gorm:"size:20;not null;index:idx_mail_jobs_due,priority:1"`
		Attempts      int        `gorm:"not null;default:0"`
		NextAttemptAt time.Time  `gorm:"not null;index:idx_mail_jobs_due,priority:2"`
		LastError     string     `gorm:"size:1000;not null;default:''"`
		SentAt        *time.Time
		CreatedAt     time.Time
		UpdatedAt     time.Time
	}
	m := tx.Migrator()
	for _, column := range []string{"Digest", "LastDigestAt"} {
		if err := m.AddColumn(&staff{}, column); err != nil {
			return err
		}
	}
	if tx.Dialector.Name() == "sqlite" {
		return recreateMailJobs(tx, &mailJob{})
	}
	if err := tx.Exec("ALTER TABLE mail_jobs ALTER COLUMN signature_id DROP NOT NULL").Error; err != nil {
		return err
	}
	if err := m.AddColumn(&mailJob{}, "StaffID"); err != nil {
		return err
	}
	if err := m.CreateConstraint(&mailJob{}, "Staff"); err != nil {
		return err
	}
	return m.CreateIndex(&mailJob{}, "StaffID")
}

// mailJobsNameLetterText lets a mail job name the text version whose
// material change it tells a signer of: mail_jobs.letter_text_id, nullable,
// added in place on SQLite and PostgreSQL alike.
func mailJobsNameLetterText(tx *gorm.DB) error {
	// The column as it is at this step: a step must not follow later
	// changes to the model.
	type mailJob struct {
		LetterTextID *uint64
	}
	return tx.Table("mail_jobs").Migrator().AddColumn(&mailJob{}, "LetterTextID")
}

// stepImport is the imports table as signatureImports creates it.
type stepImport struct {
	ID         uint64          `gorm:"primaryKey"`
	LetterID   uint            `gorm:"not null;uniqueIndex:idx_imports_file,priority:1"`
	Letter     stepLetterTable `gorm:"constraint:OnDelete:CASCADE"`
	FileSHA256 string          `gorm:"column:file_sha256;size:64;not null;uniqueIndex:idx_imports_file,priority:2"`
	FileName   string          `gorm:"size:255;not null;default:''"`
	FileSealed []byte
	Mapping    string `gorm:"size:2000;not null;default:''"`
	StaffID    *uint
	StaffEmail string `gorm:"size:254;not null"`
	Mode       string `gorm:"size:10;not null;default:''"`
	Basis      string `gorm:"size:1000;not null;default:''"`
	State      string `gorm:"size:10;not null"`
	Rows       int    `gorm:"not null;default:0"`
	NextRow    int    `gorm:"not null;default:0"`
	Imported   int    `gorm:"not null;default:0"`
	Duplicates int    `gorm:"not null;default:0"`
	Invalid    int    `gorm:"not null;default:0"`
	StartedAt  *time.Time
	FinishedAt *time.Time
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// TableName is the table stepImport stands for.
func (stepImport) TableName() string { return "imports" }

// signatureImports adds the imports table, and to each signature its
// source (the sign form for every signature so far) and the import that
// brought it in.
func signatureImports(tx *gorm.DB) error {
	// The tables as they are at this step: a step must not follow later
	// changes to the models.
	type signature struct {
		Source   string  `gorm:"size:10;not null;default:'form'"`
		ImportID *uint64 `gorm:"index"`
	}
	if err := tx.Migrator().CreateTable(&stepImport{}); err != nil {
		return err
	}
	m := tx.Table("signatures").Migrator()
	for _, column := range []string{"Source", "ImportID"} {
		if err := m.AddColumn(&signature{}, column); err != nil {
			return err
		}
	}
	return m.CreateIndex(&signature{}, "ImportID")
}

// stepSignatureTable is the signatures table as a step's foreign keys name it.
type stepSignatureTable struct {
	ID uint64 `gorm:"primaryKey"`
}

// TableName is the table stepSignatureTable stands for.
func (stepSignatureTable) TableName() string { return "signatures" }

// stepSignatureMedia is signature_media as signatureMediaTable creates it.
type stepSignatureMedia struct {
	SignatureID     uint64              `gorm:"primaryKey;autoIncrement:false"`
	Signature       *stepSignatureTable `gorm:"constraint:OnDelete:CASCADE"`
	Statement       string              `gorm:"size:1200;not null;default:''"`
	StatementStatus string              `gorm:"size:20;not null;default:''"`
	LogoPNG         []byte
	LogoWidth       int    `gorm:"not null;default:0"`
	LogoHeight      int    `gorm:"not null;default:0"`
	LogoVersion     string `gorm:"size:16;not null;default:''"`
	LogoStatus      string `gorm:"size:20;not null;default:'';index:idx_signature_media_logo_status"`
	UpdatedAt       time.Time
}

// TableName is the table stepSignatureMedia stands for.
func (stepSignatureMedia) TableName() string { return "signature_media" }

// signatureMediaTable adds signature_media, the statement and logo a
// signer may add to a signature, each with its own review, deleted with
// the signature.
func signatureMediaTable(tx *gorm.DB) error {
	return tx.AutoMigrate(&stepSignatureMedia{})
}

// recreateMailJobs rebuilds mail_jobs on SQLite as model declares it, keeping
// its rows, its ids and the last id used: SQLite can change neither a
// column's NOT NULL nor a table's foreign keys in place. GORM's own
// AlterColumn rebuilds the table too, but leaves its indexes behind and
// cannot add a foreign key.
func recreateMailJobs(tx *gorm.DB, model any) error {
	const columns = "id, kind, signature_id, status, attempts, next_attempt_at, last_error, sent_at, created_at, updated_at"
	for _, stmt := range []string{
		"ALTER TABLE mail_jobs RENAME TO mail_jobs_before",
		"DROP INDEX IF EXISTS idx_mail_jobs_due",
		"DROP INDEX IF EXISTS idx_mail_jobs_signature_id",
	} {
		if err := tx.Exec(stmt).Error; err != nil {
			return err
		}
	}
	if err := tx.Migrator().CreateTable(model); err != nil {
		return err
	}
	for _, stmt := range []string{
		"INSERT INTO mail_jobs (" + columns + ") SELECT " + columns + " FROM mail_jobs_before",
		"DELETE FROM sqlite_sequence WHERE name = 'mail_jobs'",
		"UPDATE sqlite_sequence SET name = 'mail_jobs' WHERE name = 'mail_jobs_before'",
		"DROP TABLE mail_jobs_before",
	} {
		if err := tx.Exec(stmt).Error; err != nil {
			return err
		}
	}
	return nil
}

// signatureFlags gives signatures the keys a duplicate check looks them up
// by, each with an index of confirmed rows, and their flags. Existing rows
// get their name and site keys and the confusable flag here, and those
// awaiting review the duplicate flag. The contact key and the
// domain-mismatch flag need the addresses, which a migration cannot open:
// such rows keep no contact key, and the console checks their domains when
// it shows them (moderation.Service.Queue).
func signatureFlags(tx *gorm.DB) error {
	// The columns and indexes as they are at this step: a step must not
	// follow later changes to the model.
	type signature struct {
		NameKey    string `gorm:"size:800;not null;default:'';index:idx_signatures_name_key,where:status <> 'unconfirmed' AND name_key <> ''"`
		SiteDomain string `gorm:"size:253;not null;default:'';index:idx_signatures_site_domain,where:status <> 'unconfirmed' AND site_domain <> ''"`
		ContactKey string `gorm:"size:64;not null;default:'';index:idx_signatures_contact_key,where:status <> 'unconfirmed' AND contact_key <> ''"`
		Flags      uint   `gorm:"not null;default:0"`
	}
	m := tx.Table("signatures").Migrator()
	for _, column := range []string{"NameKey", "SiteDomain", "ContactKey", "Flags"} {
		if !m.HasColumn(&signature{}, column) {
			if err := m.AddColumn(&signature{}, column); err != nil {
				return err
			}
		}
	}
	if err := keySignatures(tx); err != nil {
		return err
	}
	for _, index := range []string{"idx_signatures_name_key", "idx_signatures_site_domain", "idx_signatures_contact_key"} {
		if err := m.CreateIndex(&signature{}, index); err != nil {
			return err
		}
	}
	return tx.Exec(`UPDATE signatures SET flags = flags | ? WHERE status = 'pending_review' AND EXISTS (
		SELECT 1 FROM signatures o WHERE o.letter_id = signatures.letter_id AND o.id <> signatures.id
		AND o.status NOT IN ('unconfirmed', 'withdrawn') AND (o.name_key <> '' AND o.name_key = signatures.name_key
		OR o.site_domain <> '' AND o.site_domain = signatures.site_domain))`, uint(FlagDuplicate)).Error
}

// keySignatures computes the name and site keys and the confusable flag of
// every signature, 500 rows at a time.
func keySignatures(tx *gorm.DB) error {
	type row struct {
		ID      uint64
		Name    string
		Website string
	}
	for after := uint64(0); ; {
		var rows []row
		if err := tx.Table("signatures").Select("id, name, website").Where("id > ?", after).Order("id").Limit(500).Scan(&rows).Error; err != nil {
			return err
		}
		if len(rows) == 0 {
			return nil
		}
		for _, r := range rows {
			var flags uint
			if Confusable(r.Name) {
				flags = uint(FlagConfusable)
			}
			err := tx.Exec("UPDATE signatures SET name_key = ?, site_domain = ?, flags = ? WHERE id = ?",
				NameKey(r.Name), SiteDomain(r.Website), flags, r.ID).Error
			if err != nil {
				return err
			}
		}
		after = rows[len(rows)-1].ID
	}
}

// dropIndexIfPresent drops the index of table, unless it is already gone.
func dropIndexIfPresent(m gorm.Migrator, table, index string) error {
	if !m.HasIndex(table, index) {
		return nil
	}
	return m.DropIndex(table, index)
}

func initSchema(tx *gorm.DB) error {
	if err := tx.AutoMigrate(models()...); err != nil {
		return err
	}
	if err := postgresWallIndex(tx); err != nil {
		return err
	}
	if err := dueIndexes(tx); err != nil {
		return err
	}
	return rateCounts(tx)
}

// Migrate brings the schema up to date, in one transaction where the database allows.
func (s *Store) Migrate(ctx context.Context) error {
	opts := *gormigrate.DefaultOptions
	opts.UseTransaction = true
	m := gormigrate.New(s.writer.WithContext(ctx), &opts, migrations())
	m.InitSchema(initSchema)
	if err := m.Migrate(); err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	return nil
}

// stepDelivery is deliveries as deliveryRecords creates it.
type stepDelivery struct {
	ID               uint64          `gorm:"primaryKey"`
	LetterID         uint            `gorm:"not null;index"`
	Letter           stepLetterTable `gorm:"constraint:OnDelete:CASCADE"`
	KeyID            string          `gorm:"size:64;not null"`
	Root             string          `gorm:"size:64;not null"`
	Signatures       int64           `gorm:"not null"`
	Organisations    int64           `gorm:"not null"`
	Individuals      int64           `gorm:"not null"`
	NamedIndividuals int64           `gorm:"not null"`
	PackedAt         time.Time
	PackedBy         string `gorm:"size:254;not null;default:''"`
	DeliveredAt      *time.Time
	Recipients       string `gorm:"size:1000;not null;default:''"`
	RecordedBy       string `gorm:"size:254;not null;default:''"`
}

// TableName is the table stepDelivery stands for.
func (stepDelivery) TableName() string { return "deliveries" }

// stepDeliveryLeaf is delivery_leaves as deliveryRecords creates it.
type stepDeliveryLeaf struct {
	DeliveryID  uint64       `gorm:"primaryKey;autoIncrement:false"`
	Delivery    stepDelivery `gorm:"constraint:OnDelete:CASCADE"`
	Position    uint64       `gorm:"primaryKey;autoIncrement:false"`
	SignatureID uint64       `gorm:"not null;index"`
	Hash        []byte       `gorm:"not null"`
}

// TableName is the table stepDeliveryLeaf stands for.
func (stepDeliveryLeaf) TableName() string { return "delivery_leaves" }

// deliveryRecords adds the tables of verifiable deliveries: the campaign's
// signing keys, each signature's salt, the delivery packs and their leaves.
func deliveryRecords(tx *gorm.DB) error {
	// The tables as they are at this step: a step must not follow later
	// changes to the models.
	type campaignKey struct {
		KeyID     string `gorm:"size:64;primaryKey"`
		PublicKey []byte `gorm:"not null"`
		CreatedAt time.Time
	}
	type signatureSalt struct {
		SignatureID uint64 `gorm:"primaryKey;autoIncrement:false"`
		Salt        []byte `gorm:"not null"`
	}
	return tx.AutoMigrate(&campaignKey{}, &signatureSalt{}, &stepDelivery{}, &stepDeliveryLeaf{})
}

// stepSignatureHour is signature_hours as signatureHours creates it.
type stepSignatureHour struct {
	LetterID  uint            `gorm:"primaryKey;autoIncrement:false"`
	Letter    stepLetterTable `gorm:"constraint:OnDelete:CASCADE"`
	Hour      time.Time       `gorm:"primaryKey;autoIncrement:false"`
	Kind      string          `gorm:"size:20;primaryKey"`
	Country   string          `gorm:"size:2;primaryKey"`
	Source    string          `gorm:"size:64;primaryKey"`
	Confirmed int64           `gorm:"not null;default:0"`
	Published int64           `gorm:"not null;default:0"`
}

// TableName is the table stepSignatureHour stands for.
func (stepSignatureHour) TableName() string { return "signature_hours" }

// signatureHours adds the hourly history of each letter's numbers and fills
// it once from the signatures there are: each counts as confirmed in the
// hour it confirmed and, when published now, as published in the hour it
// was first published, so every letter's hours add up to its numbers. What
// was published and later taken off the list leaves no trace there.
func signatureHours(tx *gorm.DB) error {
	if err := tx.AutoMigrate(&stepSignatureHour{}); err != nil {
		return err
	}
	// The columns of signatures as they are at this step.
	type signature struct {
		ID, LetterID                        uint64
		Kind, Country, Ref, Status          string
		ConfirmedAt, PublishedAt, CreatedAt *time.Time
	}
	var after uint64
	for {
		var rows []signature
		err := tx.Table("signatures").Select("id, letter_id, kind, country, ref, status, confirmed_at, published_at, created_at").
			Where("id > ? AND status IN ?", after, []Status{StatusPendingReview, StatusPublished, StatusHidden, StatusRejected}).
			Order("id").Limit(1000).Scan(&rows).Error
		if err != nil || len(rows) == 0 {
			return err
		}
		for _, sig := range rows {
			letterID, k := uint(sig.LetterID), historyKey{Kind(sig.Kind), sig.Country, sig.Ref}
			confirmed := firstTime(sig.ConfirmedAt, sig.PublishedAt, sig.CreatedAt)
			if err := addToHistory(tx, letterID, confirmed, k, 1, 0); err != nil {
				return err
			}
			if sig.Status != string(StatusPublished) {
				continue
			}
			if err := addToHistory(tx, letterID, firstTime(sig.PublishedAt, sig.ConfirmedAt, sig.CreatedAt), k, 0, 1); err != nil {
				return err
			}
		}
		after = rows[len(rows)-1].ID
	}
}

// firstTime is the first of times that is set.
func firstTime(times ...*time.Time) time.Time {
	for _, t := range times {
		if t != nil && !t.IsZero() {
			return *t
		}
	}
	return time.Time{}
}

// stepPartner is partners as partnersAndSources creates it.
type stepPartner struct {
	ID        uint64          `gorm:"primaryKey"`
	LetterID  uint            `gorm:"not null;uniqueIndex:idx_partners_letter_code,priority:1"`
	Letter    stepLetterTable `gorm:"constraint:OnDelete:CASCADE"`
	Name      string          `gorm:"size:200;not null"`
	Code      string          `gorm:"size:64;not null;uniqueIndex:idx_partners_letter_code,priority:2"`
	Website   string          `gorm:"size:300;not null;default:''"`
	TokenHash string          `gorm:"size:64;not null;uniqueIndex"`
	CreatedAt time.Time
	UpdatedAt time.Time
}

// TableName is the table stepPartner stands for.
func (stepPartner) TableName() string { return "partners" }

// partnersAndSources adds the partners table and, to each signature, the
// campaign tags of the link that brought it (none for every signature so
// far).
func partnersAndSources(tx *gorm.DB) error {
	// The columns as they are at this step: a step must not follow later
	// changes to the model.
	type signature struct {
		UTMSource   string `gorm:"column:utm_source;size:64;not null;default:''"`
		UTMMedium   string `gorm:"column:utm_medium;size:64;not null;default:''"`
		UTMCampaign string `gorm:"column:utm_campaign;size:64;not null;default:''"`
	}
	m := tx.Table("signatures").Migrator()
	for _, column := range []string{"UTMSource", "UTMMedium", "UTMCampaign"} {
		if err := m.AddColumn(&signature{}, column); err != nil {
			return err
		}
	}
	return tx.AutoMigrate(&stepPartner{})
}

// stepWebhook is webhooks as webhookTables creates it.
type stepWebhook struct {
	ID           uint64          `gorm:"primaryKey"`
	LetterID     uint            `gorm:"not null;index"`
	Letter       stepLetterTable `gorm:"constraint:OnDelete:CASCADE"`
	URL          string          `gorm:"size:2000;not null"`
	SecretSealed []byte          `gorm:"not null"`
	Events       string          `gorm:"size:200;not null"`
	CreatedBy    string          `gorm:"size:254;not null;default:''"`
	CreatedAt    time.Time
}

// TableName is the table stepWebhook stands for.
func (stepWebhook) TableName() string { return "webhooks" }

// webhookTables adds the letters' webhook endpoints and their outbox.
func webhookTables(tx *gorm.DB) error {
	// The table as it is at this step: a step must not follow later
	// changes to the model.
	type webhookDelivery struct {
		ID             uint64       `gorm:"primaryKey"`
		WebhookID      uint64       `gorm:"not null;index"`
		Webhook        *stepWebhook `gorm:"constraint:OnDelete:CASCADE"`
		Event          string       `gorm:"size:40;not null"`
		SignatureID    *uint64      `gorm:"index"`
		Payload        string       `gorm:"not null"`
		Status         string       `gorm:"size:20;not null;index:idx_webhook_deliveries_due,priority:1"`
		Attempts       int          `gorm:"not null;default:0"`
		NextAttemptAt  time.Time    `gorm:"not null;index:idx_webhook_deliveries_due,priority:2"`
		ResponseStatus int          `gorm:"not null;default:0"`
		LastError      string       `gorm:"size:1000;not null;default:''"`
		SentAt         *time.Time
		CreatedAt      time.Time
		UpdatedAt      time.Time
	}
	return tx.AutoMigrate(&stepWebhook{}, &webhookDelivery{})
}

// stepLetterUpdate is letter_updates as letterUpdates creates it.
type stepLetterUpdate struct {
	ID        uint64          `gorm:"primaryKey"`
	LetterID  uint            `gorm:"not null;index"`
	Letter    stepLetterTable `gorm:"constraint:OnDelete:CASCADE"`
	SentBy    string          `gorm:"size:254;not null"`
	CreatedAt time.Time
	Texts     []stepLetterUpdateText `gorm:"foreignKey:UpdateID;constraint:OnDelete:CASCADE"`
}

// TableName is the table stepLetterUpdate stands for.
func (stepLetterUpdate) TableName() string { return "letter_updates" }

// stepLetterUpdateText is letter_update_texts as letterUpdates creates it.
type stepLetterUpdateText struct {
	UpdateID uint64 `gorm:"primaryKey;autoIncrement:false"`
	Lang     string `gorm:"size:16;primaryKey"`
	Subject  string `gorm:"size:200;not null"`
	Body     string `gorm:"type:text;not null"`
}

// TableName is the table stepLetterUpdateText stands for.
func (stepLetterUpdateText) TableName() string { return "letter_update_texts" }

// letterUpdates adds what updates to signers need: the signer's choice to
// be kept informed and its withdrawal on signatures, the updates and their
// texts, and the mail job's update.
func letterUpdates(tx *gorm.DB) error {
	// The columns as they are at this step: a step must not follow later
	// changes to the models.
	type signature struct {
		KeepInformed        bool   `gorm:"not null;default:false"`
		KeepInformedVersion string `gorm:"size:40;not null;default:''"`
		KeepInformedAt      *time.Time
		UnsubscribedAt      *time.Time
	}
	type mailJob struct {
		LetterUpdateID *uint64
	}
	if err := tx.AutoMigrate(&stepLetterUpdate{}, &stepLetterUpdateText{}); err != nil {
		return err
	}
	m := tx.Table("signatures").Migrator()
	for _, column := range []string{"KeepInformed", "KeepInformedVersion", "KeepInformedAt", "UnsubscribedAt"} {
		if err := m.AddColumn(&signature{}, column); err != nil {
			return err
		}
	}
	return tx.Table("mail_jobs").Migrator().AddColumn(&mailJob{}, "LetterUpdateID")
}

// partnerContact adds the signer's choice to let the partner whose link
// brought them contact them, with the version of the text and when.
func partnerContact(tx *gorm.DB) error {
	// The columns as they are at this step: a step must not follow later
	// changes to the models.
	type signature struct {
		PartnerContactID      *uint64 `gorm:"index:idx_signatures_partner_contact,where:partner_contact_id IS NOT NULL"`
		PartnerContactVersion string  `gorm:"size:40;not null;default:''"`
		PartnerContactAt      *time.Time
	}
	m := tx.Table("signatures").Migrator()
	for _, column := range []string{"PartnerContactID", "PartnerContactVersion", "PartnerContactAt"} {
		if err := m.AddColumn(&signature{}, column); err != nil {
			return err
		}
	}
	return m.CreateIndex(&signature{}, "idx_signatures_partner_contact")
}

// publishedAtIndex indexes the published rows by time of publication: a rebuild of the public view after another server's changes
// reads the names published since the last one (PublishedSince), which
// without it scans every signature of the letter.
func publishedAtIndex(tx *gorm.DB) error {
	// The index as it is at this step: a step must not follow later
	// changes to the model.
	type signature struct {
		PublishedAt *time.Time `gorm:"index:idx_signatures_published_at,where:status = 'published'"`
	}
	return tx.Table("signatures").Migrator().CreateIndex(&signature{}, "idx_signatures_published_at")
}

// wallIndexWithoutStatus makes PostgreSQL's index of the public list
// (postgresWallIndex).
func wallIndexWithoutStatus(tx *gorm.DB) error { return postgresWallIndex(tx) }

// postgresWallIndex makes the public list's index on PostgreSQL (letter,
// country, kind, name of published rows) without the status column the
// model gives it second. PostgreSQL leaves out of an index scan's bounds a
// condition that the index's own condition implies, so with status ahead of
// country every search of a country's names read the letter's whole index
// (about 60 ms a search at 200,000 signatures, 40 searches a rebuild of the
// public view). SQLite keeps the model's: it bounds the scan by status too,
// and without that column it would search every letter-wide list by
// another index. Fresh databases get it as well (initSchema).
func postgresWallIndex(tx *gorm.DB) error {
	if tx.Dialector.Name() != "postgres" {
		return nil
	}
	return tx.Exec(`DROP INDEX IF EXISTS idx_signatures_wall;
		CREATE INDEX idx_signatures_wall ON signatures (letter_id, country, kind, sort_key) WHERE status = 'published'`).Error
}
