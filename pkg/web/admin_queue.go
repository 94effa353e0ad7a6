package web

import (
	"net/url"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/undersigned/undersigned/pkg/config"
	"github.com/undersigned/undersigned/pkg/i18n"
	"github.com/undersigned/undersigned/pkg/moderation"
	"github.com/undersigned/undersigned/pkg/store"
)

// queueView is the moderation queue: filters, the matching signatures, and the
// bulk actions.
type queueView struct {
	*Page
	Filters []formField
	Rows    []queueRow
	PageNo  int
	PrevURL string
	NextURL string
	Flash   string
	Return  string
	Actions []fieldOption
	Reasons []config.Reason
	// Pending is how many signatures await review on each letter, with a
	// link to the queue of that letter; ShowLetter asks for a letter
	// column, where there is more than one letter.
	Pending    []letterPending
	ShowLetter bool
	// Matching is how many signatures the filter matches on every page,
	// and Carry the filter, for the button that decides on them all and
	// for the links to each signature's page.
	Matching int64
	Carry    url.Values
}

// letterPending is one letter in the queue's header.
type letterPending struct {
	Title   string
	URL     string
	Count   int64
	Current bool
}

// queueRow is one signature as the queue shows it.
type queueRow struct {
	moderation.Item
	CountryName string
	StatusLabel string
	Confirmed   string
	LetterTitle string
	FlagNotes   []flagNote
	// Source is the partner or code and campaign tags of the link that
	// brought the signer; "" for none.
	Source string
	// URL is the signature's page, carrying the queue's filter.
	URL string
}

// signatureURL is the console page of the signature with id, carrying the
// queue filter so that "open the next" follows the same queue.
func signatureURL(id uint64, filter url.Values) string {
	u := "/admin/signatures/" + strconv.FormatUint(id, 10)
	if len(filter) > 0 {
		u += "?" + filter.Encode()
	}
	return u
}

// showQueue is the console's home: confirmed signatures awaiting review, or
// any other state, filtered by kind, country and a search.
func (a *App) showQueue(c echo.Context) error {
	l := a.localizer(c)
	q := c.QueryParams()
	filter, letter, ok := a.queueFilter(q)
	if !ok {
		return echo.ErrBadRequest
	}
	var page moderation.Page
	var matching int64
	if letter.Error == "" {
		var err error
		if page, err = a.d.Moderator.Queue(c.Request().Context(), filter); err != nil {
			return err
		}
		if matching, err = a.d.Moderator.Count(c.Request().Context(), filter); err != nil {
			return err
		}
	}
	v := &queueView{Page: a.page(c, l.T("admin.queue.title")), PageNo: page.Page, Return: c.Request().URL.RequestURI(),
		Filters: a.queueFilters(l, filter, letter), Flash: flashMessage(l, q), Reasons: a.d.Moderator.Reasons(),
		Matching: matching, Carry: carriedFilter(q)}
	v.HasErrors = letter.Error != ""
	for _, act := range moderation.Actions() {
		v.Actions = append(v.Actions, fieldOption{Value: string(act), Label: l.T("admin.action." + string(act))})
	}
	var err error
	if v.Pending, err = a.pendingByLetter(c, filter.LetterID); err != nil {
		return err
	}
	v.ShowLetter = a.showLetters()
	sources := a.d.Partners.Directory(c.Request().Context())
	for _, item := range page.Items {
		source, err := sources.Of(item.LetterID, item.Ref)
		if err != nil {
			return err
		}
		v.Rows = append(v.Rows, queueRow{Item: item, CountryName: a.d.Countries.Name(item.Country, l.Tag),
			StatusLabel: l.T("status." + string(item.Status)), Confirmed: formatTime(item.ConfirmedAt),
			LetterTitle: a.letterLinkOf(item.LetterID).Title, FlagNotes: flagNotes(l, item),
			Source: sourceText(l, source, &item.Signature), URL: signatureURL(item.ID, v.Carry)})
	}
	if page.Page > 1 {
		v.PrevURL = withPage("/admin", q, page.Page-1)
	}
	if page.HasMore {
		v.NextURL = withPage("/admin", q, page.Page+1)
	}
	return a.render(c, letter.status(), "admin_queue", v)
}

// pendingByLetter is the queue's header: every letter with how many of its
// signatures await review, the one filtered by marked as current.
func (a *App) pendingByLetter(c echo.Context, current uint) ([]letterPending, error) {
	counts, err := a.d.Moderator.PendingByLetter(c.Request().Context())
	if err != nil {
		return nil, err
	}
	var out []letterPending
	for _, letter := range a.d.Letters.All() {
		out = append(out, letterPending{Title: letter.Title(), URL: "/admin?letter=" + url.QueryEscape(letter.Slug),
			Count: counts[letter.ID], Current: letter.ID == current})
	}
	return out, nil
}

// queueFilterKeys are the parameters of the queue's filter: the console
// carries them from the queue to a bulk decision's preview and to a
// signature's page, so that "open the next" follows the same queue.
func queueFilterKeys() []string {
	return []string{"letter", "status", "kind", "country", "flag", "q"}
}

// queueFilter reads the queue's filter from a query string or a form that
// carries it; false when a value is not one the filter form offers.
func (a *App) queueFilter(q url.Values) (moderation.Filter, letterChoice, bool) {
	filter := moderation.Filter{Kind: store.Kind(q.Get("kind")), Country: q.Get("country"), Status: store.Status(q.Get("status")), Query: q.Get("q")}
	filter.Page, _ = strconv.Atoi(q.Get("page"))
	if filter.Status == "" {
		filter.Status = store.StatusPendingReview
	}
	flagOK := true
	if code := q.Get("flag"); code != "" {
		filter.Flag, flagOK = store.FlagByCode(code)
	}
	letter := a.chooseLetter(q.Get("letter"))
	filter.LetterID = letter.ID
	return filter, letter, flagOK && a.validQueueFilter(filter)
}

// carriedFilter keeps the queue filter's parameters of q (not the page).
func carriedFilter(q url.Values) url.Values {
	out := url.Values{}
	for _, k := range queueFilterKeys() {
		if v := q.Get(k); v != "" {
			out.Set(k, v)
		}
	}
	return out
}

func (a *App) validQueueFilter(f moderation.Filter) bool {
	kindOK := f.Kind == "" || f.Kind == store.KindOrganisation || f.Kind == store.KindIndividual
	countryOK := f.Country == "" || a.d.Countries.Valid(f.Country)
	statusOK := false
	for _, s := range moderation.Statuses() {
		statusOK = statusOK || s == f.Status
	}
	return kindOK && countryOK && statusOK && len(f.Query) <= 200 && f.Page >= 0
}

func (a *App) queueFilters(l *i18n.Localizer, f moderation.Filter, letter letterChoice) []formField {
	statuses := []fieldOption{}
	for _, s := range moderation.Statuses() {
		statuses = append(statuses, fieldOption{Value: string(s), Label: l.T("status." + string(s)), Selected: s == f.Status})
	}
	kinds := []fieldOption{{Value: "", Label: l.T("admin.filter.any")}}
	for _, k := range store.Kinds() {
		kinds = append(kinds, fieldOption{Value: string(k), Label: l.T("kind." + string(k)), Selected: k == f.Kind})
	}
	countries := a.countryOptions(l, f.Country)
	countries[0].Label = l.T("admin.filter.any")
	return []formField{
		a.letterField(l, l.T("admin.filter.any"), letter),
		{Name: "status", Type: "select", Label: l.T("admin.filter.status"), Options: statuses},
		{Name: "kind", Type: "select", Label: l.T("admin.filter.kind"), Options: kinds},
		{Name: "country", Type: "select", Label: l.T("admin.filter.country"), Options: countries},
		{Name: "flag", Type: "select", Label: l.T("admin.filter.flag"), Options: flagOptions(l, f.Flag)},
		{Name: "q", Type: "search", Label: l.T("admin.filter.search"), Value: f.Query, MaxLength: 200},
	}
}

// flashMessage reports the outcome of the last action, carried in the
// redirect's query string.
func flashMessage(l *i18n.Localizer, q url.Values) string {
	switch {
	case q.Has("changed"):
		changed, _ := strconv.Atoi(q.Get("changed"))
		skipped, _ := strconv.Atoi(q.Get("skipped"))
		return l.T("admin.flash.applied", "Changed", changed, "Skipped", skipped)
	case q.Has("saved"):
		return l.T("admin.flash.saved")
	case q.Has("erased"):
		return l.T("admin.flash.erased")
	case q.Has("media_stale"):
		return l.T("admin.flash.media_stale")
	case q.Has("queue_done"):
		return l.T("admin.flash.queue_done")
	}
	return ""
}
