package web_test

import (
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/undersigned/undersigned/pkg/store"
	"github.com/undersigned/undersigned/pkg/web/webtest"
)

// TestReviewTheQueueInABrowserOneAfterAnother logs in as a moderator would,
// opens the first signature of the queue and presses "Approve and open the
// next" until the queue is empty: each press shows the next signature, the
// last the queue with its notice.
func TestReviewTheQueueInABrowserOneAfterAnother(t *testing.T) {
	h := webtest.New(t)
	h.SeedPending(3, "DE") // the queue lists the newest first: Org 0002, Org 0001, Org 0000
	h.AddStaff("mod@campaign.example", store.RoleModerator)
	ctx := webtest.Chrome(t)

	err := chromedp.Do(ctx, chromedp.Navigate(h.URL+"/admin/login"), chromedp.WaitVisible(`//h1[text()="Staff login"]`))
	if err != nil {
		t.Fatal(err)
	}
	err = chromedp.Do(ctx,
		chromedp.SendKeys(webtest.LabelledField(t, ctx, "Email address"), "mod@campaign.example"),
		chromedp.SendKeys(webtest.LabelledField(t, ctx, "Password"), webtest.StaffPassword),
		chromedp.Click(`//button[text()="Log in"]`),
		chromedp.WaitVisible(`//h1[text()="Review queue"]`),
		chromedp.Click(`//table[contains(@class, "queue")]//tbody/tr[1]//a[starts-with(normalize-space(), "Open")]`),
		chromedp.WaitVisible(`//h1[text()="Org 0002"]`),
	)
	if err != nil {
		t.Fatalf("open the first queued signature: %v", err)
	}
	approveNext := chromedp.Click(`//button[normalize-space()="Approve and open the next"]`)
	for _, next := range []string{"Org 0001", "Org 0000"} {
		if err := chromedp.Do(ctx, approveNext, chromedp.WaitVisible(`//h1[text()="`+next+`"]`)); err != nil {
			t.Fatalf("approve and open %s: %v", next, err)
		}
	}
	err = chromedp.Do(ctx, approveNext, chromedp.WaitVisible(`//h1[text()="Review queue"]`))
	if err != nil {
		t.Fatalf("after the last one: %v", err)
	}
	notice, err := chromedp.Run(ctx, chromedp.Text(`.flash`))
	if err != nil || notice != "Done. No signature is left after it in this queue." {
		t.Errorf("the queue's notice: %q (%v)", notice, err)
	}
	if err := chromedp.Do(ctx, chromedp.WaitVisible(`//p[text()="No signatures match these filters."]`)); err != nil {
		t.Errorf("the queue is not empty: %v", err)
	}
	var published int64
	h.App.Store.Read(t.Context()).Model(&store.Signature{}).Where("status = ?", store.StatusPublished).Count(&published)
	if published != 3 {
		t.Errorf("%d published, want the 3 approved", published)
	}
}
