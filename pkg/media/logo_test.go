package media_test

import (
	"bytes"
	"errors"
	"image/png"
	"os"
	"runtime"
	"testing"

	"github.com/undersigned/undersigned/pkg/media"
	"github.com/undersigned/undersigned/pkg/media/mediatest"
)

func TestReencodeAcceptsByContentAndBoundsTheResult(t *testing.T) {
	webp, err := os.ReadFile("testdata/blue-purple-pink.lossy.webp")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name          string
		data          []byte
		width, height int
	}{
		{"small png keeps its size", mediatest.PNG(120, 60), 120, 60},
		{"wide jpeg fits the box", mediatest.JPEG(1000, 500), 400, 200},
		{"tall png fits the box", mediatest.PNG(300, 900), 133, 400},
		{"webp", webp, 0, 0},
		{"polyglot png", mediatest.Polyglot(), 16, 16},
	} {
		t.Run(tc.name, func(t *testing.T) {
			logo, err := media.Reencode(tc.data)
			if err != nil {
				t.Fatalf("Reencode: %v", err)
			}
			img, err := png.Decode(bytes.NewReader(logo.PNG))
			if err != nil {
				t.Fatalf("the logo is no PNG: %v", err)
			}
			b := img.Bounds()
			if b.Dx() != logo.Width || b.Dy() != logo.Height || b.Dx() > media.Box || b.Dy() > media.Box {
				t.Errorf("logo %d × %d, says %d × %d, box %d", b.Dx(), b.Dy(), logo.Width, logo.Height, media.Box)
			}
			if tc.width != 0 && (b.Dx() != tc.width || b.Dy() != tc.height) {
				t.Errorf("logo %d × %d, want %d × %d", b.Dx(), b.Dy(), tc.width, tc.height)
			}
			for _, leftover := range []string{mediatest.Secret, "<script", "PK\x05\x06", "tEXt"} {
				if bytes.Contains(logo.PNG, []byte(leftover)) {
					t.Errorf("the logo still holds %q", leftover)
				}
			}
		})
	}
}

func TestReencodeRefuses(t *testing.T) {
	for _, tc := range []struct {
		name string
		data []byte
		want error
	}{
		{"svg", mediatest.SVG(), media.ErrFormat},
		{"text", []byte("just some text, named logo.png"), media.ErrFormat},
		{"gif", []byte("GIF89a\x01\x00\x01\x00\x00\x00\x00;"), media.ErrFormat},
		{"empty", nil, media.ErrFormat},
		{"bomb", mediatest.Bomb(50_000, 50_000), media.ErrDimensions},
		{"too many pixels", mediatest.Bomb(4096, 4096), media.ErrDimensions},
		{"too wide", mediatest.Bomb(5000, 10), media.ErrDimensions},
		{"truncated png", mediatest.PNG(50, 50)[:60], media.ErrUndecodable},
		{"over a MiB", append(mediatest.PNG(10, 10), make([]byte, media.MaxBytes)...), media.ErrTooLarge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := media.Reencode(tc.data); !errors.Is(err, tc.want) {
				t.Errorf("Reencode = %v, want %v", err, tc.want)
			}
		})
	}
}

// TestBombIsRefusedBeforeDecoding checks that a file declaring 50,000 ×
// 50,000 pixels (10 GB decoded) is refused having allocated next to
// nothing.
func TestBombIsRefusedBeforeDecoding(t *testing.T) {
	bomb := mediatest.Bomb(50_000, 50_000)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, err := media.Reencode(bomb)
	runtime.ReadMemStats(&after)
	if !errors.Is(err, media.ErrDimensions) {
		t.Errorf("Reencode = %v, want ErrDimensions", err)
	}
	if grown := after.TotalAlloc - before.TotalAlloc; grown > 1<<20 {
		t.Errorf("refusing the bomb allocated %d bytes", grown)
	}
}
