package web_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/undersigned/undersigned/pkg/store"
	"github.com/undersigned/undersigned/pkg/web/webtest"
)

// BenchmarkConsoleLetterPDF10000 downloads the console's PDF of a letter of
// 10,000 published signatories (1,000 organisations; a third of the
// individuals unnamed): the names read from SQLite, laid out and written. It
// prints the time one download takes (docs/benchmarks.md).
func BenchmarkConsoleLetterPDF10000(b *testing.B) {
	h := webtest.New(b)
	seedSignatories(b, h, 10_000, 1_000)
	letter, _ := h.App.Letters.BySlug(webtest.LetterSlug)
	admin := h.LoginAs("admin@campaign.example", store.RoleAdmin)
	h.Client.Timeout = time.Minute
	path := fmt.Sprintf("/admin/letters/%d/letter.pdf", letter.ID)
	var size int
	start := time.Now()
	for b.Loop() {
		res := admin.Get(path)
		if res.Status != http.StatusOK {
			b.Fatalf("%d", res.Status)
		}
		size = len(res.Body)
	}
	each := time.Since(start) / time.Duration(b.N)
	fmt.Printf("console PDF of 10,000 signatories: %v, %.2f MB\n", each.Round(time.Millisecond), float64(size)/1e6)
}
