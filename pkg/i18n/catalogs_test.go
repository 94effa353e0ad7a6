package i18n

import (
	"io/fs"
	"maps"
	"path"
	"regexp"
	"slices"
	"strings"
	"testing"

	goi18n "github.com/nicksnyder/go-i18n/v2/i18n"
	"go.yaml.in/yaml/v3"
)

var placeholder = regexp.MustCompile(`{{\s*\.(\w+)\s*}}`)

// readCatalog returns a catalog file's messages: id → every text it holds
// (one, or one per plural form).
func readCatalog(t *testing.T, name string) map[string][]string {
	t.Helper()
	raw, err := fs.ReadFile(localeFiles, name)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	out := map[string][]string{}
	for id, v := range doc {
		switch m := v.(type) {
		case string:
			out[id] = []string{m}
		case map[string]any:
			for _, form := range slices.Sorted(maps.Keys(m)) {
				s, _ := m[form].(string)
				out[id] = append(out[id], s)
			}
		default:
			t.Errorf("%s: %s is neither text nor plural forms", name, id)
		}
	}
	return out
}

func placeholders(texts []string) []string {
	set := map[string]bool{}
	for _, s := range texts {
		for _, m := range placeholder.FindAllStringSubmatch(s, -1) {
			set[m[1]] = true
		}
	}
	return slices.Sorted(maps.Keys(set))
}

// TestEveryCatalogHasEveryKeyWithTheSamePlaceholders fails when a language
// lacks a message English has, has one English lacks, or uses other
// placeholders than the English message.
func TestEveryCatalogHasEveryKeyWithTheSamePlaceholders(t *testing.T) {
	english := readCatalog(t, "locales/en.yaml")
	names, _ := fs.Glob(localeFiles, "locales/*.yaml")
	if len(names) < 2 {
		t.Skip("only English is loaded")
	}
	for _, name := range names {
		if path.Base(name) == "en.yaml" {
			continue
		}
		t.Run(path.Base(name), func(t *testing.T) {
			other := readCatalog(t, name)
			for id, texts := range english {
				got, ok := other[id]
				if !ok {
					t.Errorf("missing %s", id)
					continue
				}
				if want, have := placeholders(texts), placeholders(got); !slices.Equal(want, have) {
					t.Errorf("%s: placeholders %v, English has %v", id, have, want)
				}
				for _, s := range got {
					if strings.TrimSpace(s) == "" {
						t.Errorf("%s: empty text", id)
					}
				}
			}
			for id := range other {
				if _, ok := english[id]; !ok {
					t.Errorf("%s is not in English", id)
				}
			}
		})
	}
}

// TestPluralMessagesHaveEveryFormTheLanguageNeeds renders every plural
// message of every language for numbers that reach each plural category.
func TestPluralMessagesHaveEveryFormTheLanguageNeeds(t *testing.T) {
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	english := readCatalog(t, "locales/en.yaml")
	for _, loc := range c.localizers {
		tag, l := loc.Tag, loc.l
		for id, texts := range english {
			if len(texts) < 2 {
				continue
			}
			for _, n := range []int{0, 1, 2, 3, 5, 11, 21, 100, 101, 1000000} {
				if _, err := l.Localize(&goi18n.LocalizeConfig{MessageID: id, PluralCount: n,
					TemplateData: map[string]any{"Count": n, "Country": "X", "Time": "t"}}); err != nil {
					t.Errorf("%s %s with %d: %v", tag, id, n, err)
				}
			}
		}
	}
}
