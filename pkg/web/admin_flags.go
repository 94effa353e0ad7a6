package web

import (
	"strings"

	"github.com/undersigned/undersigned/pkg/i18n"
	"github.com/undersigned/undersigned/pkg/moderation"
	"github.com/undersigned/undersigned/pkg/store"
)

// flagNote is one flag of a signature as the queue and the signature's page
// show it: its reason in words, and for a possible duplicate the others.
type flagNote struct {
	Code       string
	Label      string
	Duplicates []duplicateLink
}

// duplicateLink is another signature a signature may duplicate, with what
// they share in words.
type duplicateLink struct {
	ID      uint64
	Name    string
	Reasons string
}

// flagNotes are item's flags in words; the duplicate flag lists the other
// signatures, which the signature's page finds even where the flag is not
// stored (a signature that came into review first).
func flagNotes(l *i18n.Localizer, item moderation.Item) []flagNote {
	var notes []flagNote
	duplicateShown := false
	for _, f := range item.Flags {
		note := flagNote{Code: f.Code(), Label: l.T("admin.flag." + f.Code())}
		if f == store.FlagDuplicate {
			note.Duplicates, duplicateShown = duplicateLinks(l, item.Duplicates), true
		}
		notes = append(notes, note)
	}
	if !duplicateShown && len(item.Duplicates) > 0 {
		notes = append([]flagNote{{Code: store.FlagDuplicate.Code(), Label: l.T("admin.flag.duplicate"),
			Duplicates: duplicateLinks(l, item.Duplicates)}}, notes...)
	}
	return notes
}

func duplicateLinks(l *i18n.Localizer, dups []store.Duplicate) []duplicateLink {
	var links []duplicateLink
	for _, d := range dups {
		reasons := make([]string, len(d.Reasons))
		for i, r := range d.Reasons {
			reasons[i] = l.T("admin.flag.reason." + string(r))
		}
		links = append(links, duplicateLink{ID: d.ID, Name: d.Name, Reasons: strings.Join(reasons, ", ")})
	}
	return links
}

// flagOptions are the queue filter's choices of flag.
func flagOptions(l *i18n.Localizer, current store.Flag) []fieldOption {
	options := []fieldOption{{Value: "", Label: l.T("admin.filter.any")}}
	for _, f := range store.Flags() {
		options = append(options, fieldOption{Value: f.Code(), Label: l.T("admin.flag." + f.Code()), Selected: f == current})
	}
	return options
}
