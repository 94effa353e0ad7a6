package imports

import (
	"encoding/json"
	"strings"
	"unicode"

	"github.com/undersigned/undersigned/pkg/signing"
	"github.com/undersigned/undersigned/pkg/store"
)

// Field is a detail of a signature that a column of the file can give.
// The names are the sign form's, so that its error messages fit.
type Field string

// The fields a column can be mapped to.
const (
	FieldKind        Field = "kind"
	FieldName        Field = "name"
	FieldAffiliation Field = "affiliation"
	FieldWebsite     Field = "website"
	FieldOrgType     Field = "org_type"
	FieldCountry     Field = "country"
	FieldEmail       Field = "email"
	FieldContactName Field = "contact_name"
	FieldShowName    Field = "show_name"
)

// Fields lists every field in the order the mapping form shows them.
func Fields() []Field {
	return []Field{FieldKind, FieldName, FieldAffiliation, FieldWebsite, FieldOrgType, FieldCountry, FieldEmail,
		FieldContactName, FieldShowName}
}

// Mapping says which column (by index, from 0) gives each field; a field
// absent from it takes no column.
type Mapping map[Field]int

// headerNames are the column headings each field is guessed from, folded as
// foldHeader folds them: the field's own name and what campaigns' sheets
// commonly call it, in the languages of the console.
func headerNames() map[Field][]string {
	return map[Field][]string{
		FieldKind:        {"kind", "type", "signertype", "art", "typesignataire", "tipo"},
		FieldName:        {"name", "fullname", "organisation", "organization", "organisationname", "organizationname", "nom", "nombre", "nome", "الاسم"},
		FieldAffiliation: {"affiliation", "zugehorigkeit", "afiliacion", "afiliacao"},
		FieldWebsite:     {"website", "web", "url", "site", "sitioweb", "siteweb", "webseite", "homepage"},
		FieldOrgType:     {"orgtype", "organisationtype", "organizationtype", "typeoforganisation", "typeoforganization"},
		FieldCountry:     {"country", "countrycode", "land", "pays", "pais", "país", "البلد"},
		FieldEmail:       {"email", "emailaddress", "mail", "courriel", "correo", "correoelectronico", "البريدالإلكتروني"},
		FieldContactName: {"contact", "contactname", "contactperson", "ansprechpartner", "personnedecontact"},
		FieldShowName:    {"showname", "public", "shownamepublicly", "listed", "publish"},
	}
}

// GuessMapping maps each field to the first column whose heading names it,
// ignoring case, accents, spaces and punctuation.
func GuessMapping(header []string) Mapping {
	m := Mapping{}
	for _, field := range Fields() {
		for i, heading := range header {
			if _, taken := m.columnOf(i); !taken && contains(headerNames()[field], foldHeader(heading)) {
				m[field] = i
				break
			}
		}
	}
	return m
}

// columnOf reports the field column i is mapped to, if any.
func (m Mapping) columnOf(i int) (Field, bool) {
	for f, c := range m {
		if c == i {
			return f, true
		}
	}
	return "", false
}

func contains(names []string, name string) bool {
	for _, n := range names {
		if n == name {
			return true
		}
	}
	return false
}

// foldHeader is a heading in lower case with only its letters and digits,
// accents dropped from the Latin ones: "E-mail address" → "emailaddress".
func foldHeader(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		case strings.ContainsRune("àáâãäå", r):
			b.WriteByte('a')
		case strings.ContainsRune("èéêë", r):
			b.WriteByte('e')
		case strings.ContainsRune("ìíîï", r):
			b.WriteByte('i')
		case strings.ContainsRune("òóôõö", r):
			b.WriteByte('o')
		case strings.ContainsRune("ùúûü", r):
			b.WriteByte('u')
		case r == 'ç':
			b.WriteByte('c')
		case unicode.IsLetter(r):
			b.WriteRune(r)
		}
	}
	return b.String()
}

// Encode is the mapping as the imports table keeps it.
func (m Mapping) Encode() string {
	out, _ := json.Marshal(m) // a map of strings to ints always marshals
	return string(out)
}

// DecodeMapping reads a mapping Encode wrote; "" or a broken one is empty.
func DecodeMapping(s string) Mapping {
	m := Mapping{}
	_ = json.Unmarshal([]byte(s), &m)
	return m
}

// cell is the value of row for field, "" when the field has no column or
// the row is shorter.
func (m Mapping) cell(row []string, field Field) (string, bool) {
	i, ok := m[field]
	if !ok || i < 0 || i >= len(row) {
		return "", false
	}
	return row[i], true
}

// formulaStarts are the first characters that make a spreadsheet read a
// cell as a formula (OWASP's CSV injection list).
const formulaStarts = "=+-@\t\r"

// looksLikeFormula reports whether a spreadsheet would run cell as a formula.
func looksLikeFormula(cell string) bool {
	return cell != "" && strings.ContainsRune(formulaStarts, rune(cell[0]))
}

// request turns row into a sign form's request for the mapped fields, and
// reports the fields whose cell is refused before validation: a cell that
// looks like a formula, a kind or a yes/no it cannot read.
func (m Mapping) request(row []string, locale string) (signing.Request, signing.FieldErrors) {
	errs := signing.FieldErrors{}
	value := func(field Field) string {
		v, _ := m.cell(row, field)
		if looksLikeFormula(v) {
			errs[string(field)] = "admin.imports.error.formula"
			return ""
		}
		return v
	}
	r := signing.Request{Name: value(FieldName), Affiliation: value(FieldAffiliation), Website: value(FieldWebsite),
		OrgType: orgType(value(FieldOrgType)), Country: value(FieldCountry), Email: value(FieldEmail),
		ContactName: value(FieldContactName), Consent: true, Locale: locale}
	kind, ok := kindOf(value(FieldKind))
	if !ok {
		errs[string(FieldKind)] = "admin.imports.error.kind"
	}
	r.Kind = kind
	if r.ShowName, ok = yes(value(FieldShowName)); !ok {
		errs[string(FieldShowName)] = "admin.imports.error.show_name"
	}
	return r, errs
}

// kindOf reads a kind cell: an individual when empty (or unmapped).
func kindOf(cell string) (store.Kind, bool) {
	switch foldHeader(cell) {
	case "organisation", "organization", "org", "organisme", "organizacion", "organizacao", "منظمة":
		return store.KindOrganisation, true
	case "", "individual", "person", "individu", "personne", "persona", "pessoa", "فرد":
		return store.KindIndividual, true
	}
	return "", false
}

// orgType reads an organisation type as its code: "Trade association" →
// "trade_association".
func orgType(cell string) string {
	return strings.ReplaceAll(strings.ToLower(strings.TrimSpace(cell)), " ", "_")
}

// yes reads a yes/no cell; empty is no: an imported name is listed only
// where the file says the signer agreed.
func yes(cell string) (bool, bool) {
	switch foldHeader(cell) {
	case "yes", "y", "true", "1", "x", "ja", "oui", "si", "sim", "نعم":
		return true, true
	case "", "no", "n", "false", "0", "nein", "non", "nao", "لا":
		return false, true
	}
	return false, false
}
