package web_test

import (
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/undersigned/undersigned/pkg/config"
	"github.com/undersigned/undersigned/pkg/web/webtest"
)

// goalOf reads the goal block of a page: its label, the progress element's
// max and value, and the count line.
func goalOf(doc *goquery.Document) (label, max, value, count string) {
	bar := doc.Find(".goal progress")
	max, _ = bar.Attr("max")
	value, _ = bar.Attr("value")
	labelID, _ := bar.Attr("aria-labelledby")
	label = strings.TrimSpace(doc.Find("#" + labelID).Text())
	count = strings.Join(strings.Fields(doc.Find(".goal .goal-count").Text()), " ")
	return label, max, value, count
}

// TestGoalShowsProgressThenTheNextGoal: a letter with goals shows, on its
// page and in the embedded counter, a labelled progress element and the
// count in words towards the first goal not reached; past it, the next;
// past the last, that the goal is reached.
func TestGoalShowsProgressThenTheNextGoal(t *testing.T) {
	h := webtest.New(t, func(c *config.Config) {
		c.Letters[0].Review = nil
		c.Letters[0].Goals = []int64{2, 3}
	})
	page, embed := "/letters/"+webtest.LetterSlug, "/letters/"+webtest.LetterSlug+"/embed"
	signAndConfirm(t, h, webtest.SignForm("ada@example.org"))
	for _, path := range []string{page, embed} {
		label, max, value, count := goalOf(h.Get(path).Doc())
		if label != "Our goal: 2 signatures" || max != "2" || value != "1" || count != "1 of 2" {
			t.Errorf("%s with 1 of 2: %q max %q value %q %q", path, label, max, value, count)
		}
	}
	signAndConfirm(t, h, webtest.SignForm("bea@example.org"))
	if label, max, value, count := goalOf(h.Get(page).Doc()); label != "Our goal: 3 signatures" || max != "3" || value != "2" || count != "2 of 3" {
		t.Errorf("past the first goal: %q max %q value %q %q", label, max, value, count)
	}
	signAndConfirm(t, h, webtest.SignForm("cy@example.org"))
	if label, max, value, count := goalOf(h.Get(embed).Doc()); label != "Goal reached: 3 signatures" || max != "3" || value != "3" || count != "" {
		t.Errorf("every goal reached: %q max %q value %q %q", label, max, value, count)
	}
	if res := h.Get("/letters/" + webtest.LetterSlug + "?lang=fr"); !strings.Contains(res.Body, "Objectif atteint") {
		t.Error("the goal is not in the reader's language")
	}
}

// TestLetterWithoutGoalShowsNone: no goal, no progress element.
func TestLetterWithoutGoalShowsNone(t *testing.T) {
	h := webtest.New(t)
	if n := h.Get("/letters/" + webtest.LetterSlug).Doc().Find("progress").Length(); n != 0 {
		t.Errorf("%d progress elements on a letter without a goal", n)
	}
}
