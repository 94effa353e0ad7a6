package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/undersigned/undersigned/pkg/i18n"
	"github.com/undersigned/undersigned/pkg/live"
	"github.com/undersigned/undersigned/pkg/store"
)

// heartbeat keeps idle event streams open through proxies.
const heartbeat = 15 * time.Second

// liveMessage is one event of the stream, laid out for the reader's language
// so the page's script only has to put it in place.
type liveMessage struct {
	Totals    live.Totals       `json:"totals"`
	Formatted map[string]string `json:"formatted"` // the totals, formatted for the reader
	Labels    map[string]string `json:"labels"`    // the words after them, in the right plural
	Countries []liveCountry     `json:"countries"`
	Names     []liveName        `json:"names"`
}

type liveCountry struct {
	Code      string `json:"code"`
	Name      string `json:"name"`
	Total     int64  `json:"total"`
	Formatted string `json:"formatted"`
	Heading   string `json:"heading"` // the country's heading on the letter page
	// Others says how many individuals of the country chose not to be
	// named, as the letter page does; empty when none did.
	Others string `json:"others,omitempty"`
	// More links to the country's page for the names the letter page has
	// no room for, as the letter page does; empty when all fit.
	More string `json:"more,omitempty"`
}

type liveName struct {
	Kind        store.Kind `json:"kind"`
	Name        string     `json:"name"`
	Affiliation string     `json:"affiliation,omitempty"`
	Website     string     `json:"website,omitempty"`
	Country     string     `json:"country"`
	// Statement is the signer's statement, once a reviewer approved it.
	Statement string `json:"statement,omitempty"`
}

// streamEvents is GET /letters/{slug}/events, a Server-Sent Events stream of
// the letter's counts and newly published names, at most one message every
// live.interval. A client reconnecting with Last-Event-ID gets the names it
// missed, as far as the server remembers them. A client network holding
// live.max_streams_per_network streams open already is answered 429.
func (a *App) streamEvents(c echo.Context) error {
	letter, err := a.publicLetter(c)
	if err != nil {
		return err
	}
	closed, ok := a.d.Streams.Open(c.RealIP())
	if !ok {
		return echo.NewHTTPError(http.StatusTooManyRequests)
	}
	defer closed()
	lastSeq, _ := strconv.ParseUint(c.Request().Header.Get("Last-Event-ID"), 10, 64)
	ctx := c.Request().Context()
	sub, first, err := a.d.Live.Subscribe(ctx, letter.ID, lastSeq)
	if err != nil {
		return err
	}
	defer a.d.Live.Unsubscribe(sub)

	w := c.Response()
	h := w.Header()
	h.Set(echo.HeaderContentType, "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no") // tell nginx not to buffer the stream
	// The server's write timeout is for pages; a stream stays open.
	_ = http.NewResponseController(w.Writer).SetWriteDeadline(time.Time{})
	w.WriteHeader(http.StatusOK)

	l := a.localizer(c)
	if err := a.writeEvent(c, l, letter.ID, first, "retry: 3000\n"); err != nil {
		return nil
	}
	beat := time.NewTicker(heartbeat)
	defer beat.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case u, open := <-sub.C:
			if !open { // shutting down: ask the client to come back soon
				_, _ = fmt.Fprint(w, "retry: 1000\n\n")
				w.Flush()
				return nil
			}
			if err := a.writeEvent(c, l, letter.ID, u, ""); err != nil {
				return nil // the client went away
			}
		case <-beat.C:
			if _, err := fmt.Fprint(w, ": keep-alive\n\n"); err != nil {
				return nil
			}
			w.Flush()
		}
	}
}

// writeEvent sends an update on a stream. A broadcast update's data is made
// once per language and shared by every stream of the letter (eventData);
// the first update of a stream, which may replay names, is its own.
func (a *App) writeEvent(c echo.Context, l *i18n.Localizer, letterID uint, u live.Update, prefix string) error {
	key := eventKey{letter: letterID, seq: u.Seq, lang: l.Lang()}
	data, ok := []byte(nil), false
	if prefix == "" {
		data, ok = a.events.get(key)
	}
	if !ok {
		var err error
		if data, err = json.Marshal(a.liveMessageOf(l, u)); err != nil {
			return err
		}
		if prefix == "" {
			a.events.put(key, data)
		}
	}
	w := c.Response()
	if _, err := fmt.Fprintf(w, "%sid: %d\nevent: update\ndata: %s\n\n", prefix, u.Seq, data); err != nil {
		return err
	}
	w.Flush()
	return nil
}

// liveMessageOf is an update as the reader's script reads it, in their
// language.
func (a *App) liveMessageOf(l *i18n.Localizer, u live.Update) liveMessage {
	msg := liveMessage{
		Totals: u.Totals,
		Formatted: map[string]string{"total": l.Number(u.Totals.Total), "organisations": l.Number(u.Totals.Organisations),
			"individuals": l.Number(u.Totals.Individuals), "countries": l.Number(int64(u.Totals.Countries))},
		Labels: map[string]string{
			"totals.signatures":    l.T("totals.signatures", "Count", u.Totals.Total),
			"totals.organisations": l.T("totals.organisations", "Count", u.Totals.Organisations),
			"totals.individuals":   l.T("totals.individuals", "Count", u.Totals.Individuals),
			"totals.countries":     l.T("totals.countries", "Count", u.Totals.Countries),
		},
		Countries: make([]liveCountry, len(u.Countries)),
		Names:     make([]liveName, len(u.Names)),
	}
	for i, ct := range u.Countries {
		name := a.d.Countries.Name(ct.Code, l.Tag)
		msg.Countries[i] = liveCountry{Code: ct.Code, Name: name, Total: ct.Total, Formatted: l.Number(ct.Total),
			Heading: countryHeading(l, name, ct.Total), Others: othersLine(l, ct),
			More: moreLine(l, ct, name, a.d.Config.Live.NamesPerCountry)}
	}
	for i, n := range u.Names {
		msg.Names[i] = liveName{Kind: n.Kind, Name: n.Name, Affiliation: n.Affiliation, Website: n.Website, Country: n.Country,
			Statement: n.Statement}
	}
	return msg
}

// moreLine is the link under a country's names to the names the letter
// page has no room for (it shows up to perKind organisations and perKind
// named individuals), as country_group writes it; "" when all fit.
func moreLine(l *i18n.Localizer, c live.CountryCount, name string, perKind int) string {
	named := c.Individuals - c.Unnamed
	more := c.Organisations - min(c.Organisations, int64(perKind)) + named - min(named, int64(perKind))
	if more <= 0 {
		return ""
	}
	return l.T("signatories.more", "Count", more, "Country", name)
}

// othersLine is the line under a country's names that counts the
// individuals who chose not to be named, as country_group writes it.
func othersLine(l *i18n.Localizer, c live.CountryCount) string {
	switch {
	case c.Unnamed == 0:
		return ""
	case c.Individuals > c.Unnamed: // some are named
		return l.T("signatories.others", "Count", c.Unnamed)
	default:
		return l.T("signatories.unnamed_only", "Count", c.Unnamed)
	}
}
