package deliver

import (
	"embed"
	"fmt"
	"unicode"

	"github.com/tdewolff/canvas"
)

// fontFiles are the Noto fonts the PDF is set in (SIL Open Font License,
// fonts/OFL.txt); fonts/README.md says where each comes from and how the
// CJK subset is made.
//
//go:embed fonts/*.ttf
var fontFiles embed.FS

// script is a family of fonts the PDF chooses per run of text.
type script int

const (
	scriptLatin script = iota // Latin, Greek, Cyrillic and everything else Noto Sans has
	scriptArabic
	scriptHebrew
	scriptDevanagari
	scriptCJK
	scriptCount
)

// fontFile names each script's regular and bold file; "" for bold means the
// regular one serves both.
var fontFile = [scriptCount][2]string{
	scriptLatin:      {"NotoSans-Regular.ttf", "NotoSans-Bold.ttf"},
	scriptArabic:     {"NotoSansArabic-Regular.ttf", "NotoSansArabic-Bold.ttf"},
	scriptHebrew:     {"NotoSansHebrew-Regular.ttf", ""},
	scriptDevanagari: {"NotoSansDevanagari-Regular.ttf", ""},
	scriptCJK:        {"NotoSansCJKsc-Regular-Subset.ttf", ""},
}

// fonts are the loaded faces' fonts, regular and bold, by script.
type fonts [scriptCount][2]*canvas.Font

// loadFonts parses the embedded fonts.
func loadFonts() (*fonts, error) {
	var f fonts
	for s, files := range fontFile {
		for weight, name := range files {
			if name == "" {
				f[s][weight] = f[s][0]
				continue
			}
			b, err := fontFiles.ReadFile("fonts/" + name)
			if err != nil {
				return nil, fmt.Errorf("deliver: font %s: %w", name, err)
			}
			style := canvas.FontRegular
			if weight == 1 {
				style = canvas.FontBold
			}
			if f[s][weight], err = canvas.LoadFont(b, 0, style); err != nil {
				return nil, fmt.Errorf("deliver: font %s: %w", name, err)
			}
		}
	}
	return &f, nil
}

// scriptOf is the font family for r, or ok false for characters every
// family has (spaces, digits, punctuation), which stay in the run they are in.
func scriptOf(r rune) (s script, ok bool) {
	switch {
	case unicode.In(r, unicode.Arabic):
		return scriptArabic, true
	case unicode.In(r, unicode.Hebrew):
		return scriptHebrew, true
	case unicode.In(r, unicode.Devanagari):
		return scriptDevanagari, true
	case unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul),
		r >= 0x3000 && r <= 0x303F, r >= 0xFF00 && r <= 0xFFEF:
		return scriptCJK, true
	case unicode.In(r, unicode.Common, unicode.Inherited):
		return scriptLatin, false
	}
	return scriptLatin, true
}

// run is a stretch of text set in one script's font.
type run struct {
	script script
	text   string
}

// runs splits s where its script changes; characters common to all scripts
// join the run before them (or the first run, at the start).
func runs(s string) []run {
	var out []run
	start, current, decided := 0, scriptLatin, false
	for i, r := range s {
		sc, ok := scriptOf(r)
		if !ok || (decided && sc == current) {
			continue
		}
		if decided && i > start {
			out = append(out, run{current, s[start:i]})
			start = i
		}
		current, decided = sc, true
	}
	if start < len(s) {
		out = append(out, run{current, s[start:]})
	}
	return out
}
