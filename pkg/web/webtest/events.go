package webtest

import (
	"bufio"
	"context"
	"net/http"
	"strings"
	"time"
)

// Event is one Server-Sent Event.
type Event struct {
	ID   string
	Name string
	Data string
}

// EventStream reads a Server-Sent Events response.
type EventStream struct {
	h      *Harness
	events chan Event
	cancel context.CancelFunc
}

// Events opens the event stream at path, sending lastEventID when not empty,
// and reads it until the test ends.
func (h *Harness) Events(path, lastEventID string) *EventStream {
	h.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, h.URL+path, nil)
	if err != nil {
		h.t.Fatal(err)
	}
	req.Header.Set("Accept", "text/event-stream")
	if lastEventID != "" {
		req.Header.Set("Last-Event-ID", lastEventID)
	}
	res, err := (&http.Client{}).Do(req)
	if err != nil {
		cancel()
		h.t.Fatalf("webtest: open %s: %v", path, err)
	}
	if ct := res.Header.Get("Content-Type"); res.StatusCode != http.StatusOK || !strings.HasPrefix(ct, "text/event-stream") {
		cancel()
		h.t.Fatalf("webtest: %s answered %d %s", path, res.StatusCode, ct)
	}
	s := &EventStream{h: h, events: make(chan Event, 100), cancel: cancel}
	h.t.Cleanup(cancel)
	go func() {
		defer res.Body.Close()
		defer close(s.events)
		scanner := bufio.NewScanner(res.Body)
		scanner.Buffer(make([]byte, 0, 64<<10), 4<<20)
		var e Event
		for scanner.Scan() {
			line := scanner.Text()
			switch {
			case line == "":
				if e.Data != "" {
					s.events <- e
				}
				e = Event{}
			case strings.HasPrefix(line, "id: "):
				e.ID = strings.TrimPrefix(line, "id: ")
			case strings.HasPrefix(line, "event: "):
				e.Name = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				e.Data += strings.TrimPrefix(line, "data: ")
			}
		}
	}()
	return s
}

// Next waits for the next event, failing the test after timeout.
func (s *EventStream) Next(timeout time.Duration) Event {
	s.h.t.Helper()
	select {
	case e, ok := <-s.events:
		if !ok {
			s.h.t.Fatal("webtest: the event stream closed")
		}
		return e
	case <-time.After(timeout):
		s.h.t.Fatalf("webtest: no event within %s", timeout)
	}
	return Event{}
}

// Close stops reading the stream.
func (s *EventStream) Close() { s.cancel() }

// Events returns the stream's events as they come; it closes when the stream ends.
func (s *EventStream) Events() <-chan Event { return s.events }
