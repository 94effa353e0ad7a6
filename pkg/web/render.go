package web

import (
	"bytes"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/undersigned/undersigned/pkg/config"
	"github.com/undersigned/undersigned/pkg/i18n"
	"github.com/undersigned/undersigned/pkg/store"
)

// Page is what every page template can use: the reader's language and the site.
// Page-specific views embed it.
type Page struct {
	L     *i18n.Localizer
	Site  config.Site
	Title string
	// Canonical is the absolute URL of the page, for links and meta tags.
	Canonical string
	// Staff is the logged-in staff member on console pages, nil elsewhere.
	Staff *store.Staff
	// CSRF is the token every console form carries.
	CSRF string
	// HasErrors marks a form sent back for correction; the title says so.
	HasErrors bool
	// Languages offers the page in every language of the catalog.
	Languages []languageLink
}

// languageLink is one entry of the language switch and of the hreflang
// alternates: the page in another language.
type languageLink struct {
	Tag     string
	Name    string // in the language itself: "Français"
	URL     string // relative, for the switch
	Href    string // absolute, for <link rel="alternate">
	Current bool
}

// IsAdmin tells console templates whether to offer admin-only things.
func (p *Page) IsAdmin() bool { return p.Staff != nil && p.Staff.Role == store.RoleAdmin }

// T translates a message id in the reader's language.
func (p *Page) T(id string, kv ...any) string { return p.L.T(id, kv...) }

// N formats a number for the reader.
func (p *Page) N(n int64) string { return p.L.Number(n) }

// templates holds one parsed template set per page: the layout, the partials
// and the page itself.
type templates struct {
	pages map[string]*template.Template
}

func parseTemplates(files fs.FS) (*templates, error) {
	funcs := template.FuncMap{
		// field returns the form field's id, for label for= and aria-describedby.
		"field": func(name string) string { return "f-" + strings.ReplaceAll(name, "_", "-") },
		"add":   func(a, b int) int { return a + b },
		"int64": func(n int) int64 { return int64(n) },
		"deref": func(n *int64) int64 { return *n },
		// dict passes several values to a partial: dict "Key" value "Key2" value2.
		"dict": func(kv ...any) map[string]any {
			m := make(map[string]any, len(kv)/2)
			for i := 0; i+1 < len(kv); i += 2 {
				m[fmt.Sprint(kv[i])] = kv[i+1]
			}
			return m
		},
	}
	base, err := template.New("").Funcs(funcs).ParseFS(files, "templates/layouts/*.html", "templates/partials/*.html")
	if err != nil {
		return nil, fmt.Errorf("web: parse layouts: %w", err)
	}
	names, err := fs.Glob(files, "templates/pages/*.html")
	if err != nil {
		return nil, fmt.Errorf("web: list pages: %w", err)
	}
	t := &templates{pages: map[string]*template.Template{}}
	for _, name := range names {
		page := template.Must(base.Clone())
		if _, err := page.ParseFS(files, name); err != nil {
			return nil, fmt.Errorf("web: parse %s: %w", name, err)
		}
		t.pages[strings.TrimSuffix(path.Base(name), ".html")] = page
	}
	return t, nil
}

// render writes the named page with status. Rendering into a buffer first
// means a template error becomes a clean 500, not half a page.
func (a *App) render(c echo.Context, status int, name string, view any) error {
	b, err := a.renderBytes(name, view)
	if err != nil {
		return err
	}
	return sendHTML(c, status, b)
}

// renderBytes renders the named page.
func (a *App) renderBytes(name string, view any) ([]byte, error) {
	page, ok := a.templates.pages[name]
	if !ok {
		return nil, fmt.Errorf("web: no page template %q", name)
	}
	var buf bytes.Buffer
	if err := page.ExecuteTemplate(&buf, "base", view); err != nil {
		return nil, fmt.Errorf("web: render %s: %w", name, err)
	}
	return buf.Bytes(), nil
}

// renderPartial writes one partial template of the named page alone, for a
// script that swaps it into the page it already shows.
func (a *App) renderPartial(c echo.Context, status int, page, partial string, view any) error {
	tpl, ok := a.templates.pages[page]
	if !ok {
		return fmt.Errorf("web: no page template %q", page)
	}
	var buf bytes.Buffer
	if err := tpl.ExecuteTemplate(&buf, partial, view); err != nil {
		return fmt.Errorf("web: render %s of %s: %w", partial, page, err)
	}
	return sendHTML(c, status, buf.Bytes())
}

// page starts the view of a page for the current request.
func (a *App) page(c echo.Context, title string) *Page {
	csrf, _ := c.Get(csrfKey).(string)
	l := a.localizer(c)
	p := &Page{
		L:         l,
		Site:      a.d.Config.Site,
		Title:     title,
		Canonical: a.d.Config.BaseURL + c.Request().URL.Path,
		Staff:     currentStaff(c),
		CSRF:      csrf,
	}
	path := c.Request().URL.Path
	for _, lang := range a.languages {
		p.Languages = append(p.Languages, languageLink{Tag: lang.Tag, Name: lang.Name,
			URL: path + "?lang=" + lang.Tag, Href: a.d.Config.BaseURL + path + "?lang=" + lang.Tag, Current: lang.Tag == l.Lang()})
	}
	return p
}

// redirect answers a successful form post (POST, then redirect, then GET).
func redirect(c echo.Context, url string) error {
	return c.Redirect(http.StatusSeeOther, url)
}
