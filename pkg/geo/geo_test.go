package geo

import (
	"testing"

	"golang.org/x/text/language"
)

func TestEveryCodeIsAssignedAndNamed(t *testing.T) {
	c := New()
	if got := len(c.codes); got != 249 {
		t.Fatalf("ISO 3166-1 has 249 codes, list has %d", got)
	}
	for _, code := range c.codes {
		if name := c.Name(code, language.English); name == code || name == "" {
			t.Errorf("%s has no English name", code)
		}
	}
}

func TestValid(t *testing.T) {
	c := New()
	tests := []struct {
		code string
		want bool
	}{
		{"DE", true}, {"BR", true}, {"ZW", true},
		{"de", false}, {"XX", false}, {"EU", false}, {"UK", false}, {"", false}, {"DEU", false},
	}
	for _, tt := range tests {
		if got := c.Valid(tt.code); got != tt.want {
			t.Errorf("Valid(%q) = %v, want %v", tt.code, got, tt.want)
		}
	}
}

func TestListIsSortedByLocalName(t *testing.T) {
	list := New().List(language.English)
	if list[0].Name != "Afghanistan" {
		t.Errorf("first country = %q, want Afghanistan", list[0].Name)
	}
	// Åland Islands sorts with the As in English collation, not after Z.
	for i, c := range list {
		if c.Code == "AX" && i > 10 {
			t.Errorf("Åland Islands at %d; collation should put it among the As", i)
		}
	}
	if de := New().Name("DE", language.French); de != "Allemagne" {
		t.Errorf("French name of DE = %q, want Allemagne", de)
	}
}

func TestRenamedCountriesUseTheirCurrentName(t *testing.T) {
	c := New()
	for _, tt := range []struct {
		code string
		lang language.Tag
		want string
	}{
		{"MK", language.English, "North Macedonia"},
		{"SZ", language.English, "Eswatini"},
		{"TR", language.English, "Türkiye"},
		{"MK", language.French, "Macédoine du Nord"},
		{"DE", language.English, "Germany"},
	} {
		if got := c.Name(tt.code, tt.lang); got != tt.want {
			t.Errorf("Name(%s, %s) = %q, want %q", tt.code, tt.lang, got, tt.want)
		}
	}
}
