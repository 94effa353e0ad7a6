package web

import (
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/undersigned/undersigned/pkg/i18n"
	"github.com/undersigned/undersigned/pkg/letters"
	"github.com/undersigned/undersigned/pkg/partners"
	"github.com/undersigned/undersigned/pkg/signing"
	"github.com/undersigned/undersigned/pkg/store"
)

// partnerForm is the form that registers a partner, as posted.
type partnerForm struct {
	Name    string `form:"name"`
	Code    string `form:"code"`
	Website string `form:"website"`
}

// partnerRow is a partner on the console's letter page: its share link and
// the embed code carrying it.
type partnerRow struct {
	ID        uint64
	Name      string
	Code      string
	Website   string
	ShareURL  string
	EmbedCode string
	LinkURL   string // where the form that rotates its private link posts
	// ContactsURL is where the form that exports the signers who allowed
	// the partner to contact them posts.
	ContactsURL string
}

// sourceRow is one line of the console's table of signatures per source.
type sourceRow struct {
	Label string
	// HistoryURL is the console's page of the source's numbers over time.
	HistoryURL string
	Confirmed  int64
	Published  int64
}

// newPartnerLink is a partner's private link, shown once, as it is made.
type newPartnerLink struct {
	Partner string
	URL     string
}

// partnerSection is the console letter page's section on partners.
type partnerSection struct {
	Partners []partnerRow
	Fields   []formField
	Sources  []sourceRow
	NewLink  *newPartnerLink
}

// createPartner registers a partner of the letter and shows its private
// link, this once.
func (a *App) createPartner(c echo.Context) error {
	var form partnerForm
	letter, err := a.postedLetter(c, &form)
	if err != nil {
		return err
	}
	in := partners.Input{Name: form.Name, Code: form.Code, Website: form.Website}
	p, token, err := a.d.Partners.Add(c.Request().Context(), store.StaffActor(currentStaff(c)), letter.ID, in)
	var invalid *partners.ValidationError
	if errors.As(err, &invalid) {
		return a.renderConsoleLetter(c, http.StatusUnprocessableEntity, letter,
			letterPageInput{partner: &form, errs: invalid.Fields})
	}
	if err != nil {
		return err
	}
	return a.renderConsoleLetter(c, http.StatusOK, letter, letterPageInput{newLink: a.partnerLink(p, token)})
}

// consolePartner is the console letter and the partner id a partner's
// route names; a partner id that is no number is not found.
func (a *App) consolePartner(c echo.Context) (*letters.Letter, uint64, error) {
	letter, err := a.consoleLetter(c)
	if err != nil {
		return nil, 0, err
	}
	id, err := strconv.ParseUint(c.Param("partner"), 10, 64)
	if err != nil {
		return nil, 0, echo.ErrNotFound
	}
	return letter, id, nil
}

// rotatePartnerLink gives a partner a new private link; the old one stops
// working at once.
func (a *App) rotatePartnerLink(c echo.Context) error {
	letter, id, err := a.consolePartner(c)
	if err != nil {
		return err
	}
	p, token, err := a.d.Partners.Rotate(c.Request().Context(), store.StaffActor(currentStaff(c)), letter.ID, id)
	if errors.Is(err, partners.ErrNotFound) {
		return echo.ErrNotFound
	}
	if err != nil {
		return err
	}
	return a.renderConsoleLetter(c, http.StatusOK, letter, letterPageInput{newLink: a.partnerLink(p, token)})
}

// exportPartnerContacts downloads, as CSV, the signers who allowed the
// partner to contact them, with their addresses; audited.
func (a *App) exportPartnerContacts(c echo.Context) error {
	letter, id, err := a.consolePartner(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	if _, err := a.d.Partners.Of(ctx, letter.ID, id); errors.Is(err, partners.ErrNotFound) {
		return echo.ErrNotFound
	} else if err != nil {
		return err
	}
	startDownload(c, fmt.Sprintf("%s-partner-%d-contacts.csv", letter.Slug, id), "text/csv; charset=utf-8", "no-store")
	return a.d.Moderator.ExportPartnerContacts(ctx, currentStaff(c), letter.ID, id, c.Response())
}

// partnerLink is p's private link with the secret token.
func (a *App) partnerLink(p *store.Partner, token string) *newPartnerLink {
	return &newPartnerLink{Partner: p.Name, URL: a.d.Config.BaseURL + "/partners/" + token}
}

// partnerSection lays out the partners of letter, the form that adds one,
// and the letter's signatures per source.
func (a *App) partnerSection(c echo.Context, l *i18n.Localizer, letter *letters.Letter, in letterPageInput) (partnerSection, error) {
	ctx := c.Request().Context()
	list, err := a.d.Partners.List(ctx, letter.ID)
	if err != nil {
		return partnerSection{}, err
	}
	counts, err := a.d.Partners.Sources(ctx, letter.ID)
	if err != nil {
		return partnerSection{}, err
	}
	s := partnerSection{NewLink: in.newLink, Fields: partnerFields(l, in.partner, in.errs)}
	for _, p := range list {
		share := a.letterURL(letter) + "?ref=" + url.QueryEscape(p.Code)
		s.Partners = append(s.Partners, partnerRow{ID: p.ID, Name: p.Name, Code: p.Code, Website: p.Website, ShareURL: share,
			EmbedCode:   embedCode(l, a.letterURL(letter)+"/embed?ref="+url.QueryEscape(p.Code), letter.In(l.Lang()).Title),
			LinkURL:     fmt.Sprintf("%s/partners/%d/link", consoleLetterURL(letter.ID), p.ID),
			ContactsURL: fmt.Sprintf("%s/partners/%d/contacts", consoleLetterURL(letter.ID), p.ID)})
	}
	for _, n := range counts {
		s.Sources = append(s.Sources, sourceRow{Label: sourceName(l, n.Source), Confirmed: n.Confirmed, Published: n.Published,
			HistoryURL: consoleHistoryURL(letter.ID) + "?" + url.Values{"source": {n.Code}}.Encode()})
	}
	return s, nil
}

// partnerFields are the fields of the form that registers a partner,
// holding what was posted when it needs correcting.
func partnerFields(l *i18n.Localizer, posted *partnerForm, errs signing.FieldErrors) []formField {
	var f partnerForm
	if posted != nil {
		f = *posted
	}
	return prepareFields([]formField{
		{Name: "name", Type: "text", Label: l.T("admin.partner.field.name"), Value: f.Name, Required: true, MaxLength: 200, Autocomplete: "off"},
		{Name: "code", Type: "text", Label: l.T("admin.partner.field.code"), Hint: l.T("admin.partner.field.code_hint"), Value: f.Code,
			Required: true, MaxLength: 64, Autocomplete: "off"},
		{Name: "website", Type: "text", Label: l.T("admin.partner.field.website"), Value: f.Website, MaxLength: 300, Autocomplete: "off"},
	}, errs, l)
}

// embedCode is the iframe that shows the counter at src on another site.
func embedCode(l *i18n.Localizer, src, title string) string {
	return fmt.Sprintf(`<iframe src="%s" title="%s" width="320" height="160" style="border:0" loading="lazy"></iframe>`,
		template.HTMLEscapeString(src), template.HTMLEscapeString(l.T("embed.frame_title", "Title", title)))
}

// sourceName names a source for staff: the partner's name, "other: CODE"
// for a code no partner has, or "none" for the letter's own links.
func sourceName(l *i18n.Localizer, s partners.Source) string {
	switch {
	case s.Code == "":
		return l.T("source.none")
	case s.Other():
		return l.T("source.other", "Code", s.Code)
	}
	return s.Partner
}

// sourceText is a signature's source with its campaign tags, as the queue
// and the signature page show it; "" when it came with neither.
func sourceText(l *i18n.Localizer, s partners.Source, sig *store.Signature) string {
	text := ""
	if s.Code != "" {
		text = sourceName(l, s)
	}
	for _, tag := range []struct{ name, value string }{
		{"utm_source", sig.UTMSource}, {"utm_medium", sig.UTMMedium}, {"utm_campaign", sig.UTMCampaign},
	} {
		if tag.value == "" {
			continue
		}
		if text != "" {
			text += " · "
		}
		text += tag.name + "=" + tag.value
	}
	return text
}
