package imports

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"
)

// ErrNotUTF8 is what a file that is not UTF-8 text is refused with (a
// spreadsheet saved as Latin-1 or UTF-16, or not a text file at all).
var ErrNotUTF8 = errors.New("imports: the file is not UTF-8 text")

// ErrNoRows is what a file without a header and at least one row is refused with.
var ErrNoRows = errors.New("imports: the file has no rows below its header")

// QuotingError is what a file whose quoting is broken (a quote inside an
// unquoted field, a quoted field never closed) is refused with: the line
// where reading stopped.
type QuotingError struct{ Line int }

func (e *QuotingError) Error() string {
	return fmt.Sprintf("imports: broken quoting on line %d", e.Line)
}

// TooManyRowsError is what a file with more data rows than the limit is
// refused with, as soon as reading passes it.
type TooManyRowsError struct{ Max int }

func (e *TooManyRowsError) Error() string {
	return fmt.Sprintf("imports: more than %d rows", e.Max)
}

// Table is a CSV file read: its header, its data rows and the line each
// row starts on (the header is line 1), which the report names rows by.
type Table struct {
	Header []string
	Rows   [][]string
	Lines  []int
}

// byteOrderMark is the UTF-8 BOM that spreadsheets write at the start.
func byteOrderMark() []byte {
	return []byte{0xEF, 0xBB, 0xBF}
}

// Parse reads a CSV file: UTF-8, with or without a byte order mark, its
// fields separated by commas or by semicolons (whichever the header line
// has more of), quoted as RFC 4180 says (LazyQuotes off: a stray quote is an
// error, not guessed at). It stops with a *TooManyRowsError at row
// maxRows+1, without reading the rest.
func Parse(data []byte, maxRows int) (*Table, error) {
	data = bytes.TrimPrefix(data, byteOrderMark())
	if !utf8.Valid(data) {
		return nil, ErrNotUTF8
	}
	r := csv.NewReader(bytes.NewReader(data))
	r.Comma = delimiter(data)
	r.FieldsPerRecord = -1 // a short row is reported by its fields, not refused whole
	r.ReuseRecord = false
	t := &Table{}
	for {
		record, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		var parseErr *csv.ParseError
		if errors.As(err, &parseErr) {
			return nil, &QuotingError{Line: parseErr.Line}
		}
		if err != nil {
			return nil, fmt.Errorf("imports: read the file: %w", err)
		}
		if t.Header == nil {
			t.Header = record
			continue
		}
		if len(t.Rows) == maxRows {
			return nil, &TooManyRowsError{Max: maxRows}
		}
		line, _ := r.FieldPos(0)
		t.Rows, t.Lines = append(t.Rows, record), append(t.Lines, line)
	}
	if len(t.Rows) == 0 {
		return nil, ErrNoRows
	}
	return t, nil
}

// delimiter is ';' when the first line has more semicolons than commas
// outside quotes (as spreadsheets write CSV where the comma is the decimal
// sign), else ','.
func delimiter(data []byte) rune {
	commas, semicolons, quoted := 0, 0, false
	for _, b := range data {
		switch {
		case b == '"':
			quoted = !quoted
		case quoted:
		case b == '\n':
			if semicolons > commas {
				return ';'
			}
			return ','
		case b == ',':
			commas++
		case b == ';':
			semicolons++
		}
	}
	if semicolons > commas {
		return ';'
	}
	return ','
}
