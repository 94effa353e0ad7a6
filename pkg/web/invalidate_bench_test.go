package web_test

import (
	"fmt"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/undersigned/undersigned/pkg/abuse"
	"github.com/undersigned/undersigned/pkg/moderation"
	"github.com/undersigned/undersigned/pkg/store"
	"github.com/undersigned/undersigned/pkg/web/webtest"
)

// BenchmarkInvalidate100k invalidates 100,000 signatures from one domain on
// SQLite while a signer signs over HTTP one request after another, and
// reports how long the longest chunk held the writer and the signer's
// latencies meanwhile. Run it once:
//
//	go test ./pkg/web -run '^$' -bench BenchmarkInvalidate100k -benchtime 1x
func BenchmarkInvalidate100k(b *testing.B) {
	const n = 100_000
	h := webtest.New(b)
	ids := h.SeedPending(n, "DE")
	domainHash := abuse.DomainHash(h.App.Vault, "flood.example")
	err := h.App.Store.Write(b.Context(), func(tx *gorm.DB) error {
		return tx.Model(&store.Signature{}).Where("id >= ? AND id <= ?", ids[0], ids[n-1]).Update("email_domain_hash", domainHash).Error
	})
	if err != nil {
		b.Fatal(err)
	}
	letter, _ := h.App.Letters.BySlug(webtest.LetterSlug)
	admin := h.AddStaff("admin@campaign.example", store.RoleAdmin)
	for b.Loop() {
		var chunks []time.Duration
		last := time.Now()
		done := make(chan struct{})
		var latencies []time.Duration
		var wg sync.WaitGroup
		wg.Go(func() { latencies = signUntil(b, h, done) })
		start := time.Now()
		got, err := h.App.Moderator.Invalidate(b.Context(), admin, moderation.Criteria{LetterID: letter.ID, Domain: "flood.example"},
			func(int) { chunks = append(chunks, time.Since(last)); last = time.Now() })
		total := time.Since(start)
		close(done)
		wg.Wait()
		if err != nil || got != n {
			b.Fatalf("invalidated %d (%v)", got, err)
		}
		slices.Sort(chunks)
		slices.Sort(latencies)
		b.ReportMetric(total.Seconds(), "s/invalidation")
		b.ReportMetric(float64(chunks[len(chunks)/2].Microseconds())/1000, "ms/chunk-p50")
		b.ReportMetric(float64(chunks[len(chunks)-1].Microseconds())/1000, "ms/chunk-max")
		b.ReportMetric(float64(len(latencies)), "signatures-meanwhile")
		b.ReportMetric(float64(latencies[len(latencies)/2].Microseconds())/1000, "ms/sign-p50")
		b.ReportMetric(float64(latencies[len(latencies)*99/100].Microseconds())/1000, "ms/sign-p99")
		b.ReportMetric(float64(latencies[len(latencies)-1].Microseconds())/1000, "ms/sign-max")
	}
}

// signUntil signs one request after another until done closes, and returns
// each request's latency.
func signUntil(b *testing.B, h *webtest.Harness, done <-chan struct{}) []time.Duration {
	var latencies []time.Duration
	for i := 0; ; i++ {
		select {
		case <-done:
			return latencies
		default:
		}
		start := time.Now()
		res := h.PostForm("/letters/"+webtest.LetterSlug+"/sign", webtest.SignForm(fmt.Sprintf("during%d@example.org", i)))
		latencies = append(latencies, time.Since(start))
		if res.Status != http.StatusSeeOther {
			b.Errorf("sign during the invalidation: %d", res.Status)
			return latencies
		}
	}
}
