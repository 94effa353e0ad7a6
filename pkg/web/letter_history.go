package web

import (
	"encoding/csv"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/undersigned/undersigned/pkg/history"
	"github.com/undersigned/undersigned/pkg/i18n"
	"github.com/undersigned/undersigned/pkg/letters"
	"github.com/undersigned/undersigned/pkg/store"
)

// letterHistoryView is the console page of a letter's numbers over time:
// the charts of its public count, cumulative and per bucket, and the same
// figures as a table.
type letterHistoryView struct {
	*Page
	Letter    *letters.Letter
	URL       string
	Interval  history.Interval
	Intervals []intervalLink
	CSVURL    string
	// Source names the source the page is narrowed to ("" for every
	// source); AllSourcesURL is the page for every source.
	Source        string
	AllSourcesURL string
	Points        []history.Point
	// Cumulative and Changes are the two charts, drawn by the partial
	// "history_chart".
	Cumulative chartView
	Changes    chartView
}

// intervalLink switches the page to another bucket width.
type intervalLink struct {
	Label   string
	URL     string
	Current bool
}

// chartView is what the partial "history_chart" draws: a plot, its id (for
// aria-labelledby), its title and its description in words.
type chartView struct {
	ID    string
	Title string
	Desc  string
	Plot  history.Plot
	Bars  bool
}

// showLetterHistory is the console page that staff reach from a letter's
// page to see how its count grew, per hour or per day.
func (a *App) showLetterHistory(c echo.Context) error {
	letter, iv, points, err := a.consoleHistory(c)
	if err != nil {
		return err
	}
	l := a.localizer(c)
	url := consoleHistoryURL(letter.ID)
	source := sourceQuery(c)
	view := &letterHistoryView{Page: a.page(c, l.T("admin.history.title", "Letter", letter.In(l.Lang()).Title)),
		Letter: letter, URL: url, Interval: iv, CSVURL: url + ".csv?interval=" + string(iv) + source.Encode(), Points: points,
		AllSourcesURL: url + "?interval=" + string(iv),
		Cumulative:    historyChart(l, "cumulative", iv, points, history.Totals(points), false),
		Changes:       historyChart(l, "changes", iv, points, history.Changes(points), true)}
	if source.set {
		src, err := a.d.Partners.Directory(c.Request().Context()).Of(letter.ID, source.code)
		if err != nil {
			return err
		}
		view.Source = sourceName(l, src)
	}
	for _, other := range []history.Interval{history.Hour, history.Day} {
		view.Intervals = append(view.Intervals, intervalLink{Label: l.T("admin.history.per_" + string(other)),
			URL: url + "?interval=" + string(other) + source.Encode(), Current: other == iv})
	}
	return a.render(c, http.StatusOK, "admin_letter_history", view)
}

// historyChart describes one chart of a series in the reader's language.
func historyChart(l *i18n.Localizer, id string, iv history.Interval, points []history.Point, values []int64, bars bool) chartView {
	v := chartView{ID: "chart-" + id, Title: l.T("admin.history.chart_" + id + "_" + string(iv)), Plot: history.NewPlot(values), Bars: bars}
	if len(points) == 0 {
		v.Desc = l.T("admin.history.empty")
		return v
	}
	v.Desc = l.T("admin.history.chart_desc", "From", bucketLabel(points[0].Start, iv), "To", bucketLabel(points[len(points)-1].Start, iv),
		"Max", l.Number(v.Plot.Max), "Total", l.Number(points[len(points)-1].Total))
	return v
}

// bucketLabel names a bucket by its start, in UTC.
func bucketLabel(t time.Time, iv history.Interval) string {
	if iv == history.Day {
		return t.Format("2006-01-02")
	}
	return t.Format("2006-01-02 15:00")
}

// downloadLetterHistory is the CSV of the series the history page shows,
// one row a bucket.
func (a *App) downloadLetterHistory(c echo.Context) error {
	letter, iv, points, err := a.consoleHistory(c)
	if err != nil {
		return err
	}
	startDownload(c, fmt.Sprintf("%s-history-%s.csv", letter.Slug, iv), "text/csv; charset=utf-8", "no-store")
	return writeHistoryCSV(c.Response(), points)
}

// writeHistoryCSV writes a series as CSV: the bucket's start (RFC 3339,
// UTC), its confirmed and published changes and the public count at its end.
func writeHistoryCSV(w http.ResponseWriter, points []history.Point) error {
	out := csv.NewWriter(w)
	if err := out.Write([]string{"start", "confirmed", "published", "published_total"}); err != nil {
		return err
	}
	for _, p := range points {
		row := []string{p.Start.Format(time.RFC3339), strconv.FormatInt(p.Confirmed, 10),
			strconv.FormatInt(p.Published, 10), strconv.FormatInt(p.Total, 10)}
		if err := out.Write(row); err != nil {
			return err
		}
	}
	out.Flush()
	return out.Error()
}

// consoleHistoryURL is the console page of a letter's numbers over time.
func consoleHistoryURL(letterID uint) string {
	return fmt.Sprintf("/admin/letters/%d/history", letterID)
}

// historySource is the source a console history page is narrowed to.
type historySource struct {
	code string
	set  bool // false: every source
}

// sourceQuery is the source the query string asks for: ?source=CODE, and
// ?source= for the signatures that came with no code.
func sourceQuery(c echo.Context) historySource {
	return historySource{code: c.QueryParam("source"), set: c.QueryParams().Has("source")}
}

// Encode is the source as the end of a query string, "&source=…", or ""
// for every source.
func (s historySource) Encode() string {
	if !s.set {
		return ""
	}
	return "&" + url.Values{"source": {s.code}}.Encode()
}

// consoleHistory reads the letter in the path and its series in the
// interval the query asks for, of the signatures from the source it asks
// for (every source when it names none).
func (a *App) consoleHistory(c echo.Context) (*letters.Letter, history.Interval, []history.Point, error) {
	letter, err := a.consoleLetter(c)
	if err != nil {
		return nil, "", nil, err
	}
	db := a.d.Store.Read(c.Request().Context())
	read := func() ([]store.HistoryPoint, error) { return store.LetterHistory(db, letter.ID) }
	if source := sourceQuery(c); source.set {
		read = func() ([]store.HistoryPoint, error) { return store.SourceHistory(db, letter.ID, source.code) }
	}
	iv, points, err := a.series(c, read)
	return letter, iv, points, err
}

// letterSeries reads a letter's series in the interval of the query
// string; a bad interval is a 400 with the code invalid_interval.
func (a *App) letterSeries(c echo.Context, letter *letters.Letter) (history.Interval, []history.Point, error) {
	db := a.d.Store.Read(c.Request().Context())
	return a.series(c, func() ([]store.HistoryPoint, error) { return store.LetterHistory(db, letter.ID) })
}

// series sums the hours read reads into the interval of the query string.
func (a *App) series(c echo.Context, read func() ([]store.HistoryPoint, error)) (history.Interval, []history.Point, error) {
	iv, err := history.ParseInterval(c.QueryParam("interval"))
	if errors.Is(err, history.ErrBadInterval) {
		return "", nil, errorWithCode(http.StatusBadRequest, "invalid_interval")
	}
	hours, err := read()
	if err != nil {
		return "", nil, err
	}
	return iv, history.Series(hours, iv), nil
}

// apiHistory is the JSON of GET /api/v1/letters/{slug}/history.
type apiHistory struct {
	Interval history.Interval  `json:"interval"`
	Points   []apiHistoryPoint `json:"points"`
}

type apiHistoryPoint struct {
	Start     time.Time `json:"start"`
	Published int64     `json:"published"`
	Total     int64     `json:"total"`
}

// apiShowLetterHistory gives a public letter's published count over time,
// per hour or per day, to scripts and journalists' tools.
func (a *App) apiShowLetterHistory(c echo.Context) error {
	letter, snap, err := a.publicSnapshot(c)
	if err != nil {
		return err
	}
	if _, err := history.ParseInterval(c.QueryParam("interval")); err != nil {
		return errorWithCode(http.StatusBadRequest, "invalid_interval")
	}
	if notModified(c, fmt.Sprintf(`W/"%d-%d-%s"`, letter.ID, snap.Seq, c.QueryParam("interval")), apiLetterMaxAge) {
		return nil
	}
	iv, points, err := a.letterSeries(c, letter)
	if err != nil {
		return err
	}
	out := apiHistory{Interval: iv, Points: make([]apiHistoryPoint, 0, len(points))}
	for _, p := range points {
		if p.Published != 0 {
			out.Points = append(out.Points, apiHistoryPoint{Start: p.Start, Published: p.Published, Total: p.Total})
		}
	}
	return c.JSON(http.StatusOK, out)
}
