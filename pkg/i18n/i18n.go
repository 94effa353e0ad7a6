// Package i18n holds the message catalogs (one YAML file per language under
// locales/) and picks the reader's language. Every user-facing string goes
// through a Localizer, so adding a language is adding a file.
package i18n

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"strconv"
	"strings"
	"time"

	goi18n "github.com/nicksnyder/go-i18n/v2/i18n"
	"go.yaml.in/yaml/v3"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

//go:embed locales/*.yaml
var localeFiles embed.FS

// Catalog is the set of loaded languages. It is built once and only read.
type Catalog struct {
	matcher    language.Matcher
	tags       []language.Tag
	localizers []*Localizer // one per tag, same order: a Localizer is only read
}

// Load reads every catalog under locales/; English is the fallback for keys a
// language lacks.
func Load() (*Catalog, error) {
	bundle := goi18n.NewBundle(language.English)
	bundle.RegisterUnmarshalFunc("yaml", yaml.Unmarshal)
	names, err := fs.Glob(localeFiles, "locales/*.yaml")
	if err != nil {
		return nil, fmt.Errorf("i18n: list catalogs: %w", err)
	}
	for _, name := range names {
		if _, err := bundle.LoadMessageFileFS(localeFiles, name); err != nil {
			return nil, fmt.Errorf("i18n: load %s: %w", path.Base(name), err)
		}
	}
	tags := bundle.LanguageTags()
	localizers := make([]*Localizer, len(tags))
	for i, tag := range tags {
		localizers[i] = &Localizer{Tag: tag, l: goi18n.NewLocalizer(bundle, tag.String()), printer: message.NewPrinter(tag)}
	}
	return &Catalog{matcher: language.NewMatcher(tags), tags: tags, localizers: localizers}, nil
}

// Languages lists the loaded languages, English first.
func (c *Catalog) Languages() []language.Tag { return c.tags }

// Negotiate returns the localizer for the first of prefs (tags or
// Accept-Language values, most wanted first) that the catalog can serve, and
// whether any of them matched at all (false: the fallback, English).
// Localizers are made once per language, at Load, and shared by every request.
func (c *Catalog) Negotiate(prefs ...string) (l *Localizer, matched bool) {
	var wanted []language.Tag
	for _, p := range prefs {
		if p == "" {
			continue
		}
		if tags, _, err := language.ParseAcceptLanguage(p); err == nil {
			wanted = append(wanted, tags...)
		}
	}
	_, index, conf := c.matcher.Match(wanted...)
	return c.localizers[index], conf != language.No
}

// Localizer is Negotiate's localizer: the reader's language, or English.
func (c *Catalog) Localizer(prefs ...string) *Localizer {
	l, _ := c.Negotiate(prefs...)
	return l
}

// Localizer translates message ids into one language.
type Localizer struct {
	Tag     language.Tag
	l       *goi18n.Localizer
	printer *message.Printer
}

// DateTime formats a moment for the reader (in UTC) from format.datetime.
func (l *Localizer) DateTime(t time.Time) string {
	t = t.UTC()
	return l.T("format.datetime", "Day", t.Day(), "Month", l.T("month."+strconv.Itoa(int(t.Month()))), "Year", t.Year(),
		"Time", t.Format("15:04"))
}

// Date formats a day for the reader (in UTC) from format.date.
func (l *Localizer) Date(t time.Time) string {
	t = t.UTC()
	return l.T("format.date", "Day", t.Day(), "Month", l.T("month."+strconv.Itoa(int(t.Month()))), "Year", t.Year())
}

// Number formats n for the reader: 12,345 in English, 12 345 in French.
func (l *Localizer) Number(n int64) string { return l.printer.Sprint(n) }

// T translates id. kv are pairs of placeholder name and value; a "Count" pair
// also chooses the plural form. A missing id comes back unchanged, so a gap
// shows on the page instead of breaking it (a test keeps catalogs complete).
func (l *Localizer) T(id string, kv ...any) string {
	cfg := &goi18n.LocalizeConfig{MessageID: id}
	if len(kv) > 0 {
		data := make(map[string]any, len(kv)/2)
		for i := 0; i+1 < len(kv); i += 2 {
			key := fmt.Sprint(kv[i])
			data[key] = kv[i+1]
			if key == "Count" {
				// The plural form comes from the number; the text shows it
				// formatted for the reader (1,205).
				cfg.PluralCount = kv[i+1]
				data[key] = l.printer.Sprint(kv[i+1])
			}
		}
		cfg.TemplateData = data
	}
	s, err := l.l.Localize(cfg)
	if err != nil && s == "" {
		return id
	}
	return s
}

// Dir is the writing direction of the localizer's language: "rtl" or "ltr".
func (l *Localizer) Dir() string { return DirOf(l.Tag.String()) }

// DirOf is the writing direction of a language tag: "rtl" for Arabic,
// Hebrew, Persian and Urdu, "ltr" otherwise.
func DirOf(tag string) string {
	base, _, _ := strings.Cut(tag, "-")
	switch base {
	case "ar", "he", "fa", "ur":
		return "rtl"
	}
	return "ltr"
}

// Lang is the BCP 47 tag for the html lang attribute.
func (l *Localizer) Lang() string { return l.Tag.String() }
