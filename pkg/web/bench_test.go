package web_test

import (
	"fmt"
	"net/http"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/undersigned/undersigned/pkg/config"
	"github.com/undersigned/undersigned/pkg/web/webtest"
)

// BenchmarkSign posts the sign form over HTTP to the real app on SQLite: each
// signature is stored with its mail queued in one transaction.
func BenchmarkSign(b *testing.B) {
	h := webtest.New(b)
	i := 0
	for b.Loop() {
		i++
		res := h.PostForm("/letters/"+webtest.LetterSlug+"/sign", webtest.SignForm(fmt.Sprintf("bench%d@example.org", i)))
		if res.Status != http.StatusSeeOther {
			b.Fatalf("status %d", res.Status)
		}
	}
}

// BenchmarkSignParallel is BenchmarkSign from concurrent clients.
func BenchmarkSignParallel(b *testing.B) {
	h := webtest.New(b)
	var next atomic.Int64
	b.SetParallelism(32) // 64 concurrent signers on two cores: enough to share commits
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			n := next.Add(1)
			res := h.PostForm("/letters/"+webtest.LetterSlug+"/sign", webtest.SignForm(fmt.Sprintf("p%d@example.org", n)))
			if res.Status != http.StatusSeeOther {
				b.Errorf("status %d", res.Status)
				return
			}
		}
	})
}

// BenchmarkSignNewAndAlreadySigned posts the sign form over HTTP to the real
// app on SQLite, each round once with a new address and once with the one
// that was new in the round before (its mail sent and the resend cooldown
// past, so that it is reminded: the most work an address that signed costs),
// in turns first and second. It reports the median time of each kind, and
// their ratio: the form must not tell them apart by its time.
func BenchmarkSignNewAndAlreadySigned(b *testing.B) {
	h := webtest.New(b)
	cooldown := h.App.Config.Signing.ResendCooldown
	sign := func(email string) time.Duration {
		start := time.Now()
		res := h.PostForm("/letters/"+webtest.LetterSlug+"/sign", webtest.SignForm(email))
		took := time.Since(start)
		if res.Status != http.StatusSeeOther {
			b.Fatalf("status %d", res.Status)
		}
		return took
	}
	address := func(i int) string { return fmt.Sprintf("round%d@example.org", i) }
	h.Sign(webtest.SignForm(address(0)))
	var fresh, again []time.Duration
	round := 0
	for b.Loop() {
		round++
		h.DrainOutbox()
		h.Clock.Advance(cooldown + time.Second)
		if round%2 == 0 {
			fresh = append(fresh, sign(address(round)))
			again = append(again, sign(address(round-1)))
		} else {
			again = append(again, sign(address(round-1)))
			fresh = append(fresh, sign(address(round)))
		}
	}
	newMedian, againMedian := median(fresh), median(again)
	b.ReportMetric(float64(newMedian.Microseconds()), "new-median-µs")
	b.ReportMetric(float64(againMedian.Microseconds()), "signed-median-µs")
	b.ReportMetric(float64(againMedian)/float64(newMedian), "signed/new")
}

// median is the middle of durations (which it sorts).
func median(durations []time.Duration) time.Duration {
	if len(durations) == 0 {
		return 0
	}
	slices.Sort(durations)
	return durations[len(durations)/2]
}

// benchmarkRead GETs path from a letter with signatories published in 20 countries.
func benchmarkRead(b *testing.B, path string, signatures int) {
	h := webtest.New(b, func(c *config.Config) { c.Letters[0].Review = nil })
	countries := []string{"DE", "GB", "FR", "US", "BR", "IN", "KE", "JP", "AU", "CA", "ES", "IT", "NL", "SE", "NG", "ZA", "MX", "AR", "PL", "KR"}
	for i := range signatures {
		form := webtest.SignForm(fmt.Sprintf("reader%d@example.org", i))
		form.Set("name", fmt.Sprintf("Signer %d", i))
		form.Set("country", countries[i%len(countries)])
		h.Sign(form)
	}
	h.DrainOutbox()
	for _, m := range h.SMTP.Messages() {
		h.PostForm(webtest.ConfirmLink(b, h.URL, m), nil)
	}
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if res := h.Get(path); res.Status != http.StatusOK {
				b.Errorf("status %d", res.Status)
				return
			}
		}
	})
}

// BenchmarkLetterPage renders the letter page with 500 published signatories.
func BenchmarkLetterPage(b *testing.B) {
	benchmarkRead(b, "/letters/"+webtest.LetterSlug, 500)
}

// BenchmarkAPILetter answers the JSON totals with 500 published signatories.
func BenchmarkAPILetter(b *testing.B) {
	benchmarkRead(b, "/api/v1/letters/"+webtest.LetterSlug, 500)
}
