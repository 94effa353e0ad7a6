package store

import (
	"context"
	"fmt"

	"github.com/go-gormigrate/gormigrate/v2"
	"gorm.io/gorm"
)

// models lists every table, in an order that satisfies foreign keys.
func models() []any {
	return []any{&Letter{}, &Signature{}, &CountryCount{}, &MailJob{}, &Staff{}, &Session{}, &LoginFailure{}, &AuditEvent{}, &Block{}, &LetterChange{}}
}

// migrations are the steps from one schema version to the next, oldest first.
// A fresh database gets the current schema at once (initSchema) and is marked
// as having run all of them; an existing one runs those it has not. Append a
// step for every change to a model; never edit one that has shipped.
func migrations() []*gormigrate.Migration {
	return []*gormigrate.Migration{}
}

func initSchema(tx *gorm.DB) error {
	return tx.AutoMigrate(models()...)
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
