package web

import (
	"errors"
	"net/http"
	"slices"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/undersigned/undersigned/pkg/i18n"
	"github.com/undersigned/undersigned/pkg/letters"
	"github.com/undersigned/undersigned/pkg/store"
	"github.com/undersigned/undersigned/pkg/webhooks"
)

// webhookLogSize is how many of an endpoint's latest deliveries its log shows.
const webhookLogSize = 50

// webhooksView is a letter's webhook endpoints in the console, the form that
// adds one and, once, the secret of the one just added.
type webhooksView struct {
	*Page
	Letter    *letters.Letter
	LetterURL string
	URL       string
	Endpoints []webhookRow
	Fields    []formField
	Events    formField
	Errors    formErrors
	Secret    string
	Flash     string
}

// webhookRow is one endpoint as the console lists it.
type webhookRow struct {
	URL     string
	Events  string
	LogURL  string
	AddedBy string
	AddedAt string
}

// webhookForm is the form that adds an endpoint, as posted.
type webhookForm struct {
	URL    string   `form:"url"`
	Events []string `form:"events"`
}

// showWebhooks lists a letter's webhook endpoints and offers to add one
// (admins only).
func (a *App) showWebhooks(c echo.Context) error {
	letter, err := a.consoleLetter(c)
	if err != nil {
		return err
	}
	form := webhookForm{Events: []string{string(store.WebhookConfirmed), string(store.WebhookWithdrawn)}}
	return a.renderWebhooks(c, http.StatusOK, letter, form, nil, "")
}

// createWebhook adds an endpoint and shows its secret, this once.
func (a *App) createWebhook(c echo.Context) error {
	var form webhookForm
	letter, err := a.postedLetter(c, &form)
	if err != nil {
		return err
	}
	_, secret, err := a.d.Webhooks.Add(c.Request().Context(), store.StaffActor(currentStaff(c)), letter.ID, form.URL, form.Events)
	if field, id := webhookFieldError(err); field != "" {
		return a.renderWebhooks(c, http.StatusUnprocessableEntity, letter, form, map[string]string{field: id}, "")
	}
	if err != nil {
		return err
	}
	return a.renderWebhooks(c, http.StatusCreated, letter, webhookForm{}, nil, secret)
}

// webhookFieldError names the field a webhooks.Service.Add error is about,
// and its message id.
func webhookFieldError(err error) (field, id string) {
	switch {
	case errors.Is(err, webhooks.ErrInvalidURL):
		return "url", "admin.webhooks.error.url"
	case errors.Is(err, webhooks.ErrNotHTTPS):
		return "url", "admin.webhooks.error.https"
	case errors.Is(err, webhooks.ErrPrivateAddress):
		return "url", "admin.webhooks.error.private"
	case errors.Is(err, webhooks.ErrUnknownHost):
		return "url", "admin.webhooks.error.host"
	case errors.Is(err, webhooks.ErrNoEvents):
		return "events", "admin.webhooks.error.events"
	}
	return "", ""
}

func (a *App) renderWebhooks(c echo.Context, status int, letter *letters.Letter, form webhookForm, errs map[string]string, secret string) error {
	l := a.localizer(c)
	hooks, err := a.d.Webhooks.Endpoints(c.Request().Context(), letter.ID)
	if err != nil {
		return err
	}
	v := &webhooksView{Page: a.page(c, l.T("admin.webhooks.title", "Letter", letter.Title())), Letter: letter,
		LetterURL: consoleLetterURL(letter.ID), URL: webhooksURL(letter.ID), Secret: secret}
	if c.QueryParams().Has("removed") {
		v.Flash = l.T("admin.webhooks.removed")
	}
	for _, h := range hooks {
		v.Endpoints = append(v.Endpoints, webhookRow{URL: h.URL, Events: h.Events, LogURL: webhookURL(letter.ID, h.ID),
			AddedBy: h.CreatedBy, AddedAt: l.DateTime(h.CreatedAt)})
	}
	v.Fields = prepareFields([]formField{{Name: "url", Type: "url", Label: l.T("admin.webhooks.field.url"),
		Hint: l.T("admin.webhooks.field.url_hint"), Value: form.URL, Required: true, MaxLength: 2000, Autocomplete: "off"}}, errs, l)
	v.Events = prepareFields([]formField{eventsField(l, form.Events)}, errs, l)[0]
	v.Errors = errorSummary(append(slices.Clone(v.Fields), v.Events))
	v.HasErrors = len(v.Errors) > 0
	return a.render(c, status, "admin_webhooks", v)
}

// eventsField offers the events an endpoint may take, chosen ticked.
func eventsField(l *i18n.Localizer, chosen []string) formField {
	f := formField{Name: "events", Type: "checkbox", Label: l.T("admin.webhooks.field.events"), Hint: l.T("admin.webhooks.field.events_hint"), Required: true}
	for _, e := range store.WebhookEvents() {
		f.Options = append(f.Options, fieldOption{Value: string(e), Label: string(e), Selected: slices.Contains(chosen, string(e))})
	}
	return f
}

// webhookLogView is one endpoint's delivery log and its test button.
type webhookLogView struct {
	*Page
	Letter  *letters.Letter
	BackURL string
	URL     string
	Hook    *store.Webhook
	Rows    []webhookLogRow
	Flash   string
}

// webhookLogRow is one delivery as the log shows it.
type webhookLogRow struct {
	At, Event, Status, Response, Error string
	Attempts                           int
}

// showWebhookLog is an endpoint's latest deliveries, with what the
// receiver answered.
func (a *App) showWebhookLog(c echo.Context) error {
	letter, err := a.consoleLetter(c)
	if err != nil {
		return err
	}
	id, _ := strconv.ParseUint(c.Param("hook"), 10, 64)
	hook, log, err := a.d.Webhooks.Log(c.Request().Context(), letter.ID, id, webhookLogSize)
	if errors.Is(err, store.ErrNotFound) {
		return echo.ErrNotFound
	}
	if err != nil {
		return err
	}
	l := a.localizer(c)
	v := &webhookLogView{Page: a.page(c, l.T("admin.webhooks.log_title", "URL", hook.URL)), Letter: letter, BackURL: webhooksURL(letter.ID),
		URL: webhookURL(letter.ID, hook.ID), Hook: hook}
	if c.QueryParams().Has("test") {
		v.Flash = l.T("admin.webhooks.test_queued")
	}
	for _, d := range log {
		row := webhookLogRow{At: l.DateTime(d.CreatedAt), Event: string(d.Event), Status: l.T("admin.webhooks.status." + string(d.Status)),
			Error: d.LastError, Attempts: d.Attempts}
		if d.ResponseStatus != 0 {
			row.Response = strconv.Itoa(d.ResponseStatus)
		}
		v.Rows = append(v.Rows, row)
	}
	return a.render(c, http.StatusOK, "admin_webhook_log", v)
}

// createWebhookTest queues a test event to the endpoint.
func (a *App) createWebhookTest(c echo.Context) error {
	var form struct{}
	letter, err := a.postedLetter(c, &form)
	if err != nil {
		return err
	}
	id, _ := strconv.ParseUint(c.Param("hook"), 10, 64)
	err = a.d.Webhooks.SendTest(c.Request().Context(), letter, id)
	if errors.Is(err, store.ErrNotFound) {
		return echo.ErrNotFound
	}
	if err != nil {
		return err
	}
	return redirect(c, webhookURL(letter.ID, id)+"?test=1")
}

// removeWebhook deletes an endpoint with its queued deliveries and its log
// (admins only, audited), and returns to the letter's endpoints.
func (a *App) removeWebhook(c echo.Context) error {
	var form struct{}
	letter, err := a.postedLetter(c, &form)
	if err != nil {
		return err
	}
	id, _ := strconv.ParseUint(c.Param("hook"), 10, 64)
	_, err = a.d.Webhooks.Remove(c.Request().Context(), store.StaffActor(currentStaff(c)), letter.ID, id)
	if errors.Is(err, store.ErrNotFound) {
		return echo.ErrNotFound
	}
	if err != nil {
		return err
	}
	return redirect(c, webhooksURL(letter.ID)+"?removed=1")
}

// webhooksURL is the console page of a letter's webhook endpoints.
func webhooksURL(letterID uint) string { return consoleLetterURL(letterID) + "/webhooks" }

// webhookURL is the console page of one endpoint's delivery log.
func webhookURL(letterID uint, id uint64) string {
	return webhooksURL(letterID) + "/" + strconv.FormatUint(id, 10)
}
