package imports

import (
	"context"
	"maps"
	"slices"

	"github.com/undersigned/undersigned/pkg/letters"
	"github.com/undersigned/undersigned/pkg/signing"
	"github.com/undersigned/undersigned/pkg/store"
	"github.com/undersigned/undersigned/pkg/vault"
)

// sampleRows is how many rows the preview shows as they would be stored.
const sampleRows = 10

// Problem is one field of a row that is refused, and why (a message id).
type Problem struct {
	Field  string
	Reason string
}

// RowError is a row that will not be imported, by the line it starts on
// in the file (the header is line 1), with every problem it has.
type RowError struct {
	Row      int
	Problems []Problem
}

// Report is what an import would do with its file as mapped: how many data
// rows it has, the first valid ones as they would be stored, every row
// refused with its reasons, and how many valid rows are skipped because
// their address signed the letter already or came earlier in the file.
type Report struct {
	Rows       int
	Sample     []signing.Request
	Errors     []RowError
	Duplicates int
	// Importable is how many rows would be stored.
	Importable int
	// repeated counts the rows whose address came earlier in the file;
	// those that signed already are counted as the import meets them.
	repeated int
}

// candidate is a valid row, by its index among the data rows, with its
// request normalised and the keyed hash of its canonical address.
type candidate struct {
	index     int
	request   signing.Request
	emailHash string
}

// checked is a file's rows sorted out: the valid ones to store (each
// address once), the refused ones, and how many repeated an address.
type checked struct {
	candidates []candidate
	errors     []RowError
	repeated   int
}

// Preview checks every row of the import's file as mapped, as the sign form
// checks its fields, and looks up which addresses signed the letter already.
func (s *Service) Preview(ctx context.Context, imp *store.Import, letter *letters.Letter) (*Report, error) {
	table, err := s.table(imp)
	if err != nil {
		return nil, err
	}
	c := s.check(table, DecodeMapping(imp.Mapping), letter)
	hashes := make([]string, len(c.candidates))
	for i, cand := range c.candidates {
		hashes[i] = cand.emailHash
	}
	signed, err := store.SignedHashes(s.d.Store.Read(ctx), letter.ID, hashes)
	if err != nil {
		return nil, err
	}
	r := &Report{Rows: len(table.Rows), Errors: c.errors, Duplicates: c.repeated + len(signed), repeated: c.repeated}
	for _, cand := range c.candidates {
		if signed[cand.emailHash] {
			continue
		}
		r.Importable++
		if len(r.Sample) < sampleRows {
			r.Sample = append(r.Sample, cand.request)
		}
	}
	return r, nil
}

// check sorts out the rows of table as mapped for letter.
func (s *Service) check(table *Table, m Mapping, letter *letters.Letter) checked {
	var c checked
	seen := map[string]bool{}
	for i, row := range table.Rows {
		r, problems := s.checkRow(row, m, letter)
		if len(problems) > 0 {
			c.errors = append(c.errors, RowError{Row: table.Lines[i], Problems: problems})
			continue
		}
		hash := s.d.Vault.Hash(vault.PurposeEmail, signing.CanonicalEmail(r.Email))
		if seen[hash] {
			c.repeated++
			continue
		}
		seen[hash] = true
		c.candidates = append(c.candidates, candidate{index: i, request: r, emailHash: hash})
	}
	return c
}

// checkRow turns a row into a request and checks it with the sign form's
// rules; a cell refused as it was read (a formula, an unreadable kind)
// stands instead of what the form's rules say of the same field.
func (s *Service) checkRow(row []string, m Mapping, letter *letters.Letter) (signing.Request, []Problem) {
	r, refused := m.request(row, letter.Lang)
	errs := signing.Validate(&r, s.d.ValidCountry)
	maps.Copy(errs, refused)
	if len(errs) == 0 {
		return r, nil
	}
	problems := make([]Problem, 0, len(errs))
	for _, field := range slices.Sorted(maps.Keys(errs)) {
		problems = append(problems, Problem{Field: field, Reason: errs[field]})
	}
	return r, problems
}
