package web

import (
	"fmt"
	"testing"
)

func TestAcceptsGzip(t *testing.T) {
	for header, want := range map[string]bool{
		"":                            false,
		"gzip":                        true,
		"gzip, deflate, br, zstd":     true,
		"deflate, gzip;q=0.5":         true,
		"br;q=1.0, gzip ; q=0.8":      true,
		"*":                           true,
		"gzip;q=0":                    false,
		"gzip; q=0.000, br":           false,
		"identity":                    false,
		"x-gzip-not-really, br":       false,
		"deflate;q=0.9, identity;q=0": false,
	} {
		if got := acceptsGzip(header); got != want {
			t.Errorf("acceptsGzip(%q) = %v, want %v", header, got, want)
		}
	}
}

func TestPageCacheKeepsAtMostMaxPagesAGeneration(t *testing.T) {
	p := newPageCache()
	for i := range maxCachedPages + 50 {
		p.put("1700000000.sig", fmt.Sprint("ref", i), []byte("page"))
	}
	if n := len(p.pages); n != maxCachedPages {
		t.Errorf("cache holds %d pages, want %d", n, maxCachedPages)
	}
	if _, ok := p.get("1700000000.other", "ref0"); !ok {
		t.Error("a page kept in this second is not found")
	}
	if _, ok := p.get("1700000001.sig", "ref0"); ok {
		t.Error("a page of an earlier second is served")
	}
}
