// Command cjkchars prints the characters the embedded CJK font keeps: the
// Han characters of GB 2312 (Chinese) and JIS X 0208 (Japanese), the Hangul
// syllables of KS X 1001 (Korean), kana, and the CJK punctuation and
// full-width forms, one code point a line as U+XXXX, for pyftsubset
// --unicodes-file (see ../README.md).
package main

import (
	"fmt"
	"unicode"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/korean"
	"golang.org/x/text/encoding/simplifiedchinese"
)

func main() {
	gb := simplifiedchinese.HZGB2312.NewEncoder()
	sjis := japanese.ShiftJIS.NewEncoder()
	kr := korean.EUCKR.NewEncoder()
	for r := rune(0x2E80); r <= 0xFFEF; r++ {
		if keep(r, gb, sjis, kr) {
			fmt.Printf("U+%04X\n", r)
		}
	}
}

// keep reports whether r is one of the characters the font keeps.
func keep(r rune, gb, sjis, kr *encoding.Encoder) bool {
	switch {
	case unicode.Is(unicode.Han, r):
		return encodes(gb, r) || encodes(sjis, r)
	case unicode.Is(unicode.Hangul, r):
		b, err := kr.String(string(r))
		// KS X 1001 proper: two bytes, both in 0xA1..0xFE (not CP949's extension).
		return err == nil && len(b) == 2 && b[0] >= 0xA1 && b[1] >= 0xA1
	case unicode.In(r, unicode.Hiragana, unicode.Katakana):
		return true
	default: // CJK symbols and punctuation, full-width and half-width forms
		return (r >= 0x3000 && r <= 0x303F) || (r >= 0xFF00 && r <= 0xFFEF)
	}
}

// encodes reports whether enc has r in its character set.
func encodes(enc *encoding.Encoder, r rune) bool {
	b, err := enc.String(string(r))
	return err == nil && b != "?" && len(b) > 0
}
