package i18n

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"golang.org/x/text/language"
)

func english(t *testing.T) *Localizer {
	t.Helper()
	c, err := Load()
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return c.Localizer("en")
}

// missing reports whether id has no English message. Every id gets a Count, so
// plural messages resolve too.
func missing(l *Localizer, id string) bool {
	return l.T(id, "Count", 2) == id
}

func TestLoadListsEnglishFirst(t *testing.T) {
	c, err := Load()
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if langs := c.Languages(); len(langs) == 0 || langs[0] != language.English {
		t.Errorf("Languages() = %v, want English first", langs)
	}
}

func TestLocalizerFallsBackToEnglish(t *testing.T) {
	c, err := Load()
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	for _, prefs := range [][]string{{"ja-JP, ko;q=0.5"}, {"en-GB"}, {}, {""}, {"not a language tag!"}} {
		t.Run(strings.Join(prefs, "|"), func(t *testing.T) {
			l := c.Localizer(prefs...)
			if l.Tag.String() != "en" || l.Lang() != "en" {
				t.Errorf("Localizer(%q).Tag = %s, want en", prefs, l.Tag)
			}
			if got := l.T("sign.title"); got != "Sign the letter" {
				t.Errorf("T(sign.title) = %q, want the English text", got)
			}
		})
	}
}

// TestNegotiate checks the language picked for a request's preferences, and
// whether any matched: a letter's pages fall back to the letter's language
// only when none did, so English asked for must count as a match.
func TestNegotiate(t *testing.T) {
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		prefs   []string
		lang    string
		matched bool
	}{
		{[]string{"fr-CA"}, "fr", true},
		{[]string{"", "", "ja, de;q=0.8"}, "de", true},
		{[]string{"", "pt", "de"}, "pt", true},
		{[]string{"en-GB"}, "en", true},
		{[]string{"ja-JP, ko;q=0.5"}, "en", false},
		{[]string{"", "", ""}, "en", false},
		{[]string{"not a language tag!"}, "en", false},
	} {
		t.Run(strings.Join(tc.prefs, "|"), func(t *testing.T) {
			l, matched := c.Negotiate(tc.prefs...)
			if l.Lang() != tc.lang || matched != tc.matched {
				t.Errorf("Negotiate(%q) = %s, %v; want %s, %v", tc.prefs, l.Lang(), matched, tc.lang, tc.matched)
			}
		})
	}
}

func TestT(t *testing.T) {
	l := english(t)
	tests := []struct {
		name string
		id   string
		kv   []any
		want string
	}{
		{"missing id comes back unchanged", "no.such.message", nil, "no.such.message"},
		{"missing id with count comes back unchanged", "no.such.message", []any{"Count", 2}, "no.such.message"},
		{"plain message", "sign.title", nil, "Sign the letter"},
		{"plural one", "totals.organisations", []any{"Count", 1}, "organisation"},
		{"plural other", "totals.organisations", []any{"Count", 2}, "organisations"},
		{"plural zero is other", "totals.organisations", []any{"Count", 0}, "organisations"},
		{"plural with count placeholder", "signatories.others", []any{"Count", 3}, "and 3 other people who chose not to be named"},
		{"placeholder", "confirm.letter", []any{"Title", "Protect strong encryption"}, "Letter: Protect strong encryption"},
		{"odd trailing argument ignored", "confirm.letter", []any{"Title", "X", "Dangling"}, "Letter: X"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := l.T(tt.id, tt.kv...); got != tt.want {
				t.Errorf("T(%q, %v) = %q, want %q", tt.id, tt.kv, got, tt.want)
			}
		})
	}
}

func TestTFillsPlaceholders(t *testing.T) {
	got := english(t).T("check_inbox.body", "Title", "Protect strong encryption")
	if !strings.Contains(got, "“Protect strong encryption”") || strings.Contains(got, "{{") {
		t.Errorf("T(check_inbox.body) = %q, want the title filled in", got)
	}
}

func TestDir(t *testing.T) {
	tests := map[string]string{"en": "ltr", "de": "ltr", "ar": "rtl", "he": "rtl", "fa-IR": "rtl", "ur": "rtl"}
	for tag, want := range tests {
		t.Run(tag, func(t *testing.T) {
			l := &Localizer{Tag: language.MustParse(tag)}
			if got := l.Dir(); got != want {
				t.Errorf("Dir() for %s = %q, want %q", tag, got, want)
			}
		})
	}
	if got := english(t).Dir(); got != "ltr" {
		t.Errorf("English Dir() = %q, want ltr", got)
	}
}

var templateID = []*regexp.Regexp{
	regexp.MustCompile(`\.T "([a-z0-9_.]+)"`),
	regexp.MustCompile(`T "([a-z0-9_.]+)"`),
}

// templateIDs returns every message id that the templates under dir name literally.
func templateIDs(t *testing.T, dir string) []string {
	t.Helper()
	var ids []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || (filepath.Ext(path) != ".html" && filepath.Ext(path) != ".txt") {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, re := range templateID {
			for _, m := range re.FindAllStringSubmatch(string(b), -1) {
				ids = append(ids, m[1])
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("walk %s: %v", dir, err)
	}
	slices.Sort(ids)
	return slices.Compact(ids)
}

func TestEveryTemplateMessageExists(t *testing.T) {
	ids := templateIDs(t, "../../templates")
	if len(ids) < 50 {
		t.Fatalf("found only %d message ids in the templates; is the path right?", len(ids))
	}
	// Ids the templates build with printf.
	ids = append(ids, "sign.legend.organisation", "sign.legend.individual")
	l := english(t)
	for _, id := range ids {
		if missing(l, id) {
			t.Errorf("templates use %q, which en.yaml lacks", id)
		}
	}
}

var goID = regexp.MustCompile(`"((?:error|field|sign|org_type|confirm|check_inbox|resend|link_unknown|privacy|mail|totals|signatories|layout|form|common)\.[a-z0-9_.]+)"`)

// goIDs returns the message ids in string literals of the non-test Go files in dirs.
// Literals ending in "." are prefixes that the code completes, so they are left out.
func goIDs(t *testing.T, dirs ...string) []string {
	t.Helper()
	var ids []string
	for _, dir := range dirs {
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil || len(files) == 0 {
			t.Fatalf("no Go files in %s (%v)", dir, err)
		}
		for _, file := range files {
			if strings.HasSuffix(file, "_test.go") {
				continue
			}
			b, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range goID.FindAllStringSubmatch(string(b), -1) {
				if !strings.HasSuffix(m[1], ".") {
					ids = append(ids, m[1])
				}
			}
		}
	}
	slices.Sort(ids)
	return slices.Compact(ids)
}

func TestEveryGoMessageExists(t *testing.T) {
	ids := goIDs(t, "../web", "../signing")
	if len(ids) < 10 {
		t.Fatalf("found only %d message ids in the Go code; is the path right?", len(ids))
	}
	l := english(t)
	for _, id := range ids {
		if missing(l, id) {
			t.Errorf("Go code uses %q, which en.yaml lacks", id)
		}
	}
}

func TestEveryComposedMessageExists(t *testing.T) {
	var ids []string
	for _, orgType := range []string{"ngo", "company", "trade_association", "academic", "media", "public_body", "other"} {
		ids = append(ids, "org_type."+orgType)
	}
	for _, code := range []string{
		"bad_request", "forbidden", "not_found", "method_not_allowed", "too_large", "unsupported_media_type",
		"too_many_requests", "internal", "unavailable", "invalid_country", "invalid_kind", "invalid_query",
		"invalid_page", "not_public",
	} {
		ids = append(ids, "error."+code)
	}
	for _, kind := range []string{"confirm", "already_signed"} {
		ids = append(ids, "mail."+kind+".subject")
	}
	for _, kind := range []string{"organisation", "individual"} {
		ids = append(ids, "sign.as."+kind) // "sign.as." + kind in pkg/web
	}
	for _, field := range []string{"name", "contact_name"} {
		ids = append(ids, "error."+field+".required") // "error." + field + ".required" in pkg/signing
	}
	for _, flag := range []string{"duplicate", "domain_mismatch", "confusable", "corrected"} {
		ids = append(ids, "admin.flag."+flag) // "admin.flag." + code in pkg/web
	}
	for _, reason := range []string{"same_site", "same_name", "lookalike_name", "same_contact"} {
		ids = append(ids, "admin.flag.reason."+reason)
	}
	l := english(t)
	for _, id := range ids {
		t.Run(id, func(t *testing.T) {
			if missing(l, id) {
				t.Errorf("%q is missing from en.yaml", id)
			}
		})
	}
}

// TestLocalizersAreSharedSafely uses the one localizer per language that
// every request shares from many goroutines at once; run with -race, it
// shows they only read.
func TestLocalizersAreSharedSafely(t *testing.T) {
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	if c.Localizer("fr") != c.Localizer("fr-CA, en;q=0.5") {
		t.Error("two requests for French got two localizers")
	}
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for _, l := range []*Localizer{c.Localizer("en"), c.Localizer("fr")} {
				if got := l.T("signatories.unnamed_only", "Count", i); !strings.Contains(got, strconv.Itoa(i)) || l.Number(int64(1000*i)) == "" {
					t.Errorf("%s: signatories.unnamed_only with %d = %q", l.Tag, i, got)
				}
			}
		})
	}
	wg.Wait()
}
