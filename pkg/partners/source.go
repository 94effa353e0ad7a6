package partners

import (
	"gorm.io/gorm"

	"github.com/undersigned/undersigned/pkg/store"
)

// Source is where a signature came from: the code of the link that brought
// it and the partner that has that code. A code no partner has is kept as
// it was given and shown as "other"; no code means the letter's own links.
type Source struct {
	Code    string
	Partner string // the partner's name; "" when no partner has the code
}

// Other reports whether the code is one no partner of the letter has.
func (s Source) Other() bool { return s.Code != "" && s.Partner == "" }

// SourceCount is how many confirmed signatures came from one source, and
// how many of them are published.
type SourceCount struct {
	Source
	Confirmed int64
	Published int64
}

// NameMap names a letter's partners by their codes.
type NameMap map[string]string

// Names maps the codes of list to their partners' names.
func Names(list []store.Partner) NameMap {
	m := make(NameMap, len(list))
	for _, p := range list {
		m[p.Code] = p.Name
	}
	return m
}

// Of is the source a signature with code came from.
func (m NameMap) Of(code string) Source { return Source{Code: code, Partner: m[code]} }

// Directory names the source of signatures of any letter, reading each
// letter's partners once: for lists that span letters, as the queue and
// the export do.
type Directory struct {
	db       *gorm.DB
	byLetter map[uint]NameMap
}

// NewDirectory returns a Directory reading partners through db.
func NewDirectory(db *gorm.DB) *Directory {
	return &Directory{db: db, byLetter: map[uint]NameMap{}}
}

// Of is the source of a signature of letterID that came with code.
func (d *Directory) Of(letterID uint, code string) (Source, error) {
	if code == "" {
		return Source{}, nil
	}
	names, ok := d.byLetter[letterID]
	if !ok {
		list, err := store.PartnersOf(d.db, letterID)
		if err != nil {
			return Source{}, err
		}
		names = Names(list)
		d.byLetter[letterID] = names
	}
	return names.Of(code), nil
}

// Label is the source as the export writes it: the partner's name,
// "other: CODE" for a code no partner has, or "" for none.
func (s Source) Label() string {
	if s.Other() {
		return "other: " + s.Code
	}
	return s.Partner
}
