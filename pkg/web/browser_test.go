package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/undersigned/undersigned/pkg/config"
	"github.com/undersigned/undersigned/pkg/store"
	"github.com/undersigned/undersigned/pkg/web/webtest"
)

// TestSignInABrowserAndWatchTheListUpdate signs as a person would, finding
// each field by its label, confirms from the mail received over SMTP, and
// watches a second tab on the letter page show the new name and total without
// reloading.
func TestSignInABrowserAndWatchTheListUpdate(t *testing.T) {
	h := webtest.New(t, func(c *config.Config) { c.Letters[0].Review = nil })
	signer := webtest.Chrome(t)
	watcher, cancel := chromedp.NewContext(signer) // a second tab in the same browser
	defer cancel()
	letterURL := h.URL + "/letters/" + webtest.LetterSlug

	// The watcher opens the letter page and marks the window, so a reload would show.
	err := chromedp.Do(watcher,
		chromedp.Navigate(letterURL),
		chromedp.WaitVisible(chromedp.ID("signatories")),
		chromedp.Evaluate[chromedp.Void](`window.notReloaded = true`),
	)
	if err != nil {
		t.Fatal(err)
	}
	waitForSubscribers(t, h, 1)

	err = chromedp.Do(signer, chromedp.Navigate(letterURL), chromedp.WaitVisible(chromedp.ID("sign")))
	if err != nil {
		t.Fatal(err)
	}
	err = chromedp.Do(signer,
		chromedp.SendKeys(webtest.LabelledField(t, signer, "Full name"), "Grace Hopper"),
		chromedp.SendKeys(webtest.LabelledField(t, signer, "Affiliation"), "Yale University"),
		chromedp.SetValue(webtest.LabelledField(t, signer, "Country"), "US"),
		chromedp.SendKeys(webtest.LabelledField(t, signer, "Email address"), "grace@example.org"),
		chromedp.Click(webtest.LabelledField(t, signer, "Show my name")),
		chromedp.Click(webtest.LabelledField(t, signer, "I have read the privacy notice")),
		chromedp.Click(`//form[contains(@action, "/sign")]//button[@type="submit"]`),
		chromedp.WaitVisible(`//h1[text()="Check your inbox"]`),
	)
	if err != nil {
		t.Fatal(err)
	}

	h.DrainOutbox()
	link := webtest.ConfirmLink(t, h.URL, h.SMTP.WaitFor(t, 1, 5*time.Second)[0])
	err = chromedp.Do(signer,
		chromedp.Navigate(h.URL+link),
		chromedp.Click(`//button[text()="Confirm my signature"]`),
		chromedp.WaitVisible(`//h1[text()="Thank you for signing"]`),
	)
	if err != nil {
		t.Fatal(err)
	}
	confirmed := time.Now()

	// The second tab shows the name and the new total within 2 seconds, without reloading.
	_, err = chromedp.Run(watcher, chromedp.Poll[bool](`
		window.notReloaded === true &&
		(document.querySelector('#country-US [data-list="individual"]') || {}).textContent === "Grace Hopper, Yale University" &&
		(document.querySelector('#country-US h3') || {}).textContent === "United States: 1 signatory" &&
		(document.querySelector('#country-US h4:not([hidden])') || {}).textContent === "Individuals" &&
		(document.querySelector('#country-US h3 a') || {}).getAttribute("href").endsWith("/countries/US") &&
		document.querySelector('[data-count="total"]').textContent === "1" &&
		document.querySelector('[data-plural="totals.signatures"]').textContent === "signature"`,
		chromedp.WithPollingMutation(), chromedp.WithPollingTimeout(2*time.Second)))
	if err != nil {
		html, _ := chromedp.Run(watcher, chromedp.OuterHTML(chromedp.ID("signatories")))
		t.Fatalf("the second tab did not show the new signature within 2s: %v\n%s", err, html)
	}
	t.Logf("the second tab showed the new name %s after the confirmation", time.Since(confirmed).Round(time.Millisecond))

	// The signer, back on the letter, finds the name under the United States.
	if err := chromedp.Do(signer, chromedp.Navigate(letterURL)); err != nil {
		t.Fatal(err)
	}
	text, err := chromedp.Run(signer, chromedp.Poll[string](`(document.querySelector("#country-US") || {}).textContent`,
		chromedp.WithPollingTimeout(5*time.Second)))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text, "Grace Hopper") {
		t.Errorf("the letter page lists under the United States: %q", text)
	}
}

// waitForSubscribers waits until n browsers hold the event stream open.
func waitForSubscribers(t *testing.T, h *webtest.Harness, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for h.App.Live.Subscribers() < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d event streams open, want %d", h.App.Live.Subscribers(), n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestLiveListKeepsToItsRoomAndLinksToTheRest watches the letter page while
// staff approve three organisations from a country new to the list, with
// room for one organisation a country: the page shows the country with one
// name and a "more" line linking to the country's page, as a fresh page
// would, without reloading.
func TestLiveListKeepsToItsRoomAndLinksToTheRest(t *testing.T) {
	h := webtest.New(t, func(c *config.Config) { c.Live.NamesPerCountry = 1 })
	ids := h.SeedPending(3, "US")
	watcher := webtest.Chrome(t)
	err := chromedp.Do(watcher,
		chromedp.Navigate(h.URL+"/letters/"+webtest.LetterSlug),
		chromedp.WaitVisible(chromedp.ID("signatories")),
		chromedp.Evaluate[chromedp.Void](`window.notReloaded = true`),
	)
	if err != nil {
		t.Fatal(err)
	}
	waitForSubscribers(t, h, 1)
	admin := h.LoginAs("admin@campaign.example", store.RoleAdmin)
	approve := url.Values{"action": {"approve"}}
	for _, id := range ids {
		approve.Add("ids", fmt.Sprint(id))
	}
	if res := admin.Post("/admin/signatures/actions", approve); res.Status != http.StatusSeeOther {
		t.Fatalf("approving: %d", res.Status)
	}
	_, err = chromedp.Run(watcher, chromedp.Poll[bool](`
		window.notReloaded === true &&
		document.querySelectorAll('#country-US [data-list="organisation"] li').length === 1 &&
		!document.querySelector('#country-US [data-more]').hidden &&
		document.querySelector('#country-US [data-more] a').textContent === "United States: see all, 2 more" &&
		document.querySelector('#country-US [data-more] a').getAttribute("href").endsWith("/countries/US")`,
		chromedp.WithPollingMutation(), chromedp.WithPollingTimeout(5*time.Second)))
	if err != nil {
		html, _ := chromedp.Run(watcher, chromedp.OuterHTML(chromedp.ID("signatories")))
		t.Fatalf("the page did not keep to one name with a link to the rest: %v\n%s", err, html)
	}
}

// TestWriteALetterInABrowser logs in, follows "Letters" then "New letter",
// fills the form by the labels a person reads, watches the live preview
// render the Markdown typed into the body, and saves the draft, landing on
// the letter's console page.
func TestWriteALetterInABrowser(t *testing.T) {
	h := webtest.New(t)
	h.AddStaff("admin@campaign.example", store.RoleAdmin)
	ctx := webtest.Chrome(t)
	// Each step finds its fields by label once the page before it is shown.
	if err := chromedp.Do(ctx, chromedp.Navigate(h.URL+"/admin/login")); err != nil {
		t.Fatal(err)
	}
	err := chromedp.Do(ctx,
		chromedp.SendKeys(webtest.LabelledField(t, ctx, "Email address"), "admin@campaign.example"),
		chromedp.SendKeys(webtest.LabelledField(t, ctx, "Password"), webtest.StaffPassword),
		chromedp.Click(`//button[text()="Log in"]`),
		chromedp.WaitVisible(`//nav[@class="console-nav"]`),
		chromedp.Click(`//nav[@class="console-nav"]//a[text()="Letters"]`),
		chromedp.WaitVisible(`//h1[text()="Letters"]`),
		chromedp.Click(`//a[text()="New letter"]`),
		chromedp.WaitVisible(`//h1[text()="New letter"]`),
	)
	if err != nil {
		t.Fatal(err)
	}
	err = chromedp.Do(ctx,
		chromedp.SendKeys(webtest.LabelledField(t, ctx, "Address"), "protect-encryption"),
		chromedp.SendKeys(webtest.LabelledField(t, ctx, "Title"), "Protect encryption"),
		chromedp.SendKeys(webtest.LabelledField(t, ctx, "Recipients"), "To the leaders of the world's governments"),
		chromedp.SendKeys(webtest.LabelledField(t, ctx, "Text of the letter"), "We ask you to keep encryption **strong**."),
	)
	if err != nil {
		t.Fatal(err)
	}
	preview, err := chromedp.Run(ctx, chromedp.Poll[string](`(document.querySelector("#letter-preview strong") || {}).textContent`,
		chromedp.WithPollingTimeout(10*time.Second)))
	if err != nil || preview != "strong" {
		html, _ := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.ID("letter-preview")))
		t.Fatalf("the live preview did not render the body: %q %v\n%s", preview, err, html)
	}
	err = chromedp.Do(ctx,
		chromedp.Click(`//button[text()="Save draft"]`),
		chromedp.WaitVisible(`//h1[text()="Protect encryption"]`),
	)
	if err != nil {
		t.Fatal(err)
	}
	letter, ok := h.App.Letters.BySlug("protect-encryption")
	if !ok {
		t.Fatal("the letter was not stored")
	}
	location, err := chromedp.Run(ctx, chromedp.Location())
	if want := h.URL + fmt.Sprintf("/admin/letters/%d?created=1", letter.ID); err != nil || location != want {
		t.Errorf("landed on %q, want %q (%v)", location, want, err)
	}
}
