package web

import "testing"

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
