package web_test

import (
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"

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
