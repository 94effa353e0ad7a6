package web_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/undersigned/undersigned/pkg/config"
	"github.com/undersigned/undersigned/pkg/store"
	"github.com/undersigned/undersigned/pkg/web/webtest"
)

// historyJSON is the JSON of GET /api/v1/letters/{slug}/history.
type historyJSON struct {
	Interval string `json:"interval"`
	Points   []struct {
		Start     time.Time `json:"start"`
		Published int64     `json:"published"`
		Total     int64     `json:"total"`
	} `json:"points"`
}

// historyRows are a history's points as "start published total", for
// comparing with what a test expects.
func historyRows(h historyJSON) []string {
	rows := make([]string, len(h.Points))
	for i, p := range h.Points {
		rows[i] = fmt.Sprintf("%s %+d %d", p.Start.UTC().Format(time.RFC3339), p.Published, p.Total)
	}
	return rows
}

// signHistory makes a letter's numbers move over two days, the clock moving
// between them: at 12:00 two individuals sign (one through a partner's
// link), at 13:00 an organisation signs and is approved and another
// individual signs, and the next day at 14:00 staff hide one individual and
// the partner's signer withdraws. The public count goes 2, 4, then 2.
func signHistory(t *testing.T, h *webtest.Harness) {
	t.Helper()
	ada := webtest.SignForm("ada@example.org")
	ada.Set("ref", "partner")
	signAndConfirm(t, h, ada)
	bea := individualForm("Bea Brown", "bea@example.org")
	signAndConfirm(t, h, bea)
	h.Clock.Advance(time.Hour)
	signAndConfirm(t, h, orgForm("Open Rights Lab", "https://openrights.example", "press@openrights.example", "DE"))
	mod := h.LoginAs("mod@campaign.example", store.RoleModerator) // a session lasts less than the clock moves
	if res := decide(t, mod, "approve", []uint64{signatureByName(t, h, "Open Rights Lab").ID}); res.Status != http.StatusSeeOther {
		t.Fatalf("approve: %d", res.Status)
	}
	signAndConfirm(t, h, individualForm("Cy Clark", "cy@example.org"))
	h.Clock.Advance(25 * time.Hour)
	mod.Login("mod@campaign.example", webtest.StaffPassword)
	if res := decide(t, mod, "hide", []uint64{signatureByName(t, h, "Bea Brown").ID}); res.Status != http.StatusSeeOther {
		t.Fatalf("hide: %d", res.Status)
	}
	for _, m := range h.SMTP.Messages() {
		if m.To[0] == "ada@example.org" {
			if res := h.PostForm(manageLink(t, h, m)+"/withdraw", url.Values{"sure": {"yes"}}); res.Status != http.StatusOK {
				t.Fatalf("withdraw: %d", res.Status)
			}
			return
		}
	}
	t.Fatal("no mail to ada@example.org")
}

// TestHistoryAddsUpToTheTotals signs, publishes, hides and withdraws in
// different hours: the history API gives each hour's and each day's change
// of the public count, and its last total is the letter's total.
func TestHistoryAddsUpToTheTotals(t *testing.T) {
	h := webtest.New(t)
	signHistory(t, h)
	base := "/api/v1/letters/" + webtest.LetterSlug + "/history"
	hours := getJSON[historyJSON](t, h, base+"?interval=hour")
	want := []string{"2026-11-26T12:00:00Z +2 2", "2026-11-26T13:00:00Z +2 4", "2026-11-27T14:00:00Z -2 2"}
	if got := historyRows(hours); hours.Interval != "hour" || !slices.Equal(got, want) {
		t.Errorf("hourly history: %q %q, want %q", hours.Interval, got, want)
	}
	days := getJSON[historyJSON](t, h, base+"?interval=day")
	want = []string{"2026-11-26T00:00:00Z +4 4", "2026-11-27T00:00:00Z -2 2"}
	if got := historyRows(days); !slices.Equal(got, want) {
		t.Errorf("daily history: %q, want %q", got, want)
	}
	var sum int64
	for _, p := range hours.Points {
		sum += p.Published
	}
	if total := totals(t, h).Total; total != 2 || sum != total {
		t.Errorf("the letter's total is %d; the hours add up to %d", total, sum)
	}
	// The partner's series counts Ada in and out, though withdrawal
	// erased her referral code.
	letter, _ := h.App.Letters.BySlug(webtest.LetterSlug)
	partner, err := store.SourceHistory(h.App.Store.Read(t.Context()), letter.ID, "partner")
	if err != nil || len(partner) != 2 || partner[0].Published != 1 || partner[1].Published != -1 || partner[1].Confirmed != -1 {
		t.Errorf("the partner's history: %+v, %v", partner, err)
	}
}

// TestHistoryRefusesABadIntervalAndAnEmbargo: an interval other than hour
// or day is a 400 with a stable code, a letter under embargo keeps its
// history private, and a client that has the current version gets a 304.
func TestHistoryRefusesABadIntervalAndAnEmbargo(t *testing.T) {
	h := webtest.New(t, func(c *config.Config) { c.Letters = append(c.Letters, embargoed()) })
	path := "/api/v1/letters/" + webtest.LetterSlug + "/history"
	var body struct {
		Error struct{ Code, Message string } `json:"error"`
	}
	res := h.Get(path + "?interval=week")
	if err := json.Unmarshal([]byte(res.Body), &body); err != nil || res.Status != http.StatusBadRequest ||
		body.Error.Code != "invalid_interval" || body.Error.Message != "interval must be hour or day." {
		t.Errorf("a bad interval: %d %v %s", res.Status, err, res.Body)
	}
	if res := h.Get("/api/v1/letters/secret/history"); res.Status != http.StatusNotFound || !strings.Contains(res.Body, `"code":"not_public"`) {
		t.Errorf("under embargo: %d %s", res.Status, res.Body)
	}
	first := h.Get(path + "?interval=day")
	if first.Status != http.StatusOK || first.Header.Get("ETag") == "" || !strings.HasPrefix(first.Header.Get("Cache-Control"), "public") {
		t.Fatalf("history: %d, ETag %q, Cache-Control %q", first.Status, first.Header.Get("ETag"), first.Header.Get("Cache-Control"))
	}
	if again := h.Get(path+"?interval=day", "If-None-Match", first.Header.Get("ETag")); again.Status != http.StatusNotModified {
		t.Errorf("the same version again: %d", again.Status)
	}
	signAndConfirm(t, h, webtest.SignForm("ada@example.org"))
	if after := h.Get(path+"?interval=day", "If-None-Match", first.Header.Get("ETag")); after.Status != http.StatusOK {
		t.Errorf("after a signature: %d, want a new version", after.Status)
	}
}

// embargoed is a second letter, under embargo until December.
func embargoed() config.Letter {
	return config.Letter{Slug: "secret", Title: "Secret", Body: "Body.", Lang: "en",
		PublishAt: time.Date(2026, 12, 10, 9, 0, 0, 0, time.UTC)}
}

// TestHistoryPageChartsTheSameFigures: the console's history page, linked
// from the letter's page, draws the cumulative and per-day charts as SVG
// images with a title and a description, gives the same figures as a table
// and as a CSV download.
func TestHistoryPageChartsTheSameFigures(t *testing.T) {
	h := webtest.New(t)
	signHistory(t, h)
	admin, page := harnessLetterPage(t, h)
	if link := admin.Get(page).Doc().Find(`a[href="` + page + `/history"]`); link.Length() != 1 {
		t.Fatalf("the letter's page has no link to its history")
	}
	res := admin.Get(page + "/history?interval=day")
	if res.Status != http.StatusOK {
		t.Fatalf("history page: %d", res.Status)
	}
	doc := res.Doc()
	charts := doc.Find(`svg[role="img"]`)
	if charts.Length() != 2 {
		t.Fatalf("%d charts, want 2", charts.Length())
	}
	charts.Each(func(_ int, svg *goquery.Selection) {
		title, desc := svg.Find("title"), svg.Find("desc")
		labelled, _ := svg.Attr("aria-labelledby")
		titleID, _ := title.Attr("id")
		descID, _ := desc.Attr("id")
		if title.Text() == "" || !strings.Contains(desc.Text(), "2026-11-26") || labelled != titleID+" "+descID {
			t.Errorf("a chart's title %q, description %q, labelled by %q", title.Text(), desc.Text(), labelled)
		}
	})
	if bars := charts.Eq(1).Find("rect").Length(); bars != 2 {
		t.Errorf("%d bars in the per-day chart, want 2", bars)
	}
	var table [][]string
	doc.Find("table.history tbody tr").Each(func(_ int, tr *goquery.Selection) {
		table = append(table, tr.Find("th, td").Map(func(_ int, cell *goquery.Selection) string { return cell.Text() }))
	})
	want := [][]string{{"2026-11-26", "4", "4", "4"}, {"2026-11-27", "-1", "-2", "2"}}
	if !slices.EqualFunc(table, want, slices.Equal) {
		t.Errorf("table %q, want %q", table, want)
	}
	download := admin.Get(page + "/history.csv?interval=day")
	wantCSV := "start,confirmed,published,published_total\n2026-11-26T00:00:00Z,4,4,4\n2026-11-27T00:00:00Z,-1,-2,2\n"
	if download.Status != http.StatusOK || !strings.HasPrefix(download.Header.Get("Content-Type"), "text/csv") || download.Body != wantCSV {
		t.Errorf("CSV: %d %q\n%s", download.Status, download.Header.Get("Content-Type"), download.Body)
	}
	if bad := admin.Get(page + "/history?interval=week"); bad.Status != http.StatusBadRequest {
		t.Errorf("the page with a bad interval: %d", bad.Status)
	}
}
