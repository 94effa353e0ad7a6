package web

import "testing"

func TestCSSStringEscapesWhatCouldEndTheRule(t *testing.T) {
	for in, want := range map[string]string{
		`Plain`:               `"Plain"`,
		`Say "no" \ </style>`: `"Say \22 no\22  \5c  \3c /style\3e "`,
		"Two\nlines":          `"Two\a lines"`,
	} {
		if got := cssString(in); got != want {
			t.Errorf("cssString(%q) = %s, want %s", in, got, want)
		}
	}
}
