package web

import (
	"errors"
	"net/http"
	"net/url"

	"github.com/labstack/echo/v4"

	"github.com/undersigned/undersigned/pkg/abuse"
	"github.com/undersigned/undersigned/pkg/i18n"
	"github.com/undersigned/undersigned/pkg/signing"
	"github.com/undersigned/undersigned/pkg/store"
)

// signForm is the sign form as posted. It is not the domain's request: request
// turns it into one.
type signForm struct {
	Kind        string `form:"kind"`
	Name        string `form:"name"`
	Affiliation string `form:"affiliation"`
	Website     string `form:"website"`
	OrgType     string `form:"org_type"`
	ContactName string `form:"contact_name"`
	Country     string `form:"country"`
	Email       string `form:"email"`
	ShowName    string `form:"show_name"`
	Consent     string `form:"consent"`
	// KeepInformed is the optional "keep me informed" box, unticked
	// unless the signer ticks it.
	KeepInformed string `form:"keep_informed"`
	// PartnerContact is the optional box letting the partner whose link
	// brought the signer contact them, shown only to those a partner's
	// link brought.
	PartnerContact string `form:"partner_contact"`
	Ref            string `form:"ref"`
	UTMSource      string `form:"utm_source"`
	UTMMedium      string `form:"utm_medium"`
	UTMCampaign    string `form:"utm_campaign"`
	Statement      string `form:"statement"`
	Version        string `form:"version"`  // the text version the form was drawn with
	Stamp          string `form:"stamp"`    // when the form was drawn, signed
	Homepage       string `form:"homepage"` // the honeypot: people never see it, so never fill it
}

// kind is the kind the form is for; individuals unless organisation is chosen.
func (f signForm) kind() store.Kind {
	if store.Kind(f.Kind) == store.KindOrganisation {
		return store.KindOrganisation
	}
	return store.KindIndividual
}

// sourceParams are the query parameters that say where the signer came
// from, carried by the form's kind and language switches.
func (f signForm) sourceParams() url.Values {
	q := url.Values{}
	for _, p := range []struct{ name, value string }{
		{"ref", f.Ref}, {"utm_source", f.UTMSource}, {"utm_medium", f.UTMMedium}, {"utm_campaign", f.UTMCampaign},
	} {
		if p.value != "" {
			q.Set(p.name, p.value)
		}
	}
	return q
}

// withSource is path?query with the form's source parameters added.
func (f signForm) withSource(path, query string) string {
	if src := f.sourceParams().Encode(); src != "" {
		query += "&" + src
	}
	return path + "?" + query
}

func (f signForm) request(locale string) signing.Request {
	return signing.Request{
		Kind:           store.Kind(f.Kind),
		Name:           f.Name,
		Affiliation:    f.Affiliation,
		Website:        f.Website,
		OrgType:        f.OrgType,
		ContactName:    f.ContactName,
		Country:        f.Country,
		Email:          f.Email,
		ShowName:       checked(f.ShowName),
		Consent:        checked(f.Consent),
		KeepInformed:   checked(f.KeepInformed),
		PartnerContact: checked(f.PartnerContact),
		Locale:         locale,
		Ref:            f.Ref,
		UTMSource:      f.UTMSource,
		UTMMedium:      f.UTMMedium,
		UTMCampaign:    f.UTMCampaign,
		Version:        f.Version,
		Statement:      f.Statement,
	}
}

// createSignature takes the sign form. Whether the address is new, has signed
// before or is blocked, a valid form leads to the same "check your inbox"
// page. The block list is consulted last, after validation and the limits,
// so that neither an invalid form nor a rate-limited one tells whether its
// domain or network is blocked.
func (a *App) createSignature(c echo.Context) error {
	letter, err := a.letter(c)
	if err != nil {
		return err
	}
	var form signForm
	logo, err := a.bindUploadForm(c, &form, "logo")
	if err != nil {
		return err
	}
	checkInbox := checkInboxPath(letter.Slug)
	if a.d.Guard.LooksAutomated(form.Stamp, form.Homepage) {
		// A bot gets the page a person would, so it learns nothing.
		a.d.Log.Info("dropped an automated signature", "letter", letter.Slug)
		return redirect(c, checkInbox)
	}
	req := form.request(a.localizer(c).Lang())
	req.Logo = logo
	if errs := signing.Validate(&req, a.d.Countries.Valid); len(errs) > 0 {
		return a.renderLetter(c, http.StatusUnprocessableEntity, letter, form, errs)
	}
	if err := a.d.Guard.Allow(c.Request().Context(), abuse.ActionSign, c.RealIP(), req.Email); err != nil {
		return a.renderLetter(c, http.StatusTooManyRequests, letter, form, map[string]string{"form": "error.rate_limited"})
	}
	if a.d.Blocks.Blocked(c.RealIP(), req.Email) {
		a.d.Log.Info("dropped a blocked signature", "letter", letter.Slug)
		return redirect(c, checkInbox)
	}
	req.NetworkHash = a.d.Guard.HashNetwork(c.RealIP())
	err = a.d.Signing.Sign(c.Request().Context(), letter.Slug, req)
	var invalid *signing.ValidationError
	switch {
	case errors.As(err, &invalid):
		return a.renderLetter(c, http.StatusUnprocessableEntity, letter, form, invalid.Fields)
	case errors.Is(err, signing.ErrLetterClosed):
		return a.renderLetter(c, http.StatusForbidden, letter, form, nil)
	case err != nil:
		return err
	}
	return redirect(c, checkInbox)
}

// signFields lays out the sign form for one kind of signer, in the order
// shown; partner names the partner whose link brought the signer, "" for
// none, who then gets a box of its own.
func (a *App) signFields(l *i18n.Localizer, kind store.Kind, f signForm, partner string) []formField {
	country := formField{Name: "country", Type: "select", Label: l.T("field.country.label"), Required: true,
		Autocomplete: "country", Options: a.countryOptions(l, f.Country)}
	email := formField{Name: "email", Type: "email", Value: f.Email, Required: true, MaxLength: 254, Autocomplete: "email"}
	consent := formField{Name: "consent", Type: "checkbox", Checked: checked(f.Consent), Required: true,
		Label: l.T("field.consent.label"), Link: "/privacy", LinkText: l.T("field.consent.link")}
	consents := append(consentBoxes(l, store.Consents{KeepInformed: checked(f.KeepInformed), PartnerContact: checked(f.PartnerContact)}, partner),
		consent)
	if kind == store.KindOrganisation {
		email.Label, email.Hint = l.T("field.org_email.label"), l.T("field.org_email.hint")
		return append([]formField{
			{Name: "name", Type: "text", Label: l.T("field.org_name.label"), Value: f.Name, Required: true, MaxLength: 200, Autocomplete: "organization"},
			{Name: "website", Type: "text", Label: l.T("field.website.label"), Hint: l.T("field.website.hint"), Value: f.Website, Required: true, MaxLength: 300, Autocomplete: "url"},
			{Name: "org_type", Type: "select", Label: l.T("field.org_type.label"), Required: true, Options: orgTypeOptions(l, f.OrgType)},
			country,
			{Name: "contact_name", Type: "text", Label: l.T("field.contact_name.label"), Hint: l.T("field.contact_name.hint"), Value: f.ContactName, Required: true, MaxLength: 200, Autocomplete: "name"},
			email,
			statementField(l, f.Statement),
			logoField(l),
		}, consents...)
	}
	email.Label, email.Hint = l.T("field.email.label"), l.T("field.email.hint")
	return append([]formField{
		{Name: "name", Type: "text", Label: l.T("field.full_name.label"), Value: f.Name, Required: true, MaxLength: 200, Autocomplete: "name"},
		{Name: "affiliation", Type: "text", Label: l.T("field.affiliation.label"), Hint: l.T("field.affiliation.hint"), Value: f.Affiliation, MaxLength: 200, Autocomplete: "organization"},
		country,
		email,
		{Name: "show_name", Type: "checkbox", Label: l.T("field.show_name.label"), Hint: l.T("field.show_name.hint"), Checked: checked(f.ShowName)},
		statementField(l, f.Statement),
	}, consents...)
}

// consentBoxes are the boxes of a signer's choices to be contacted, ticked
// as c says: "keep me informed" and, when partner names the partner whose
// link brought the signer, the box that lets it contact them. The sign form
// and the manage page show the same.
func consentBoxes(l *i18n.Localizer, c store.Consents, partner string) []formField {
	boxes := []formField{{Name: "keep_informed", Type: "checkbox", Checked: c.KeepInformed,
		Label: l.T("field.keep_informed.label"), Hint: l.T("field.keep_informed.hint")}}
	if partner == "" {
		return boxes
	}
	return append(boxes, formField{Name: "partner_contact", Type: "checkbox", Checked: c.PartnerContact,
		Label: l.T("field.partner_contact.label", "Partner", partner), Hint: l.T("field.partner_contact.hint", "Partner", partner)})
}

// statementField is the optional statement ("why we sign"), shown beside
// the name once reviewed.
func statementField(l *i18n.Localizer, value string) formField {
	return formField{Name: "statement", Type: "textarea", Label: l.T("field.statement.label"), Hint: l.T("field.statement.hint"),
		Value: value, MaxLength: 280}
}

// logoField is an organisation's optional logo. A file cannot be sent back
// to the browser, so a form drawn again asks for it again.
func logoField(l *i18n.Localizer) formField {
	return formField{Name: "logo", Type: "file", Label: l.T("field.logo.label"), Hint: l.T("field.logo.hint"),
		Accept: "image/png,image/jpeg,image/webp"}
}

func (a *App) countryOptions(l *i18n.Localizer, selected string) []fieldOption {
	countries := a.d.Countries.List(l.Tag)
	opts := make([]fieldOption, 0, len(countries)+1)
	opts = append(opts, fieldOption{Value: "", Label: l.T("field.country.choose")})
	for _, c := range countries {
		opts = append(opts, fieldOption{Value: c.Code, Label: c.Name, Selected: c.Code == selected})
	}
	return opts
}

func orgTypeOptions(l *i18n.Localizer, selected string) []fieldOption {
	opts := []fieldOption{{Value: "", Label: l.T("field.org_type.choose")}}
	for _, t := range signing.OrgTypes() {
		opts = append(opts, fieldOption{Value: t, Label: l.T("org_type." + t), Selected: t == selected})
	}
	return opts
}
