// Package geo knows the countries a signer can choose: the ISO 3166-1 alpha-2
// codes, with names in the reader's language sorted by the reader's collation.
package geo

import (
	"slices"
	"strings"
	"sync"

	"golang.org/x/text/collate"
	"golang.org/x/text/language"
	"golang.org/x/text/language/display"
)

// isoCodes are the 249 officially assigned ISO 3166-1 alpha-2 codes.
const isoCodes = `AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ
BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER
ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM
IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF
MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK
PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD
TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW`

// Country is one entry of the country list.
type Country struct {
	Code string // ISO 3166-1 alpha-2, upper case
	Name string // in the reader's language
}

// Countries answers questions about the country list. It is built once and only read.
type Countries struct {
	codes  []string
	known  map[string]bool
	sorted sync.Map // language tag string → []Country, filled on first use
	ranks  sync.Map // language tag string → map[code]position in sorted
}

// New builds the country list.
func New() *Countries {
	codes := strings.Fields(isoCodes)
	known := make(map[string]bool, len(codes))
	for _, c := range codes {
		known[c] = true
	}
	return &Countries{codes: codes, known: known}
}

// Valid reports whether code is an assigned ISO 3166-1 alpha-2 code (upper case).
func (c *Countries) Valid(code string) bool {
	return c.known[code]
}

// Name is the country's name in lang, falling back to English, then the code.
func (c *Countries) Name(code string, lang language.Tag) string {
	region, err := language.ParseRegion(code)
	if err != nil {
		return code
	}
	if name, ok := renamed(code, lang); ok {
		return name
	}
	if name := display.Regions(lang).Name(region); name != "" {
		return name
	}
	if name := display.English.Regions().Name(region); name != "" {
		return name
	}
	return code
}

// Rank gives each country's position in List(lang), for sorting countries by
// name in the reader's collation without collating again.
func (c *Countries) Rank(lang language.Tag) map[string]int {
	if rank, ok := c.ranks.Load(lang.String()); ok {
		return rank.(map[string]int)
	}
	list := c.List(lang)
	rank := make(map[string]int, len(list))
	for i, country := range list {
		rank[country.Code] = i
	}
	c.ranks.Store(lang.String(), rank)
	return rank
}

// List returns every country named in lang and sorted by lang's collation.
// Callers must not modify the result: it is shared.
func (c *Countries) List(lang language.Tag) []Country {
	if list, ok := c.sorted.Load(lang.String()); ok {
		return list.([]Country)
	}
	list := c.sortedList(lang)
	c.sorted.Store(lang.String(), list)
	return list
}

func (c *Countries) sortedList(lang language.Tag) []Country {
	out := make([]Country, len(c.codes))
	for i, code := range c.codes {
		out[i] = Country{Code: code, Name: c.Name(code, lang)}
	}
	col := collate.New(lang)
	slices.SortFunc(out, func(a, b Country) int { return col.CompareString(a.Name, b.Name) })
	return out
}

// renamed gives the current name of countries renamed since the CLDR data in
// golang.org/x/text was made, in the languages where the old name shows.
func renamed(code string, lang language.Tag) (string, bool) {
	base, _ := lang.Base()
	switch base.String() + ":" + code {
	case "en:MK":
		return "North Macedonia", true
	case "fr:MK":
		return "Macédoine du Nord", true
	case "de:MK":
		return "Nordmazedonien", true
	case "es:MK":
		return "Macedonia del Norte", true
	case "pt:MK":
		return "Macedônia do Norte", true
	case "ar:MK":
		return "مقدونيا الشمالية", true
	case "en:SZ", "fr:SZ", "de:SZ", "es:SZ", "pt:SZ":
		return "Eswatini", true
	case "ar:SZ":
		return "إسواتيني", true
	case "en:TR":
		return "Türkiye", true
	}
	return "", false
}
