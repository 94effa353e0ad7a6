package web_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/undersigned/undersigned/pkg/config"
	"github.com/undersigned/undersigned/pkg/signing"
	"github.com/undersigned/undersigned/pkg/store"
	"github.com/undersigned/undersigned/pkg/vault"
	"github.com/undersigned/undersigned/pkg/web/webtest"
)

type letterJSON struct {
	Slug          string `json:"slug"`
	Title         string `json:"title"`
	Total         int64  `json:"total"`
	Organisations int64  `json:"organisations"`
	Individuals   int64  `json:"individuals"`
	Countries     []struct {
		Code          string `json:"code"`
		Name          string `json:"name"`
		Total         int64  `json:"total"`
		Organisations int64  `json:"organisations"`
		Individuals   int64  `json:"individuals"`
	} `json:"countries"`
}

type signatoriesJSON struct {
	Signatories []struct {
		Kind        string `json:"kind"`
		Name        string `json:"name"`
		Affiliation string `json:"affiliation"`
		Website     string `json:"website"`
		Country     string `json:"country"`
		CountryName string `json:"country_name"`
	} `json:"signatories"`
	Page     int  `json:"page"`
	NextPage *int `json:"next_page"`
}

func getJSON[T any](t *testing.T, h *webtest.Harness, path string) T {
	t.Helper()
	res := h.Get(path)
	if res.Status != http.StatusOK {
		t.Fatalf("GET %s: %d %s", path, res.Status, res.Body)
	}
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("GET %s: content type %q", path, ct)
	}
	var v T
	if err := json.Unmarshal([]byte(res.Body), &v); err != nil {
		t.Fatalf("GET %s: %v\n%s", path, err, res.Body)
	}
	return v
}

// signAndConfirm signs with form, follows the mailed link and presses the button.
func signAndConfirm(t *testing.T, h *webtest.Harness, form url.Values) *webtest.Response {
	t.Helper()
	link := mailedConfirmLink(t, h, form)
	if res := h.Get(link); res.Status != http.StatusOK {
		t.Fatalf("GET %s: %d", link, res.Status)
	}
	return h.PostForm(link, nil)
}

// mailedConfirmLink signs with form and returns the confirmation link mailed
// to its address.
func mailedConfirmLink(t *testing.T, h *webtest.Harness, form url.Values) string {
	t.Helper()
	before := len(h.SMTP.Messages())
	h.Sign(form)
	h.DrainOutbox()
	var link string
	for _, m := range h.SMTP.WaitFor(t, before+1, 5*time.Second)[before:] {
		if len(m.To) == 1 && m.To[0] == form.Get("email") {
			link = webtest.ConfirmLink(t, h.URL, m)
		}
	}
	if link == "" {
		t.Fatalf("no mail to %s", form.Get("email"))
	}
	return link
}

func TestSignConfirmAndAppearEndToEnd(t *testing.T) {
	h := webtest.New(t)
	h.Sign(webtest.SignForm("ada@example.org"))

	inbox := h.Get("/letters/" + webtest.LetterSlug + "/check-inbox")
	if inbox.Status != http.StatusOK || !strings.Contains(inbox.Body, "Check your inbox") {
		t.Fatalf("check-inbox page: %d", inbox.Status)
	}
	if sent := h.DrainOutbox(); sent != 1 {
		t.Fatalf("outbox sent %d mails, want 1", sent)
	}
	msg := h.SMTP.WaitFor(t, 1, 5*time.Second)[0]
	if len(msg.To) != 1 || msg.To[0] != "ada@example.org" {
		t.Errorf("mail to %v", msg.To)
	}
	if msg.Subject != "Confirm your signature: Keep encryption strong" {
		t.Errorf("subject = %q", msg.Subject)
	}
	if msg.Text == "" || msg.HTML == "" {
		t.Fatalf("want a text and an HTML part; text %d bytes, HTML %d bytes", len(msg.Text), len(msg.HTML))
	}
	link := webtest.ConfirmLink(t, h.URL, msg)

	// Opening the link changes nothing: it shows a button.
	page := h.Get(link)
	if page.Status != http.StatusOK {
		t.Fatalf("confirm page: %d", page.Status)
	}
	if page.Header.Get("Referrer-Policy") != "no-referrer" {
		t.Errorf("token page Referrer-Policy = %q", page.Header.Get("Referrer-Policy"))
	}
	details := strings.Join(strings.Fields(page.Doc().Find("dl.details").Text()), " ")
	for _, want := range []string{"Ada Lovelace", "Analytical Society", "United Kingdom", "Yes, shown"} {
		if !strings.Contains(details, want) {
			t.Errorf("the confirm page does not show %q: %s", want, details)
		}
	}
	if strings.Contains(page.Body, "ada@example.org") {
		t.Error("the confirm page shows the email address")
	}
	button := page.Doc().Find("form[method=post][action='" + link + "'] button")
	if strings.TrimSpace(button.Text()) != "Confirm my signature" {
		t.Fatalf("no confirm button on the page:\n%s", page.Body)
	}
	if got := getJSON[letterJSON](t, h, "/api/v1/letters/"+webtest.LetterSlug); got.Total != 0 {
		t.Fatalf("total before confirming = %d, want 0", got.Total)
	}

	done := h.PostForm(link, nil)
	if done.Status != http.StatusOK || !strings.Contains(done.Body, "now counts on the letter") {
		t.Fatalf("after confirming: %d\n%s", done.Status, done.Body)
	}

	letter := getJSON[letterJSON](t, h, "/api/v1/letters/"+webtest.LetterSlug)
	if letter.Slug != webtest.LetterSlug || letter.Title != "Keep encryption strong" || letter.Total != 1 ||
		letter.Individuals != 1 || letter.Organisations != 0 || len(letter.Countries) != 1 {
		t.Fatalf("letter JSON = %+v", letter)
	}
	if c := letter.Countries[0]; c.Code != "GB" || c.Name != "United Kingdom" || c.Total != 1 || c.Individuals != 1 {
		t.Errorf("country = %+v", c)
	}
	list := getJSON[signatoriesJSON](t, h, "/api/v1/letters/"+webtest.LetterSlug+"/signatories")
	if len(list.Signatories) != 1 || list.Signatories[0].Name != "Ada Lovelace" ||
		list.Signatories[0].Affiliation != "Analytical Society" || list.Signatories[0].Country != "GB" {
		t.Fatalf("signatories = %+v", list)
	}
	if strings.Contains(h.Get("/api/v1/letters/"+webtest.LetterSlug+"/signatories").Body, "ada@example.org") {
		t.Error("the public API shows the email address")
	}

	doc := h.Get("/letters/" + webtest.LetterSlug).Doc()
	if got := doc.Find("#country-GB .names li").First().Text(); !strings.Contains(got, "Ada Lovelace") {
		t.Errorf("letter page lists %q under GB", got)
	}

	again := h.PostForm(link, nil)
	if again.Status != http.StatusOK || !strings.Contains(again.Body, "already been used") {
		t.Errorf("second press: %d\n%s", again.Status, again.Body)
	}
	if got := getJSON[letterJSON](t, h, "/api/v1/letters/"+webtest.LetterSlug); got.Total != 1 {
		t.Errorf("total after a second press = %d, want 1", got.Total)
	}
}

// TestConfirmPageSendsCorrectionsToTheManageLink opens the confirmation link:
// for a mistake, the page points to the private link that the same mail
// carries, not to writing to the campaign.
func TestConfirmPageSendsCorrectionsToTheManageLink(t *testing.T) {
	h := webtest.New(t)
	h.Sign(webtest.SignForm("ada@example.org"))
	h.DrainOutbox()
	msg := h.SMTP.WaitFor(t, 1, 5*time.Second)[0]
	manageLink(t, h, msg) // the link the page points to is in the mail
	hint := h.Get(webtest.ConfirmLink(t, h.URL, msg)).Doc().Find("p.hint").Text()
	if !strings.Contains(hint, "correct it with the private link in the email we sent you") || strings.Contains(hint, "write to the campaign") {
		t.Errorf("the confirm page's advice on mistakes: %q", hint)
	}
}

func TestOrganisationWaitsForReview(t *testing.T) {
	h := webtest.New(t)
	res := signAndConfirm(t, h, url.Values{"kind": {"organisation"}, "name": {"Open Rights Lab"}, "website": {"openrights.example"},
		"org_type": {"ngo"}, "country": {"DE"}, "contact_name": {"Kim Park"}, "email": {"kim@openrights.example"}, "consent": {"yes"}})
	if !strings.Contains(res.Body, "review") {
		t.Errorf("confirmation page does not mention review:\n%s", res.Body)
	}
	var sig store.Signature
	if err := h.App.Store.Read(t.Context()).First(&sig).Error; err != nil {
		t.Fatal(err)
	}
	if sig.Status != store.StatusPendingReview || sig.ConfirmedAt == nil || sig.Website != "https://openrights.example" {
		t.Errorf("signature: status %s, confirmed %v, website %q", sig.Status, sig.ConfirmedAt, sig.Website)
	}
	if got := getJSON[letterJSON](t, h, "/api/v1/letters/"+webtest.LetterSlug); got.Total != 0 {
		t.Errorf("pending organisation counted: total %d", got.Total)
	}
}

func TestIndividualsNeedReviewWhenTheLetterSaysSo(t *testing.T) {
	h := webtest.New(t, func(c *config.Config) { c.Letters[0].Review = []string{"organisation", "individual"} })
	signAndConfirm(t, h, webtest.SignForm("ada@example.org"))
	if got := getJSON[letterJSON](t, h, "/api/v1/letters/"+webtest.LetterSlug); got.Total != 0 {
		t.Errorf("reviewed individual counted before approval: %d", got.Total)
	}
}

func TestUnnamedIndividualIsCountedButNotNamed(t *testing.T) {
	h := webtest.New(t)
	form := webtest.SignForm("quiet@example.org")
	form.Del("show_name")
	form.Set("name", "Quiet Person")
	signAndConfirm(t, h, form)
	named := webtest.SignForm("ada@example.org")
	signAndConfirm(t, h, named)

	letter := getJSON[letterJSON](t, h, "/api/v1/letters/"+webtest.LetterSlug)
	if letter.Total != 2 || letter.Countries[0].Individuals != 2 {
		t.Errorf("letter = %+v, want 2 individuals from GB", letter)
	}
	body := h.Get("/api/v1/letters/" + webtest.LetterSlug + "/signatories").Body
	if strings.Contains(body, "Quiet Person") {
		t.Error("unnamed signer listed in the API")
	}
	page := h.Get("/letters/" + webtest.LetterSlug)
	if strings.Contains(page.Body, "Quiet Person") {
		t.Error("unnamed signer listed on the page")
	}
	if got := page.Doc().Find("#country-GB .others").Text(); got != "and 1 other person who chose not to be named" {
		t.Errorf("others line = %q", got)
	}
}

func TestExpiredLinkOffersANewOne(t *testing.T) {
	h := webtest.New(t)
	h.Sign(webtest.SignForm("ada@example.org"))
	h.DrainOutbox()
	old := webtest.ConfirmLink(t, h.URL, h.SMTP.Messages()[0])

	h.Clock.Advance(7*24*time.Hour + time.Second)
	page := h.Get(old)
	if page.Status != http.StatusGone || !strings.Contains(page.Body, "expired") {
		t.Fatalf("expired link page: %d\n%s", page.Status, page.Body)
	}
	if res := h.PostForm(old, nil); res.Status != http.StatusGone {
		t.Fatalf("confirming with an expired link: %d, want 410", res.Status)
	}
	if got := getJSON[letterJSON](t, h, "/api/v1/letters/"+webtest.LetterSlug); got.Total != 0 {
		t.Fatalf("expired link confirmed: total %d", got.Total)
	}
	newLink := page.Doc().Find("form[action='" + old + "/resend'] button")
	if newLink.Length() != 1 {
		t.Fatalf("no button for a new link:\n%s", page.Body)
	}
	res := h.PostForm(old+"/resend", nil)
	if res.Status != http.StatusSeeOther {
		t.Fatalf("asking for a new link: %d", res.Status)
	}
	h.DrainOutbox()
	fresh := webtest.ConfirmLink(t, h.URL, h.SMTP.WaitFor(t, 2, 5*time.Second)[1])
	if fresh == old {
		t.Fatal("the new mail carries the old link")
	}
	if res := h.PostForm(fresh, nil); res.Status != http.StatusOK || !strings.Contains(res.Body, "now counts") {
		t.Fatalf("confirming with the new link: %d", res.Status)
	}
}

// TestLinksMailedBeforeLinksCarriedIDsStillWork turns a signer's links into
// the earlier form, 32 random bytes found through legacy_links, as a database
// migrated with mails already out has them: they confirm, manage, and are
// the links mailed again.
func TestLinksMailedBeforeLinksCarriedIDsStillWork(t *testing.T) {
	h := webtest.New(t)
	h.Sign(webtest.SignForm("ada@example.org"))
	h.DrainOutbox()
	mailed := webtest.ConfirmLink(t, h.URL, h.SMTP.WaitFor(t, 1, 5*time.Second)[0])
	if token := strings.TrimPrefix(mailed, "/confirm/"); len(token) != 54 {
		t.Fatalf("mailed link %s: want a 54-character token carrying the id", mailed)
	}
	legacy := map[string]string{
		vault.PurposeToken:  base64.RawURLEncoding.EncodeToString(bytes.Repeat([]byte{1}, 32)),
		vault.PurposeManage: base64.RawURLEncoding.EncodeToString(bytes.Repeat([]byte{2}, 32)),
	}
	err := h.App.Store.Write(context.Background(), func(tx *gorm.DB) error {
		sig, err := store.FindSignature(tx, "status = ?", store.StatusUnconfirmed)
		if err != nil {
			return err
		}
		for purpose, column := range map[string]string{vault.PurposeToken: "token", vault.PurposeManage: "manage"} {
			sealed, err := h.App.Vault.Seal(purpose, legacy[purpose])
			if err != nil {
				return err
			}
			hash := signing.HashToken(legacy[purpose])
			err = tx.Model(sig).Updates(map[string]any{column + "_hash": hash, column + "_sealed": sealed}).Error
			if err == nil {
				err = tx.Create(&store.LegacyLink{Hash: hash, SignatureID: sig.ID}).Error
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if res := h.Get(mailed); res.Status != http.StatusNotFound {
		t.Errorf("the replaced link: %d, want 404", res.Status)
	}
	if res := h.Get("/manage/" + legacy[vault.PurposeManage]); res.Status != http.StatusOK || !strings.Contains(res.Body, "Ada Lovelace") {
		t.Errorf("legacy manage link: %d", res.Status)
	}

	h.Clock.Advance(time.Hour) // past the resend cooldown: signing again mails the link again
	h.Sign(webtest.SignForm("ada@example.org"))
	h.DrainOutbox()
	again := webtest.ConfirmLink(t, h.URL, h.SMTP.WaitFor(t, 2, 5*time.Second)[1])
	if again != "/confirm/"+legacy[vault.PurposeToken] {
		t.Fatalf("the second mail links to %s, want the legacy link", again)
	}
	if res := h.PostForm(again, nil); res.Status != http.StatusOK || !strings.Contains(res.Body, "now counts") {
		t.Fatalf("confirming with the legacy link: %d\n%s", res.Status, res.Body)
	}
}

func TestUnknownLinksGetAnExplainingNotFoundPage(t *testing.T) {
	h := webtest.New(t)
	for _, path := range []string{
		"/confirm/" + strings.Repeat("A", 43), // a well-formed legacy link, unknown
		"/confirm/" + strings.Repeat("A", 54), // as long as a link, but no locator of ours
		"/confirm/not-a-token",
		"/confirm/" + url.PathEscape("<script>"),
	} {
		res := h.Get(path)
		if res.Status != http.StatusNotFound || !strings.Contains(res.Body, "We do not recognise this link") {
			t.Errorf("GET %s: %d\n%s", path, res.Status, res.Body)
		}
		if res := h.PostForm(path, nil); res.Status != http.StatusNotFound {
			t.Errorf("POST %s: %d", path, res.Status)
		}
		if res := h.PostForm(path+"/resend", nil); res.Status != http.StatusNotFound {
			t.Errorf("POST %s/resend: %d", path, res.Status)
		}
	}
}

func TestExpireDeletesUnconfirmedAfterGrace(t *testing.T) {
	h := webtest.New(t)
	h.Sign(webtest.SignForm("ada@example.org"))
	bob := webtest.SignForm("bob@example.org")
	bob.Set("name", "Bob Babbage")
	signAndConfirm(t, h, bob)
	h.Clock.Advance(14*24*time.Hour + time.Minute)
	n, err := h.App.Signing.Expire(t.Context())
	if err != nil || n != 1 {
		t.Fatalf("Expire = %d, %v; want 1 deleted", n, err)
	}
	var left []store.Signature
	if err := h.App.Store.Read(t.Context()).Find(&left).Error; err != nil {
		t.Fatal(err)
	}
	if len(left) != 1 || left[0].Status != store.StatusPublished || left[0].Name != "Bob Babbage" {
		t.Errorf("left %+v, want only the confirmed signature", left)
	}
}

// shareHrefs are the addresses of the share links on a page.
func shareHrefs(res *webtest.Response) []string {
	var hrefs []string
	for _, a := range res.Doc().Find("section.share ul.share-links a").EachIter() {
		href, _ := a.Attr("href")
		hrefs = append(hrefs, href)
	}
	return hrefs
}

func TestThankYouPageInvitesSharingAndShowsTheCount(t *testing.T) {
	h := webtest.New(t)
	thanks := signAndConfirm(t, h, webtest.SignForm("ada@example.org"))
	if thanks.Status != http.StatusOK || !strings.Contains(thanks.Body, "now counts on the letter") {
		t.Fatalf("after confirming: %d\n%s", thanks.Status, thanks.Body)
	}
	if got := strings.TrimSpace(thanks.Doc().Find("p.count").Text()); got != "The letter has 1 signature so far." {
		t.Errorf("count on the thank-you page = %q", got)
	}
	want := shareHrefs(h.Get("/letters/" + webtest.LetterSlug))
	got := shareHrefs(thanks)
	if len(want) == 0 || strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("share links on the thank-you page:\n%v\nwant those of the letter page:\n%v", got, want)
	}
	if strings.Contains(thanks.Body, "<script") || strings.Contains(thanks.Body, "<iframe") || strings.Contains(thanks.Body, "<img") {
		t.Error("the thank-you page loads a script, a frame or an image")
	}

	// In Arabic the count is written as the Arabic letter page writes it.
	link := mailedConfirmLink(t, h, webtest.SignForm("grace@example.org"))
	arabic := h.PostForm(link+"?lang=ar", nil)
	total := strings.TrimSpace(h.Get("/letters/" + webtest.LetterSlug + "?lang=ar").Doc().Find(`strong[data-count="total"]`).Text())
	if count := arabic.Doc().Find("p.count").Text(); total != "٢" || !strings.Contains(count, total) {
		t.Errorf("Arabic thank-you page count %q, want the letter page's %q (٢)", count, total)
	}
}

func TestThankYouPageShowsNoCountDuringAnEmbargo(t *testing.T) {
	h := webtest.New(t, func(c *config.Config) {
		c.Letters[0].PublishAt = time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC) // after the harness's clock
	})
	thanks := signAndConfirm(t, h, webtest.SignForm("ada@example.org"))
	if thanks.Status != http.StatusOK {
		t.Fatalf("after confirming: %d\n%s", thanks.Status, thanks.Body)
	}
	if count := thanks.Doc().Find("p.count"); count.Length() != 0 || strings.Contains(thanks.Body, "so far") {
		t.Errorf("the thank-you page shows a count during the embargo: %q", count.Text())
	}
	if len(shareHrefs(thanks)) == 0 {
		t.Error("the thank-you page offers no share links during the embargo")
	}
}

// TestThankYouPageNeverCountsNobody: the first signer confirms while the
// public view is allowed to lag (live.max_stale); the page does not say the
// letter has 0 signatures beside "your signature now counts".
func TestThankYouPageNeverCountsNobody(t *testing.T) {
	h := webtest.New(t, func(c *config.Config) {
		c.Letters[0].Review = nil
		c.Live.MaxStale = time.Hour
	})
	h.Get("/letters/" + webtest.LetterSlug) // builds the snapshot, empty
	thanks := signAndConfirm(t, h, webtest.SignForm("ada@example.org"))
	if count := thanks.Doc().Find("p.count").Text(); strings.Contains(count, "0 signatures") {
		t.Errorf("the first signer is told the letter has %q", count)
	}
}
