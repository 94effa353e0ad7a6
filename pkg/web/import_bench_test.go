package web_test

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/undersigned/undersigned/pkg/store"
	"github.com/undersigned/undersigned/pkg/web/webtest"
)

// BenchmarkImport10k imports files of 10,000 signers through the real
// server (upload, preview, start; confirmation mails queued) while a client
// signs the letter one request after another, and reports the import's rows
// a second and the signing requests' median and slowest times during it.
func BenchmarkImport10k(b *testing.B) {
	h := webtest.New(b)
	admin := h.LoginAs("admin@campaign.example", store.RoleAdmin)
	var imported, elapsed time.Duration
	var latencies []time.Duration
	for n := 0; b.Loop(); n++ {
		var file strings.Builder
		file.WriteString("name,email,country,affiliation\n")
		for i := range 10_000 {
			fmt.Fprintf(&file, "Signer %d,import%d-%d@example.org,DE,University %d\n", i, n, i, i%50)
		}
		b.StopTimer()
		res := admin.Upload("/admin/imports", url.Values{"letter": {webtest.LetterSlug}}, "file", "bench.csv", []byte(file.String()))
		if res.Status != http.StatusSeeOther {
			b.Fatalf("upload: %d", res.Status)
		}
		path := res.Header.Get("Location")
		b.StartTimer()
		start := time.Now()
		stop, signed := signAlongside(h, n)
		res = admin.Post(path, url.Values{"action": {"start"}, "mode": {"mail"}, "map_name": {"0"}, "map_email": {"1"},
			"map_country": {"2"}, "map_affiliation": {"3"}})
		took := time.Since(start)
		close(stop)
		latencies = append(latencies, <-signed...)
		if res.Status != http.StatusSeeOther {
			b.Fatalf("start: %d", res.Status)
		}
		imported, elapsed = imported+10_000, elapsed+took
	}
	slices.Sort(latencies)
	b.ReportMetric(float64(imported)/elapsed.Seconds(), "rows/s")
	if len(latencies) > 0 {
		b.ReportMetric(float64(latencies[len(latencies)/2].Microseconds())/1000, "sign-p50-ms")
		b.ReportMetric(float64(latencies[len(latencies)-1].Microseconds())/1000, "sign-max-ms")
		b.ReportMetric(float64(len(latencies))/float64(b.N), "signs/import")
	}
}

// signAlongside signs the letter, one request after another, until stop is
// closed, then sends each request's time.
func signAlongside(h *webtest.Harness, round int) (chan struct{}, chan []time.Duration) {
	stop, out := make(chan struct{}), make(chan []time.Duration, 1)
	var once sync.Once
	go func() {
		var took []time.Duration
		defer once.Do(func() { out <- took })
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			form := webtest.SignForm(fmt.Sprintf("alongside%d-%d@example.org", round, i))
			start := time.Now()
			res, err := h.Client.PostForm(h.URL+"/letters/"+webtest.LetterSlug+"/sign", form)
			if err != nil {
				return
			}
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
			took = append(took, time.Since(start))
		}
	}()
	return stop, out
}
