package web

import (
	"errors"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/undersigned/undersigned/pkg/abuse"
	"github.com/undersigned/undersigned/pkg/i18n"
	"github.com/undersigned/undersigned/pkg/moderation"
	"github.com/undersigned/undersigned/pkg/store"
)

// abuseView is the admins' page against abuse: block lists, and bulk
// invalidation with its preview.
type abuseView struct {
	*Page
	Blocks      []store.Block
	BlockFields []formField
	Fields      []formField
	Errors      formErrors
	Preview     *int64
	// PreviewLetter is the title of the letter the preview counted on.
	PreviewLetter string
	Form          invalidateForm
	Flash         string
}

type blockForm struct {
	Kind  string `form:"kind"`
	Value string `form:"value"`
	Note  string `form:"note"`
}

type invalidateForm struct {
	Letter  string `form:"letter"`
	Domain  string `form:"domain"`
	Network string `form:"network"`
	From    string `form:"from"`
	To      string `form:"to"`
	Confirm string `form:"confirm"` // set by the button that carries the previewed count out
}

// showAbuse is /admin/abuse; ?letter=slug chooses the letter of the bulk
// invalidation.
func (a *App) showAbuse(c echo.Context) error {
	f := invalidateForm{Letter: c.QueryParam("letter")}
	letter := a.chooseLetter(f.Letter)
	var errs map[string]string
	if letter.Error != "" {
		errs = map[string]string{"letter": letter.Error}
	}
	return a.renderAbuse(c, letter.status(), blockForm{Kind: store.BlockDomain}, f, errs, nil)
}

// createBlock adds a domain or network to the block list.
func (a *App) createBlock(c echo.Context) error {
	var f blockForm
	if err := bindForm(c, &f); err != nil {
		return err
	}
	value, ok := abuse.NormaliseBlock(f.Kind, strings.TrimSpace(f.Value))
	if !ok {
		return a.renderAbuse(c, http.StatusUnprocessableEntity, f, invalidateForm{}, map[string]string{"value": "admin.abuse.error.value"}, nil)
	}
	if err := a.d.Blocks.Add(c.Request().Context(), store.StaffActor(currentStaff(c)), f.Kind, value, f.Note, a.d.Now()); err != nil {
		return err
	}
	return redirect(c, "/admin/abuse?saved=1")
}

type unblockForm struct {
	ID string `form:"id"`
}

// deleteBlock removes a block.
func (a *App) deleteBlock(c echo.Context) error {
	var f unblockForm
	if err := bindForm(c, &f); err != nil {
		return err
	}
	id, err := strconv.ParseUint(f.ID, 10, 0)
	if err != nil {
		return echo.ErrBadRequest
	}
	err = a.d.Blocks.Remove(c.Request().Context(), store.StaffActor(currentStaff(c)), uint(id), a.d.Now())
	if errors.Is(err, store.ErrNotFound) {
		return echo.ErrNotFound
	}
	if err != nil {
		return err
	}
	return redirect(c, "/admin/abuse?saved=1")
}

// createInvalidation previews, then carries out, a bulk invalidation.
func (a *App) createInvalidation(c echo.Context) error {
	var f invalidateForm
	if err := bindForm(c, &f); err != nil {
		return err
	}
	criteria, errs := a.criteria(f)
	if len(errs) > 0 {
		return a.renderAbuse(c, http.StatusUnprocessableEntity, blockForm{Kind: store.BlockDomain}, f, errs, nil)
	}
	ctx := c.Request().Context()
	if f.Confirm == "" {
		n, err := a.d.Moderator.PreviewInvalidation(ctx, criteria)
		if errors.Is(err, moderation.ErrNoCriteria) {
			return a.renderAbuse(c, http.StatusUnprocessableEntity, blockForm{Kind: store.BlockDomain}, f, map[string]string{"domain": "admin.abuse.error.criteria"}, nil)
		}
		if err != nil {
			return err
		}
		return a.renderAbuse(c, http.StatusOK, blockForm{Kind: store.BlockDomain}, f, nil, &n)
	}
	id, err := a.d.Moderator.StartInvalidation(ctx, currentStaff(c), criteria)
	if errors.Is(err, moderation.ErrNoCriteria) {
		return echo.ErrBadRequest
	}
	if err != nil {
		return err
	}
	return redirect(c, "/admin/abuse/invalidations/"+strconv.Itoa(id))
}

// criteria reads the invalidation form.
func (a *App) criteria(f invalidateForm) (moderation.Criteria, map[string]string) {
	errs := map[string]string{}
	var crit moderation.Criteria
	letter, ok := a.d.Letters.BySlug(f.Letter)
	if !ok {
		errs["letter"] = "admin.abuse.error.letter"
	} else {
		crit.LetterID = letter.ID
	}
	if d := strings.TrimSpace(f.Domain); d != "" {
		if norm, ok := abuse.NormaliseBlock(store.BlockDomain, d); ok {
			crit.Domain = norm
		} else {
			errs["domain"] = "admin.abuse.error.value"
		}
	}
	if n := strings.TrimSpace(f.Network); n != "" {
		norm, ok := abuse.NormaliseBlock(store.BlockNetwork, n)
		if p, err := netip.ParsePrefix(norm); ok && err == nil {
			crit.Network = p
		} else {
			errs["network"] = "admin.abuse.error.value"
		}
	}
	for field, raw := range map[string]string{"from": f.From, "to": f.To} {
		if raw == "" {
			continue
		}
		t, err := time.ParseInLocation("2006-01-02T15:04", raw, time.UTC)
		if err != nil {
			errs[field] = "admin.abuse.error.time"
			continue
		}
		if field == "from" {
			crit.From = t
		} else {
			crit.To = t
		}
	}
	return crit, errs
}

func (a *App) renderAbuse(c echo.Context, status int, bf blockForm, f invalidateForm, errs map[string]string, preview *int64) error {
	l := a.localizer(c)
	blocks, err := store.Blocks(a.d.Store.Read(c.Request().Context()))
	if err != nil {
		return err
	}
	kinds := []fieldOption{
		{Value: store.BlockDomain, Label: l.T("admin.abuse.kind.domain"), Selected: bf.Kind == store.BlockDomain},
		{Value: store.BlockNetwork, Label: l.T("admin.abuse.kind.network"), Selected: bf.Kind == store.BlockNetwork},
	}
	blockFields := prepareFields([]formField{
		{Name: "kind", Type: "select", Label: l.T("admin.abuse.kind"), Options: kinds, Required: true},
		{Name: "value", Type: "text", Label: l.T("admin.abuse.value"), Hint: l.T("admin.abuse.value_hint"), Value: bf.Value, Required: true, MaxLength: 100},
		{Name: "note", Type: "text", Label: l.T("admin.abuse.note"), Value: bf.Note, MaxLength: 300},
	}, errs, l)
	fields := prepareFields(a.invalidateFields(l, f), errs, l)
	v := &abuseView{Page: a.page(c, l.T("admin.abuse.title")), Blocks: blocks, BlockFields: blockFields, Fields: fields,
		Errors: errorSummary(append(blockFields, fields...)), Preview: preview, Form: f, Flash: flashMessage(l, c.QueryParams())}
	if letter, ok := a.d.Letters.BySlug(f.Letter); ok && preview != nil {
		v.PreviewLetter = letter.Title()
	}
	v.HasErrors = len(v.Errors) > 0
	return a.render(c, status, "admin_abuse", v)
}

func (a *App) invalidateFields(l *i18n.Localizer, f invalidateForm) []formField {
	var letters []fieldOption
	for _, letter := range a.d.Letters.All() {
		letters = append(letters, fieldOption{Value: letter.Slug, Label: letter.Title(), Selected: letter.Slug == f.Letter})
	}
	return []formField{
		{Name: "letter", Type: "select", Label: l.T("admin.export.letter"), Options: letters, Required: true},
		{Name: "domain", Type: "text", Label: l.T("admin.abuse.domain"), Hint: l.T("admin.abuse.domain_hint"), Value: f.Domain, MaxLength: 100},
		{Name: "network", Type: "text", Label: l.T("admin.abuse.network"), Hint: l.T("admin.abuse.network_hint"), Value: f.Network, MaxLength: 50},
		{Name: "from", Type: "datetime-local", Label: l.T("admin.abuse.from"), Value: f.From},
		{Name: "to", Type: "datetime-local", Label: l.T("admin.abuse.to"), Value: f.To},
	}
}
