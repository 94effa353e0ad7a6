package store

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
)

// ImportMode is what an import does with the signers it brings in.
type ImportMode string

// The modes of an import.
const (
	// ImportByMail stores each signer unconfirmed and mails them the
	// confirmation link, as the sign form does: they count once they confirm.
	ImportByMail ImportMode = "mail"
	// ImportByStaff confirms each signer on the basis staff recorded; they
	// then go through the letter's review rule as any confirmed signer.
	ImportByStaff ImportMode = "staff"
)

// ImportState is where an import stands.
type ImportState string

// The states of an import.
const (
	ImportPreview ImportState = "preview" // uploaded, mapped, not started
	ImportRunning ImportState = "running" // started; NextRow says how far it got
	ImportDone    ImportState = "done"
)

// Import is an admin's upload of signatures gathered elsewhere, a CSV file
// for one letter. One file (by its SHA-256) is imported into a letter once.
// The file is kept sealed until the import is done, so that a preview can be
// mapped again and a stopped import resumed, then erased.
type Import struct {
	ID         uint64 `gorm:"primaryKey"`
	LetterID   uint   `gorm:"not null;uniqueIndex:idx_imports_file,priority:1"`
	Letter     Letter `gorm:"constraint:OnDelete:CASCADE"`
	FileSHA256 string `gorm:"column:file_sha256;size:64;not null;uniqueIndex:idx_imports_file,priority:2"`
	FileName   string `gorm:"size:255;not null;default:''"`
	FileSealed []byte
	// Mapping is the columns chosen for each field, as JSON.
	Mapping    string `gorm:"size:2000;not null;default:''"`
	StaffID    *uint
	StaffEmail string      `gorm:"size:254;not null"`
	Mode       ImportMode  `gorm:"size:10;not null;default:''"`
	Basis      string      `gorm:"size:1000;not null;default:''"`
	State      ImportState `gorm:"size:10;not null"`
	// Rows is how many data rows the file has; NextRow is the first of them
	// not yet imported (every row before it is done, in committed chunks).
	Rows       int `gorm:"not null;default:0"`
	NextRow    int `gorm:"not null;default:0"`
	Imported   int `gorm:"not null;default:0"`
	Duplicates int `gorm:"not null;default:0"`
	Invalid    int `gorm:"not null;default:0"`
	StartedAt  *time.Time
	FinishedAt *time.Time
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// ErrImportMoved is what a change to an import fails with when the import
// is no longer where the change expected it (another request started it,
// or ran the chunk first).
var ErrImportMoved = errors.New("store: import moved on")

// ImportByID loads the import with id, or ErrNotFound.
func ImportByID(tx *gorm.DB, id uint64) (*Import, error) {
	return findOne[Import](tx, "import", "id = ?", id)
}

// ImportByFile loads the letter's import of the file with sum (hex SHA-256),
// or ErrNotFound.
func ImportByFile(tx *gorm.DB, letterID uint, sum string) (*Import, error) {
	return findOne[Import](tx, "import", "letter_id = ? AND file_sha256 = ?", letterID, sum)
}

// RecentImports lists the last limit imports, newest first, without their files.
func RecentImports(tx *gorm.DB, limit int) ([]Import, error) {
	var out []Import
	if err := tx.Omit("file_sealed").Order("id DESC").Limit(limit).Find(&out).Error; err != nil {
		return nil, fmt.Errorf("store: recent imports: %w", err)
	}
	return out, nil
}

// CreateImport stores imp, a file uploaded for preview.
func CreateImport(tx *gorm.DB, imp *Import) error {
	if err := tx.Create(imp).Error; err != nil {
		return fmt.Errorf("store: create import of %s into letter %d: %w", imp.FileSHA256, imp.LetterID, err)
	}
	return nil
}

// SetImportMapping records the columns chosen for an import still in preview.
func SetImportMapping(tx *gorm.DB, id uint64, mapping string) error {
	return updateImport(tx, id, ImportPreview, -1, map[string]any{"mapping": mapping})
}

// ImportStart is how an admin starts an import: the columns, the mode and
// its basis, and the counts the preview found.
type ImportStart struct {
	Mapping                   string
	Mode                      ImportMode
	Basis                     string
	Rows, Duplicates, Invalid int
	At                        time.Time
}

// StartImport moves an import from preview to running, as s says.
func StartImport(tx *gorm.DB, id uint64, s ImportStart) error {
	return updateImport(tx, id, ImportPreview, -1, map[string]any{"mapping": s.Mapping, "mode": s.Mode, "basis": s.Basis,
		"rows": s.Rows, "duplicates": s.Duplicates, "invalid": s.Invalid, "state": ImportRunning, "started_at": s.At})
}

// AdvanceImport records, in the transaction that stored a chunk's
// signatures, that the rows before next are done, inserted of them imported
// and skipped found signed already. It fails with ErrImportMoved unless the
// import is running and was at from, so a chunk is never counted twice.
func AdvanceImport(tx *gorm.DB, id uint64, from, next, inserted, skipped int) error {
	return updateImport(tx, id, ImportRunning, from, map[string]any{"next_row": next,
		"imported": gorm.Expr("imported + ?", inserted), "duplicates": gorm.Expr("duplicates + ?", skipped)})
}

// FinishImport marks a running import done at at and erases its file.
func FinishImport(tx *gorm.DB, id uint64, at time.Time) error {
	return updateImport(tx, id, ImportRunning, -1, map[string]any{"state": ImportDone, "finished_at": at, "file_sealed": nil})
}

// updateImport writes fields to the import while it is in state (and, unless
// nextRow is -1, at that row), or fails with ErrImportMoved.
func updateImport(tx *gorm.DB, id uint64, state ImportState, nextRow int, fields map[string]any) error {
	q := tx.Model(&Import{}).Where("id = ? AND state = ?", id, state)
	if nextRow >= 0 {
		q = q.Where("next_row = ?", nextRow)
	}
	res := q.Updates(fields)
	if res.Error != nil {
		return fmt.Errorf("store: update import %d: %w", id, res.Error)
	}
	if res.RowsAffected != 1 {
		return fmt.Errorf("store: update import %d in state %s: %w", id, state, ErrImportMoved)
	}
	return nil
}

// SignedHashes returns which of the keyed email hashes have signed the
// letter already, looking them up a few hundred at a time.
func SignedHashes(tx *gorm.DB, letterID uint, hashes []string) (map[string]bool, error) {
	const perQuery = 500
	signed := map[string]bool{}
	for start := 0; start < len(hashes); start += perQuery {
		var found []string
		err := tx.Model(&Signature{}).Where("letter_id = ? AND email_hash IN ?", letterID, hashes[start:min(start+perQuery, len(hashes))]).
			Pluck("email_hash", &found).Error
		if err != nil {
			return nil, fmt.Errorf("store: signed hashes of letter %d: %w", letterID, err)
		}
		for _, h := range found {
			signed[h] = true
		}
	}
	return signed, nil
}

// InsertImported inserts rows, new signatures of one letter each with a
// different address, a few hundred to a statement, leaving out those whose
// address has signed the letter meanwhile; with a mail kind (not "") it
// queues one for each inserted. It returns the rows inserted, their ids set.
// Unlike the sign form's inserts it leaves the ids to the database, so it
// runs alike on SQLite and PostgreSQL.
func InsertImported(tx *gorm.DB, rows []*Signature, kind MailKind, now time.Time) ([]*Signature, error) {
	const perStatement = 250 // 36 values a row: within both databases' limits on placeholders
	var inserted []*Signature
	for start := 0; start < len(rows); start += perStatement {
		part, err := insertImportedPart(tx, rows[start:min(start+perStatement, len(rows))], now)
		if err != nil {
			return nil, err
		}
		inserted = append(inserted, part...)
	}
	if kind == "" || len(inserted) == 0 {
		return inserted, nil
	}
	jobs := make([]MailJob, len(inserted))
	for i, sig := range inserted {
		jobs[i] = newMailJob(kind, sig.ID, now)
	}
	if err := addMailJobs(tx, jobs); err != nil {
		return nil, fmt.Errorf("store: enqueue %d mails of an import: %w", len(jobs), err)
	}
	return inserted, nil
}

// importColumns are signatureColumns but the id, which the database hands out.
var importColumns = signatureColumns[len("id, "):]

// insertImportedPart inserts rows in one statement and returns those stored.
func insertImportedPart(tx *gorm.DB, rows []*Signature, now time.Time) ([]*Signature, error) {
	byHash := make(map[string]*Signature, len(rows))
	for _, sig := range rows {
		sig.CreatedAt, sig.UpdatedAt = now, now
		byHash[sig.EmailHash] = sig
	}
	query, args := insertRows("signatures", importColumns, rows, func(args []any, s *Signature) []any {
		values := signatureValues(args, s)
		return append(values[:len(args)], values[len(args)+1:]...) // all but the id
	})
	query += " ON CONFLICT (" + strings.Join(signerKey(), ", ") + ") DO NOTHING RETURNING id, email_hash"
	result, err := tx.Raw(query, args...).Rows()
	if err != nil {
		return nil, fmt.Errorf("store: insert %d imported signatures: %w", len(rows), err)
	}
	defer result.Close()
	stored := make([]*Signature, 0, len(rows))
	for result.Next() {
		var id uint64
		var hash string
		if err := result.Scan(&id, &hash); err != nil {
			return nil, fmt.Errorf("store: read the ids of imported signatures: %w", err)
		}
		byHash[hash].ID = id
		stored = append(stored, byHash[hash])
	}
	if err := result.Err(); err != nil {
		return nil, fmt.Errorf("store: insert %d imported signatures: %w", len(rows), err)
	}
	return stored, nil
}
