// Package imports brings signatures gathered elsewhere (by email, on paper,
// on another platform) into a letter from a CSV file an admin uploads: the
// file is read and its columns mapped to the sign form's fields, every row
// is checked as the form checks it and the admin previews the outcome, then
// the valid rows are stored a chunk at a time, each chunk a transaction of
// its own that also records how far the import got, so that signing is
// never held up for long and a stopped import resumes where it stopped. It
// knows nothing of HTTP.
package imports

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"gorm.io/gorm"

	"github.com/undersigned/undersigned/pkg/config"
	"github.com/undersigned/undersigned/pkg/letters"
	"github.com/undersigned/undersigned/pkg/signing"
	"github.com/undersigned/undersigned/pkg/store"
	"github.com/undersigned/undersigned/pkg/vault"
)

// Errors a caller maps to what the admin sees.
var (
	ErrLetterNotFound = errors.New("imports: no such letter")
	ErrBadMode        = errors.New("imports: choose how the signers are confirmed")
	ErrBasisRequired  = errors.New("imports: staff confirmation needs its basis")
	ErrRunning        = errors.New("imports: the import is running")
	ErrFinished       = errors.New("imports: the import is done")
)

// AlreadyImportedError is what an upload of a file already imported into
// the letter is answered with: the import that took it.
type AlreadyImportedError struct{ ID uint64 }

func (e *AlreadyImportedError) Error() string {
	return fmt.Sprintf("imports: the file was imported already, import %d", e.ID)
}

// chunk is the most rows one transaction stores. On SQLite every
// transaction holds the one writer, and signers queue behind it; a chunk of
// 500 holds it for a few tens of milliseconds (docs/benchmarks.md).
const chunk = 500

// Deps are what a Service is built from.
type Deps struct {
	Store        *store.Store
	Vault        *vault.Vault
	Letters      *letters.Registry
	Signing      *signing.Service
	ValidCountry func(code string) bool
	Config       config.Imports
	Now          func() time.Time
	Outbox       signing.Outbox
	Live         signing.Notifier
}

// Service previews and runs imports.
type Service struct {
	d Deps
	// running are the imports this server is storing now, so that a
	// second request does not resume one still going.
	mu      sync.Mutex
	running map[uint64]bool
}

// New returns a Service over d.
func New(d Deps) *Service { return &Service{d: d, running: map[uint64]bool{}} }

// Upload reads a file for the letter with slug and keeps it, sealed, for
// the admin to map and preview, with the columns guessed from its header.
// A file that cannot be read is refused (ErrNotUTF8, *QuotingError,
// *TooManyRowsError, ErrNoRows); one already imported into the letter is
// answered with *AlreadyImportedError; one uploaded before but not started
// returns that import.
func (s *Service) Upload(ctx context.Context, actor *store.Staff, slug, fileName string, data []byte) (*store.Import, error) {
	letter, ok := s.d.Letters.BySlug(slug)
	if !ok {
		return nil, ErrLetterNotFound
	}
	table, err := Parse(data, s.d.Config.MaxRows)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(data)
	imp := &store.Import{LetterID: letter.ID, FileSHA256: hex.EncodeToString(sum[:]), FileName: store.TruncateRunes(fileName, 255),
		Mapping: GuessMapping(table.Header).Encode(), StaffID: &actor.ID, StaffEmail: actor.Email, State: store.ImportPreview,
		Rows: len(table.Rows)}
	if imp.FileSealed, err = s.d.Vault.Seal(vault.PurposeImport, string(data)); err != nil {
		return nil, fmt.Errorf("imports: seal %s: %w", fileName, err)
	}
	err = s.d.Store.Write(ctx, func(tx *gorm.DB) error {
		earlier, err := store.ImportByFile(tx, letter.ID, imp.FileSHA256)
		switch {
		case err == nil && earlier.State == store.ImportPreview:
			*imp = *earlier
			return nil
		case err == nil:
			return &AlreadyImportedError{ID: earlier.ID}
		case !errors.Is(err, store.ErrNotFound):
			return err
		}
		return store.CreateImport(tx, imp)
	})
	if err != nil {
		return nil, err
	}
	return imp, nil
}

// Import loads the import with id (store.ErrNotFound when there is none).
func (s *Service) Import(ctx context.Context, id uint64) (*store.Import, error) {
	return store.ImportByID(s.d.Store.Read(ctx), id)
}

// Recent lists the latest imports, newest first.
func (s *Service) Recent(ctx context.Context) ([]store.Import, error) {
	return store.RecentImports(s.d.Store.Read(ctx), 20)
}

// Columns is the header of an import's file, for the mapping form.
func (s *Service) Columns(imp *store.Import) ([]string, error) {
	table, err := s.table(imp)
	if err != nil {
		return nil, err
	}
	return table.Header, nil
}

// table reads an import's file again from its sealed copy.
func (s *Service) table(imp *store.Import) (*Table, error) {
	if imp.FileSealed == nil {
		return nil, ErrFinished
	}
	data, err := s.d.Vault.Open(vault.PurposeImport, imp.FileSealed)
	if err != nil {
		return nil, fmt.Errorf("imports: open the file of import %d: %w", imp.ID, err)
	}
	return Parse([]byte(data), s.d.Config.MaxRows)
}

// Remap records the columns the admin chose for an import still in preview.
func (s *Service) Remap(ctx context.Context, imp *store.Import, m Mapping) error {
	imp.Mapping = m.Encode()
	return s.d.Store.Write(ctx, func(tx *gorm.DB) error { return store.SetImportMapping(tx, imp.ID, imp.Mapping) })
}

// Start checks the admin's choice, records it and stores the import's valid
// rows, a chunk at a time; it returns once all are stored, with the import
// as it ends. An import that was started before and stopped (the server
// went down) is resumed from the first row it had not stored, with the
// choice it was started with.
func (s *Service) Start(ctx context.Context, actor *store.Staff, imp *store.Import, mode store.ImportMode, basis string) (*store.Import, error) {
	if !s.claim(imp.ID) {
		return nil, ErrRunning
	}
	defer s.release(imp.ID)
	letter, ok := s.d.Letters.ByID(imp.LetterID)
	if !ok {
		return nil, ErrLetterNotFound
	}
	switch imp.State {
	case store.ImportDone:
		return nil, ErrFinished
	case store.ImportPreview:
		if err := s.begin(ctx, imp, letter, mode, basis); err != nil {
			return nil, err
		}
	}
	if err := s.run(ctx, actor, imp, letter); err != nil {
		return nil, err
	}
	return s.Import(ctx, imp.ID)
}

// claim marks the import as running on this server, unless it is already.
func (s *Service) claim(id uint64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.running[id] {
		return false
	}
	s.running[id] = true
	return true
}

func (s *Service) release(id uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.running, id)
}

// Running reports whether this server is storing the import now.
func (s *Service) Running(id uint64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.running[id]
}

// begin checks the mode and basis against the preview and moves the import
// to running with the preview's counts.
func (s *Service) begin(ctx context.Context, imp *store.Import, letter *letters.Letter, mode store.ImportMode, basis string) error {
	basis = strings.TrimSpace(basis)
	switch {
	case mode != store.ImportByMail && mode != store.ImportByStaff:
		return ErrBadMode
	case mode == store.ImportByStaff && basis == "":
		return ErrBasisRequired
	case mode == store.ImportByMail:
		basis = ""
	}
	report, err := s.Preview(ctx, imp, letter)
	if err != nil {
		return err
	}
	start := store.ImportStart{Mapping: imp.Mapping, Mode: mode, Basis: store.TruncateRunes(basis, 1000), Rows: report.Rows,
		Duplicates: report.repeated, Invalid: len(report.Errors), At: s.d.Now()}
	if err := s.d.Store.Write(ctx, func(tx *gorm.DB) error { return store.StartImport(tx, imp.ID, start) }); err != nil {
		return err
	}
	imp.State, imp.Mode, imp.Basis = store.ImportRunning, mode, start.Basis
	imp.Duplicates, imp.Invalid = report.repeated, len(report.Errors)
	return nil
}
