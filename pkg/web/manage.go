package web

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/undersigned/undersigned/pkg/i18n"
	"github.com/undersigned/undersigned/pkg/signing"
	"github.com/undersigned/undersigned/pkg/store"
)

// manageView is the signer's own page behind the manage link in every mail.
type manageView struct {
	*Page
	Signature   signing.Managed
	CountryName string
	Token       string
	Fields      []formField
	Errors      formErrors
	Withdraw    formField
	// Consents are the boxes of the signer's choices to be contacted;
	// ConsentsSaved is set once they saved them.
	Consents      []formField
	ConsentsSaved bool
	Saved         bool
	NeedsReview   bool
	// Multipart is set when the form takes a logo (organisations).
	Multipart bool
	// Deliveries are the recorded deliveries whose list included the
	// signature, each with its inclusion proof to download.
	Deliveries []inclusionLine
}

// manageForm corrects the public details.
type manageForm struct {
	Name        string `form:"name"`
	Affiliation string `form:"affiliation"`
	Website     string `form:"website"`
	OrgType     string `form:"org_type"`
	Country     string `form:"country"`
	ShowName    string `form:"show_name"`
	Statement   string `form:"statement"`
	// storedStatement says to show the statement stored rather than
	// Statement: the form was not posted.
	storedStatement bool
}

// showManage is the page a signer reaches from the manage link in a mail.
func (a *App) showManage(c echo.Context) error {
	m, err := a.d.Signing.Manage(c.Request().Context(), c.Param("token"))
	if err != nil {
		return a.manageError(c, err)
	}
	return a.renderManage(c, http.StatusOK, m, manageFormOf(m), nil)
}

// updateManage saves a signer's corrections.
func (a *App) updateManage(c echo.Context) error {
	token := c.Param("token")
	var f manageForm
	logo, err := a.bindUploadForm(c, &f, "logo")
	if err != nil {
		return err
	}
	req := signing.Request{Name: f.Name, Affiliation: f.Affiliation, Website: f.Website, OrgType: f.OrgType,
		Country: f.Country, ShowName: checked(f.ShowName), Statement: f.Statement, Logo: logo}
	errs, err := a.d.Signing.Correct(c.Request().Context(), token, req)
	if err != nil {
		return a.manageError(c, err)
	}
	if len(errs) > 0 {
		m, err := a.d.Signing.Manage(c.Request().Context(), token)
		if err != nil {
			return a.manageError(c, err)
		}
		return a.renderManage(c, http.StatusUnprocessableEntity, m, f, errs)
	}
	return redirect(c, "/manage/"+token+"?saved=1")
}

// consentsForm is the signer's choices to be contacted.
type consentsForm struct {
	KeepInformed   string `form:"keep_informed"`
	PartnerContact string `form:"partner_contact"`
}

// updateConsents saves the signer's choices to be contacted.
func (a *App) updateConsents(c echo.Context) error {
	token := c.Param("token")
	var f consentsForm
	if err := bindForm(c, &f); err != nil {
		return err
	}
	if err := a.d.Signing.SetConsents(c.Request().Context(), token, checked(f.KeepInformed), checked(f.PartnerContact)); err != nil {
		return a.manageError(c, err)
	}
	return redirect(c, "/manage/"+token+"?consents=1")
}

// consentFields are the boxes of m's signer's choices to be contacted, as
// they stand: the partner's only when a partner's link brought them.
func (a *App) consentFields(c echo.Context, l *i18n.Localizer, m signing.Managed) ([]formField, error) {
	partner, err := a.d.Partners.NameOf(c.Request().Context(), m.Letter.ID, m.Ref)
	if err != nil {
		return nil, err
	}
	return consentBoxes(l, m.Consents, partner), nil
}

type withdrawForm struct {
	Sure string `form:"sure"`
}

// createWithdrawal withdraws the signature, once the signer ticked that they
// are sure.
func (a *App) createWithdrawal(c echo.Context) error {
	token := c.Param("token")
	var f withdrawForm
	if err := bindForm(c, &f); err != nil {
		return err
	}
	if !checked(f.Sure) {
		m, err := a.d.Signing.Manage(c.Request().Context(), token)
		if err != nil {
			return a.manageError(c, err)
		}
		return a.renderManage(c, http.StatusUnprocessableEntity, m, manageFormOf(m), signing.FieldErrors{"sure": "error.withdraw.sure"})
	}
	err := a.d.Signing.Withdraw(c.Request().Context(), token)
	if errors.Is(err, signing.ErrErasedIncompletely) {
		a.d.Log.Warn("withdrawn, but a copy is left for now", "err", err)
	} else if err != nil {
		return a.manageError(c, err)
	}
	l := a.localizer(c)
	return a.render(c, http.StatusOK, "withdrawn", a.page(c, l.T("withdrawn.title")))
}

// manageFormOf is the manage form filled with the signature's details; the
// statement is filled in by renderManage, which loads it.
func manageFormOf(m signing.Managed) manageForm {
	show := ""
	if m.ShowName {
		show = "yes"
	}
	return manageForm{Name: m.Name, Affiliation: m.Affiliation, Website: m.Website, OrgType: m.OrgType, Country: m.Country,
		ShowName: show, storedStatement: true}
}

func (a *App) manageError(c echo.Context, err error) error {
	if errors.Is(err, signing.ErrManageNotFound) {
		return a.render(c, http.StatusNotFound, "link_unknown", a.page(c, a.localizer(c).T("link_unknown.title")))
	}
	return err
}

func (a *App) renderManage(c echo.Context, status int, m signing.Managed, f manageForm, errs signing.FieldErrors) error {
	l := a.localizer(c)
	md, err := a.d.Signing.ManagedMedia(c.Request().Context(), c.Param("token"))
	if err != nil {
		return a.manageError(c, err)
	}
	if f.storedStatement && md != nil {
		f.Statement = md.Statement
	}
	fields := prepareFields(a.manageFields(l, m.Kind, f, md), errs, l)
	withdraw := prepareFields([]formField{{Name: "sure", Type: "checkbox", Label: l.T("manage.withdraw.sure"), Required: true}}, errs, l)[0]
	v := &manageView{Page: a.page(c, l.T("manage.title")), Signature: m, CountryName: a.d.Countries.Name(m.Country, l.Tag),
		Token: c.Param("token"), Fields: fields, Errors: errorSummary(append(fields, withdraw)), Withdraw: withdraw,
		Saved: c.QueryParam("saved") != "", NeedsReview: m.Letter.NeedsReview(m.Kind), Multipart: m.Kind == store.KindOrganisation}
	v.HasErrors = len(v.Errors) > 0
	if v.Consents, err = a.consentFields(c, l, m); err != nil {
		return err
	}
	v.Consents, v.ConsentsSaved = prepareFields(v.Consents, nil, l), c.QueryParam("consents") != ""
	deliveries, err := a.inclusionLines(c, m.SignatureID, v.Token)
	if err != nil {
		return err
	}
	v.Deliveries = deliveries
	return a.render(c, status, "manage", v)
}

func (a *App) manageFields(l *i18n.Localizer, kind store.Kind, f manageForm, md *store.SignatureMedia) []formField {
	statement := statementField(l, f.Statement)
	if md != nil && md.StatementStatus != store.MediaNone {
		statement.Hint += " " + l.T("manage.media.status."+string(md.StatementStatus))
	}
	if kind == store.KindOrganisation {
		logo := logoField(l)
		if md != nil && md.LogoStatus != store.MediaNone {
			logo.Hint += " " + l.T("manage.media.status."+string(md.LogoStatus))
		}
		return []formField{
			{Name: "name", Type: "text", Label: l.T("field.org_name.label"), Value: f.Name, Required: true, MaxLength: 200},
			{Name: "website", Type: "text", Label: l.T("field.website.label"), Value: f.Website, Required: true, MaxLength: 300},
			{Name: "org_type", Type: "select", Label: l.T("field.org_type.label"), Required: true, Options: orgTypeOptions(l, f.OrgType)},
			{Name: "country", Type: "select", Label: l.T("field.country.label"), Required: true, Options: a.countryOptions(l, f.Country)},
			statement,
			logo,
		}
	}
	return []formField{
		{Name: "name", Type: "text", Label: l.T("field.full_name.label"), Value: f.Name, Required: true, MaxLength: 200},
		{Name: "affiliation", Type: "text", Label: l.T("field.affiliation.label"), Hint: l.T("field.affiliation.hint"), Value: f.Affiliation, MaxLength: 200},
		{Name: "country", Type: "select", Label: l.T("field.country.label"), Required: true, Options: a.countryOptions(l, f.Country)},
		{Name: "show_name", Type: "checkbox", Label: l.T("field.show_name.label"), Hint: l.T("field.show_name.hint"), Checked: checked(f.ShowName)},
		statement,
	}
}
