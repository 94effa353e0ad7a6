// Package media turns an uploaded image into a logo the site can serve: it
// recognises the format by the file's content, refuses anything but PNG,
// JPEG and WebP, refuses an image declaring more pixels than it would decode
// before decoding it, and re-encodes what it accepts as a PNG of bounded
// size, so that nothing of the upload (its bytes, its metadata, whatever
// else a polyglot file carries) is ever served as it came. It knows nothing
// of HTTP.
package media

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"io"

	"golang.org/x/image/draw"
	"golang.org/x/image/webp"
)

// Limits on what an upload may be and on the logo made of it.
const (
	// MaxBytes is the largest upload accepted, 1 MiB.
	MaxBytes = 1 << 20
	// MaxSide and MaxPixels bound the dimensions an upload may declare: a
	// decoded image holds four bytes a pixel, so 16 megapixels is 64 MiB
	// at most, whatever the file's size.
	MaxSide   = 4096
	MaxPixels = 16_000_000
	// Box is the square a logo is scaled down to fit in.
	Box = 400
)

// Errors an upload is refused with; a caller maps each to a message.
var (
	ErrTooLarge    = errors.New("media: file larger than 1 MiB")
	ErrFormat      = errors.New("media: not a PNG, JPEG or WebP image")
	ErrDimensions  = errors.New("media: image too large in pixels")
	ErrUndecodable = errors.New("media: image does not decode")
)

// Logo is an image re-encoded for serving: a PNG within Box × Box.
type Logo struct {
	PNG           []byte
	Width, Height int
}

// format is an image format this package decodes, known by its first bytes.
type format struct {
	name   string
	magic  func([]byte) bool
	config func(io.Reader) (image.Config, error)
	decode func(io.Reader) (image.Image, error)
}

// formats are the formats accepted. SVG (a document that can carry script),
// GIF and everything else match none.
func formats() []format {
	return []format{
		{"png", func(b []byte) bool { return bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")) }, png.DecodeConfig, png.Decode},
		{"jpeg", func(b []byte) bool { return bytes.HasPrefix(b, []byte("\xff\xd8\xff")) }, jpeg.DecodeConfig, jpeg.Decode},
		{"webp", func(b []byte) bool {
			return len(b) >= 12 && string(b[:4]) == "RIFF" && string(b[8:12]) == "WEBP"
		}, webp.DecodeConfig, webp.Decode},
	}
}

// sniff is the format of data by its content, never its name or declared
// type, or ErrFormat.
func sniff(data []byte) (format, error) {
	for _, f := range formats() {
		if f.magic(data) {
			return f, nil
		}
	}
	return format{}, ErrFormat
}

// Reencode checks an upload and makes a logo of it: the format by its
// content, the dimensions from its header before any pixel is decoded, then
// the image decoded, scaled down to fit in Box × Box (never up) and encoded
// as a PNG without metadata.
func Reencode(data []byte) (Logo, error) {
	if len(data) > MaxBytes {
		return Logo{}, ErrTooLarge
	}
	f, err := sniff(data)
	if err != nil {
		return Logo{}, err
	}
	cfg, err := f.config(bytes.NewReader(data))
	if err != nil {
		return Logo{}, fmt.Errorf("%w: %s header: %v", ErrUndecodable, f.name, err)
	}
	if err := checkDimensions(cfg.Width, cfg.Height); err != nil {
		return Logo{}, err
	}
	img, err := f.decode(bytes.NewReader(data))
	if err != nil {
		return Logo{}, fmt.Errorf("%w: %s: %v", ErrUndecodable, f.name, err)
	}
	return encode(scaleToFit(img, Box))
}

// checkDimensions refuses an image with no pixels, or more than MaxSide on
// a side or MaxPixels in all.
func checkDimensions(w, h int) error {
	if w <= 0 || h <= 0 {
		return ErrUndecodable
	}
	if w > MaxSide || h > MaxSide || w*h > MaxPixels {
		return fmt.Errorf("%w: %d × %d", ErrDimensions, w, h)
	}
	return nil
}

// scaleToFit draws img into a new image that fits in box × box, keeping its
// proportions; an image already within the box keeps its size. Either way
// the result is a fresh copy of the pixels alone.
func scaleToFit(img image.Image, box int) *image.NRGBA {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if w > box || h > box {
		if w >= h {
			w, h = box, max(1, h*box/b.Dx())
		} else {
			w, h = max(1, w*box/b.Dy()), box
		}
	}
	dst := image.NewNRGBA(image.Rect(0, 0, w, h))
	draw.CatmullRom.Scale(dst, dst.Bounds(), img, b, draw.Src, nil)
	return dst
}

// encode writes img as a PNG, with no chunk but the image's own.
func encode(img *image.NRGBA) (Logo, error) {
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	if err := enc.Encode(&buf, img); err != nil {
		return Logo{}, fmt.Errorf("media: encode png: %w", err)
	}
	return Logo{PNG: buf.Bytes(), Width: img.Rect.Dx(), Height: img.Rect.Dy()}, nil
}
