package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/undersigned/undersigned/pkg/config"
	"github.com/undersigned/undersigned/pkg/web/webtest"
)

type liveJSON struct {
	Totals struct {
		Total     int64 `json:"total"`
		Countries int   `json:"countries"`
	} `json:"totals"`
	Formatted map[string]string `json:"formatted"`
	Labels    map[string]string `json:"labels"`
	Countries []struct {
		Code    string `json:"code"`
		Name    string `json:"name"`
		Total   int64  `json:"total"`
		Heading string `json:"heading"`
		Others  string `json:"others"`
	} `json:"countries"`
	Names []struct {
		Name    string `json:"name"`
		Country string `json:"country"`
		Kind    string `json:"kind"`
	} `json:"names"`
}

func decodeLive(t *testing.T, e webtest.Event) liveJSON {
	t.Helper()
	if e.Name != "update" || e.ID == "" {
		t.Fatalf("event %q with id %q", e.Name, e.ID)
	}
	var m liveJSON
	if err := json.Unmarshal([]byte(e.Data), &m); err != nil {
		t.Fatalf("event data: %v\n%s", err, e.Data)
	}
	return m
}

// liveUntil reads the stream's updates until one satisfies done, and
// returns it; a busy machine may send an update between the one a test
// waits for and the last (a tick that saw part of a change), so a test reads
// on rather than take the next one for the last.
func liveUntil(t *testing.T, stream *webtest.EventStream, done func(liveJSON) bool) liveJSON {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		got := decodeLive(t, stream.Next(time.Until(deadline)))
		if done(got) || time.Now().After(deadline) {
			return got
		}
	}
}

func TestEventStreamSendsCountsAndNewNames(t *testing.T) {
	h := webtest.New(t, func(c *config.Config) { c.Letters[0].Review = nil })
	stream := h.Events("/letters/"+webtest.LetterSlug+"/events", "")
	first := decodeLive(t, stream.Next(2*time.Second))
	if first.Totals.Total != 0 || len(first.Names) != 0 {
		t.Fatalf("first event: %+v", first)
	}

	signAndConfirm(t, h, webtest.SignForm("ada@example.org"))
	e := stream.Next(2 * time.Second)
	got := decodeLive(t, e)
	if got.Totals.Total != 1 || got.Formatted["total"] != "1" || got.Labels["totals.signatures"] != "signature" {
		t.Errorf("after one signature: %+v", got)
	}
	if len(got.Names) != 1 || got.Names[0].Name != "Ada Lovelace" || got.Names[0].Country != "GB" {
		t.Errorf("names: %+v", got.Names)
	}
	if len(got.Countries) != 1 || got.Countries[0].Name != "United Kingdom" || got.Countries[0].Heading != "United Kingdom: 1 signatory" {
		t.Errorf("countries: %+v", got.Countries)
	}

	// A client that missed updates reconnects with the last id it saw.
	quiet := webtest.SignForm("bob@example.org")
	quiet.Set("name", "Bob Babbage")
	signAndConfirm(t, h, quiet)
	stream.Close()
	again := h.Events("/letters/"+webtest.LetterSlug+"/events", e.ID)
	replay := decodeLive(t, again.Next(2*time.Second))
	if replay.Totals.Total != 2 || len(replay.Names) != 1 || replay.Names[0].Name != "Bob Babbage" {
		t.Errorf("after reconnecting from %s: %+v", e.ID, replay)
	}
}

func TestEventStreamCoalescesBursts(t *testing.T) {
	h := webtest.New(t, func(c *config.Config) {
		c.Letters[0].Review = nil
		c.Live.Interval = 400 * time.Millisecond
	})
	stream := h.Events("/letters/"+webtest.LetterSlug+"/events", "")
	stream.Next(2 * time.Second)
	const burst = 6
	for i := range burst {
		form := webtest.SignForm(fmt.Sprintf("p%d@example.org", i))
		form.Set("name", fmt.Sprintf("Person %d", i))
		h.Sign(form)
	}
	h.DrainOutbox()
	start := time.Now()
	for _, m := range h.SMTP.Messages() {
		if res := h.PostForm(webtest.ConfirmLink(t, h.URL, m), nil); res.Status != http.StatusOK {
			t.Fatalf("confirm: %d", res.Status)
		}
	}
	confirmed := time.Since(start)
	messages, names := 0, 0
	for names < burst {
		names += len(decodeLive(t, stream.Next(3*time.Second)).Names)
		messages++
	}
	// Six publications spread over `confirmed` reach the page in at most one
	// message per interval.
	if most := int(confirmed/(400*time.Millisecond)) + 2; messages > most {
		t.Errorf("%d names came in %d messages over %s; want at most %d", names, messages, confirmed, most)
	}
}

func TestEventStreamRefusesEmbargoedLetters(t *testing.T) {
	h := webtest.New(t, func(c *config.Config) { c.Letters[0].PublishAt = time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC) })
	if res := h.Get("/letters/" + webtest.LetterSlug + "/events"); res.Status != http.StatusNotFound {
		t.Errorf("events of an embargoed letter: %d", res.Status)
	}
	// The counter says when counting starts (see
	// TestEmbargoedCounterAndDownloadsAnswerInTheirOwnFormat) and follows no stream.
	if res := h.Get("/letters/" + webtest.LetterSlug + "/embed"); res.Status != http.StatusOK || strings.Contains(res.Body, "data-events") {
		t.Errorf("embed of an embargoed letter: %d\n%s", res.Status, res.Body)
	}
}

func TestEmbedCanBeFramedAndNothingElseCan(t *testing.T) {
	h := webtest.New(t)
	embed := h.Get("/letters/" + webtest.LetterSlug + "/embed")
	if embed.Status != http.StatusOK || !strings.Contains(embed.Header.Get("Content-Security-Policy"), "frame-ancestors *") ||
		embed.Header.Get("X-Frame-Options") != "" {
		t.Errorf("embed: %d, CSP %q, XFO %q", embed.Status, embed.Header.Get("Content-Security-Policy"), embed.Header.Get("X-Frame-Options"))
	}
	if link, _ := embed.Doc().Find("a.embed-sign").Attr("href"); !strings.HasSuffix(link, "/letters/"+webtest.LetterSlug+"#sign") {
		t.Errorf("sign link = %q", link)
	}
	page := h.Get("/letters/" + webtest.LetterSlug)
	if !strings.Contains(page.Header.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
		t.Error("the letter page can be framed")
	}
	if code := page.Doc().Find("#embed-code").Text(); !strings.Contains(code, `<iframe src="`+h.URL+`/letters/`+webtest.LetterSlug+`/embed"`) {
		t.Errorf("embed snippet: %q", code)
	}
}

func TestShutdownEndsEventStreamsWithARetryHint(t *testing.T) {
	h := webtest.New(t)
	stream := h.Events("/letters/"+webtest.LetterSlug+"/events", "")
	stream.Next(2 * time.Second)
	h.App.Live.Close()
	select {
	case _, open := <-stream.Events():
		if open {
			t.Error("an event came after shutdown")
		}
	case <-time.After(3 * time.Second):
		t.Fatal("the stream stayed open after the hub closed")
	}
	if n := h.App.Live.Subscribers(); n != 0 {
		t.Errorf("%d subscribers left", n)
	}
}

// openEvents requests a letter's event stream with the Accept header given
// and returns the status, the body of an answer other than a stream, and the
// function that closes the connection.
func openEvents(t *testing.T, h *webtest.Harness, accept string) (int, string, context.CancelFunc) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, h.URL+"/letters/"+webtest.LetterSlug+"/events", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", accept)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	if res.StatusCode == http.StatusOK {
		return res.StatusCode, "", func() { cancel(); res.Body.Close() }
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(body), cancel
}

func TestEventStreamsAreCappedPerNetwork(t *testing.T) {
	t.Run("capped", func(t *testing.T) {
		h := webtest.New(t, func(c *config.Config) {
			c.Abuse.IPAllowlist = nil
			c.Live.MaxStreamsPerNetwork = 2
		})
		first := h.Events("/letters/"+webtest.LetterSlug+"/events", "")
		first.Next(2 * time.Second)
		h.Events("/letters/"+webtest.LetterSlug+"/events", "").Next(2 * time.Second)
		status, body, _ := openEvents(t, h, "application/json")
		if status != http.StatusTooManyRequests || !strings.Contains(body, `"code":"too_many_requests"`) {
			t.Fatalf("a third stream from one network: %d %s, want 429 too_many_requests", status, body)
		}
		if status, _, _ := openEvents(t, h, "text/event-stream"); status != http.StatusTooManyRequests {
			t.Errorf("a third stream, asked for as a browser does: %d, want 429", status)
		}
		// Once the server has seen a stream close, a new one is let in.
		first.Close()
		deadline := time.Now().Add(5 * time.Second)
		for {
			status, _, closeStream := openEvents(t, h, "text/event-stream")
			if status == http.StatusOK {
				t.Cleanup(closeStream)
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("a stream closed, but a new one is still answered %d", status)
			}
			time.Sleep(20 * time.Millisecond)
		}
		if status, _, _ := openEvents(t, h, "text/event-stream"); status != http.StatusTooManyRequests {
			t.Errorf("with two open again: %d, want 429", status)
		}
	})
	t.Run("allow-listed network", func(t *testing.T) {
		h := webtest.New(t, func(c *config.Config) {
			c.Abuse.IPAllowlist = []string{"127.0.0.0/8"}
			c.Live.MaxStreamsPerNetwork = 1
		})
		for range 3 {
			h.Events("/letters/"+webtest.LetterSlug+"/events", "").Next(2 * time.Second)
		}
	})
}

// TestEventStreamSaysWhoChoseNotToBeNamed: a country's individuals who
// chose not to be named come in the update as the line the letter page
// shows under the names, so the script can show it for a new country too.
func TestEventStreamSaysWhoChoseNotToBeNamed(t *testing.T) {
	h := webtest.New(t, func(c *config.Config) { c.Letters[0].Review = nil })
	stream := h.Events("/letters/"+webtest.LetterSlug+"/events", "")
	decodeLive(t, stream.Next(2*time.Second))
	quiet := webtest.SignForm("quiet@example.org")
	quiet.Del("show_name")
	signAndConfirm(t, h, quiet)
	got := liveUntil(t, stream, func(m liveJSON) bool { return m.Totals.Total == 1 })
	if len(got.Countries) != 1 || got.Countries[0].Others != "1 person who chose not to be named" {
		t.Fatalf("after an unnamed signature: %+v", got.Countries)
	}
	signAndConfirm(t, h, webtest.SignForm("ada@example.org"))
	got = liveUntil(t, stream, func(m liveJSON) bool { return m.Totals.Total == 2 })
	if len(got.Countries) != 1 || got.Countries[0].Others != "and 1 other person who chose not to be named" {
		t.Errorf("after a named one too: %+v", got.Countries)
	}
	if others := h.Get("/letters/" + webtest.LetterSlug).Doc().Find("[data-others]").Text(); others != got.Countries[0].Others {
		t.Errorf("the page says %q, the stream %q", others, got.Countries[0].Others)
	}
}
