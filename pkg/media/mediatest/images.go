// Package mediatest makes the images the tests upload: ordinary ones with
// metadata to be dropped, and hostile ones (a decompression bomb, a
// polyglot) that must be refused or defused.
package mediatest

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
)

// Secret is the text the images' metadata carries, which must never be served.
const Secret = "exif-secret-location"

// picture is a w × h gradient, so scaling it has something to do.
func picture(w, h int) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.NRGBA{R: uint8(x), G: uint8(y), B: 200, A: 255})
		}
	}
	return img
}

// PNG is a w × h PNG with a tEXt chunk holding Secret after its header.
func PNG(w, h int) []byte {
	var buf bytes.Buffer
	if err := png.Encode(&buf, picture(w, h)); err != nil {
		panic(err)
	}
	b := buf.Bytes()
	const afterIHDR = 8 + 8 + 13 + 4 // signature, IHDR's length and type, its data, its CRC
	text := chunk("tEXt", []byte("Comment\x00"+Secret))
	return append(append(append([]byte(nil), b[:afterIHDR]...), text...), b[afterIHDR:]...)
}

// JPEG is a w × h JPEG with an APP1 (Exif) segment holding Secret.
func JPEG(w, h int) []byte {
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, picture(w, h), nil); err != nil {
		panic(err)
	}
	b := buf.Bytes()
	exif := []byte("Exif\x00\x00" + Secret)
	seg := append([]byte{0xff, 0xe1, byte((len(exif) + 2) >> 8), byte(len(exif) + 2)}, exif...)
	return append(append(append([]byte(nil), b[:2]...), seg...), b[2:]...)
}

// Bomb is a small PNG whose header declares w × h pixels, with a valid
// stream of zeros as its first rows: decoded, it would take w*h*4 bytes.
func Bomb(w, h int) []byte {
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], uint32(w))
	binary.BigEndian.PutUint32(ihdr[4:], uint32(h))
	ihdr[8], ihdr[9] = 8, 6 // 8 bits, RGBA
	var zeros bytes.Buffer
	z, _ := zlib.NewWriterLevel(&zeros, zlib.BestCompression)
	z.Write(make([]byte, 1<<20)) // a megabyte of zeros: the first rows, unfiltered
	z.Close()
	out := append([]byte("\x89PNG\r\n\x1a\n"), chunk("IHDR", ihdr)...)
	out = append(out, chunk("IDAT", zeros.Bytes())...)
	return append(out, chunk("IEND", nil)...)
}

// Polyglot is a valid PNG that is also an HTML page and ends with a ZIP
// archive's end record, as files built to fool a content sniffer are.
func Polyglot() []byte {
	b := PNG(16, 16)
	html := []byte("<html><script>alert(1)</script></html>")
	end := append([]byte("PK\x05\x06"), make([]byte, 18)...)
	return append(append(b, html...), end...)
}

// SVG is an SVG document with a script.
func SVG() []byte {
	return []byte(`<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(1)</script></svg>`)
}

// chunk is one PNG chunk: length, type, data and CRC.
func chunk(kind string, data []byte) []byte {
	out := binary.BigEndian.AppendUint32(nil, uint32(len(data)))
	out = append(out, kind...)
	out = append(out, data...)
	return binary.BigEndian.AppendUint32(out, crc32.ChecksumIEEE(append([]byte(kind), data...)))
}
