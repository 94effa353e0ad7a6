package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/undersigned/undersigned/pkg/config"
	"github.com/undersigned/undersigned/pkg/letters"
	"github.com/undersigned/undersigned/pkg/store"
	"github.com/undersigned/undersigned/pkg/web/webtest"
)

// twoInstances starts two servers on one PostgreSQL database; change
// adjusts the configuration of both.
func twoInstances(t *testing.T, change ...func(*config.Config)) (*webtest.Harness, *webtest.Harness) {
	t.Helper()
	if os.Getenv(webtest.PostgresEnv) == "" {
		t.Skip("several servers share a PostgreSQL database; set " + webtest.PostgresEnv)
	}
	one := webtest.New(t, append([]func(*config.Config){func(c *config.Config) { c.Letters[0].Review = nil }}, change...)...)
	two := webtest.New(t, append([]func(*config.Config){func(c *config.Config) {
		c.Letters[0].Review = nil
		c.Database = one.App.Config.Database
	}}, change...)...)
	return one, two
}

func TestPublishedOnOneServerStreamsFromTheOther(t *testing.T) {
	one, two := twoInstances(t)
	stream := two.Events("/letters/"+webtest.LetterSlug+"/events", "")
	stream.Next(2 * time.Second)
	signAndConfirm(t, one, webtest.SignForm("ada@example.org"))
	deadline := time.After(2 * time.Second)
	for {
		select {
		case e := <-stream.Events():
			got := decodeLive(t, e)
			if got.Totals.Total == 1 && len(got.Names) == 1 && got.Names[0].Name == "Ada Lovelace" {
				return
			}
		case <-deadline:
			t.Fatal("the other server did not stream the new signature within 2s")
		}
	}
}

func TestTwoServersNeverSendTheSameMail(t *testing.T) {
	one, two := twoInstances(t)
	const n = 30
	for i := range n {
		one.Sign(webtest.SignForm(fmt.Sprintf("p%d@example.org", i)))
	}
	var wg sync.WaitGroup
	for _, h := range []*webtest.Harness{one, two} {
		wg.Go(func() {
			if _, err := h.App.Outbox.Drain(t.Context()); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	delivered := len(one.SMTP.Messages()) + len(two.SMTP.Messages())
	if delivered != n {
		t.Errorf("%d mails delivered by two servers (%d + %d), want %d", delivered, len(one.SMTP.Messages()), len(two.SMTP.Messages()), n)
	}
}

func TestStaffSessionWorksOnEitherServer(t *testing.T) {
	one, two := twoInstances(t)
	b := one.LoginAs("mod@campaign.example", store.RoleModerator)
	u, _ := url.Parse(one.URL + "/admin")
	other := two.NewBrowser()
	target, _ := url.Parse(two.URL + "/admin")
	other.Client.Jar.SetCookies(target, b.Client.Jar.Cookies(u))
	if res := other.Get("/admin"); res.Status != http.StatusOK {
		t.Errorf("the session from one server on the other: %d", res.Status)
	}
}

// TestHiddenOnOneServerIsNotReplayedByTheOther: a name the other server
// streamed and remembers for reconnecting clients is no longer replayed
// once it is hidden elsewhere.
func TestHiddenOnOneServerIsNotReplayedByTheOther(t *testing.T) {
	one, two := twoInstances(t)
	stream := two.Events("/letters/"+webtest.LetterSlug+"/events", "")
	before := stream.Next(2 * time.Second).ID
	signAndConfirm(t, one, webtest.SignForm("ada@example.org"))
	for e := range stream.Events() { // until the other server has it among its recent names
		if got := decodeLive(t, e); len(got.Names) == 1 {
			break
		}
	}
	stream.Close()
	if replay := decodeLive(t, two.Events("/letters/"+webtest.LetterSlug+"/events", before).Next(2*time.Second)); len(replay.Names) != 1 {
		t.Fatalf("before hiding, the replay holds %d names", len(replay.Names))
	}
	mod := one.LoginAs("mod@campaign.example", store.RoleModerator)
	decide(t, mod, "hide", []uint64{signatureByName(t, one, "Ada Lovelace").ID})
	deadline := time.Now().Add(5 * time.Second)
	for {
		replay := decodeLive(t, two.Events("/letters/"+webtest.LetterSlug+"/events", before).Next(2*time.Second))
		if len(replay.Names) == 0 && replay.Totals.Total == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the other server still replays %+v", replay.Names)
		}
		time.Sleep(20 * time.Millisecond) // the other server polls the letter's change counter
	}
}

// TestLetterChangedOnOneServerIsServedByTheOther publishes and edits a
// letter through one server's console service; the other serves the change
// once its registry refreshes, as its five-second loop does.
func TestLetterChangedOnOneServerIsServedByTheOther(t *testing.T) {
	one, two := twoInstances(t)
	ctx := t.Context()
	langs := []string{"en", "fr"}
	admin := store.Actor{Name: "admin@campaign.example"}
	draft, err := one.App.LetterConsole.Create(ctx, admin, letters.Draft{
		Settings:   letters.Settings{Slug: "second-server", Lang: "en"},
		TextFields: letters.TextFields{Title: "Written on one", Body: "Body."},
	}, langs)
	if err != nil {
		t.Fatal(err)
	}
	if err := one.App.LetterConsole.Apply(ctx, admin, draft.ID, letters.EventPublish); err != nil {
		t.Fatal(err)
	}
	if res := two.Get("/letters/second-server"); res.Status != http.StatusNotFound {
		t.Fatalf("before refreshing, the other server answers %d, want 404", res.Status)
	}
	if changed, err := two.App.Letters.Refresh(ctx); err != nil || !changed {
		t.Fatalf("refresh: changed %v, %v; want a reload", changed, err)
	}
	if res := two.Get("/letters/second-server"); res.Status != http.StatusOK || !strings.Contains(res.Body, "Written on one") {
		t.Errorf("after refreshing, the other server answers %d", res.Status)
	}
	if changed, _ := two.App.Letters.Refresh(ctx); changed {
		t.Error("a second refresh with nothing new reloaded the letters")
	}
}

// TestTwoServersEnforceOneRateLimit signs alternately through two servers
// on one database, from one client network and then from one email domain:
// together they allow what the limit allows one server, not twice as much.
func TestTwoServersEnforceOneRateLimit(t *testing.T) {
	limit := config.RateLimit{Burst: 3, BurstPeriod: time.Minute, Sustained: 100, SustainedPeriod: time.Hour}
	for _, tt := range []struct {
		name   string
		change func(*config.Config)
		email  func(i int) string
	}{
		{"per network", func(c *config.Config) { c.Abuse.IPAllowlist, c.Abuse.IPLimits = nil, limit },
			func(i int) string { return fmt.Sprintf("p%d@example.org", i) }},
		{"per email domain", func(c *config.Config) { c.Abuse.DomainLimits = limit },
			func(i int) string { return fmt.Sprintf("p%d@mx%d.spam-domain.example", i, i) }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			one, two := twoInstances(t, tt.change)
			allowed := 0
			for i := range 4 * limit.Burst {
				h := []*webtest.Harness{one, two}[i%2]
				switch res := h.PostForm("/letters/"+webtest.LetterSlug+"/sign", webtest.SignForm(tt.email(i))); res.Status {
				case http.StatusSeeOther:
					allowed++
				case http.StatusTooManyRequests:
				default:
					t.Fatalf("signature %d: status %d, want 303 or 429", i, res.Status)
				}
			}
			if allowed != limit.Burst {
				t.Errorf("two servers allowed %d signatures, want the limit's %d", allowed, limit.Burst)
			}
		})
	}
}
