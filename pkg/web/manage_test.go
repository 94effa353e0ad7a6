package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/undersigned/undersigned/pkg/config"
	"github.com/undersigned/undersigned/pkg/mail/mailtest"
	"github.com/undersigned/undersigned/pkg/store"
	"github.com/undersigned/undersigned/pkg/web/webtest"
)

// manageLink finds the manage link in a mail, in both parts.
func manageLink(t *testing.T, h *webtest.Harness, m mailtest.Message) string {
	t.Helper()
	i := strings.Index(m.Text, h.URL+"/manage/")
	if i < 0 {
		t.Fatalf("no manage link in %q:\n%s", m.Subject, m.Text)
	}
	link := strings.Fields(m.Text[i:])[0]
	if !strings.Contains(m.HTML, `href="`+link+`"`) {
		t.Fatalf("the HTML part lacks the manage link")
	}
	return strings.TrimPrefix(link, h.URL)
}

func TestEveryMailCarriesTheManageLink(t *testing.T) {
	h := webtest.New(t)
	signAndConfirm(t, h, orgForm("Open Rights Lab", "https://openrights.example", "kim@openrights.example", "DE"))
	b := h.LoginAs("mod@campaign.example", store.RoleModerator)
	decide(t, b, "approve", []uint64{signatureByName(t, h, "Open Rights Lab").ID})
	h.DrainOutbox()
	msgs := h.SMTP.Messages()
	if len(msgs) != 2 {
		t.Fatalf("%d mails", len(msgs))
	}
	if manageLink(t, h, msgs[0]) != manageLink(t, h, msgs[1]) {
		t.Error("the confirmation and publication mails carry different manage links")
	}
	if !strings.Contains(msgs[0].Text, "Hello Kim Park") {
		t.Errorf("an organisation's mail should greet its contact:\n%s", msgs[0].Text)
	}
}

func TestSignerCorrectsTheirDetails(t *testing.T) {
	h := webtest.New(t)
	signAndConfirm(t, h, webtest.SignForm("ada@example.org"))
	link := manageLink(t, h, h.SMTP.Messages()[0])
	page := h.Get(link)
	if page.Status != http.StatusOK || page.Header.Get("Referrer-Policy") != "no-referrer" {
		t.Fatalf("manage page: %d", page.Status)
	}
	checkPageBasics(t, link, page)
	if v, _ := page.Doc().Find("#f-name").Attr("value"); v != "Ada Lovelace" {
		t.Errorf("name field = %q", v)
	}
	bad := h.PostForm(link, url.Values{"name": {""}, "country": {"FR"}})
	if bad.Status != http.StatusUnprocessableEntity || bad.Doc().Find("#f-name-error").Text() == "" {
		t.Errorf("empty name: %d", bad.Status)
	}
	// Corrects the name and chooses not to be named any more.
	res := h.PostForm(link, url.Values{"name": {"Ada King"}, "affiliation": {""}, "country": {"FR"}})
	if res.Status != http.StatusSeeOther {
		t.Fatalf("correct: %d", res.Status)
	}
	got := totals(t, h)
	if got.Total != 1 || got.Countries[0].Code != "FR" {
		t.Errorf("counts after moving country: %+v", got)
	}
	if body := h.Get("/api/v1/letters/" + webtest.LetterSlug + "/signatories").Body; strings.Contains(body, "Ada") {
		t.Errorf("a signer who chose not to be named is still listed: %s", body)
	}
	if !strings.Contains(h.Get(link+"?saved=1").Body, "Your corrections are saved") {
		t.Error("no confirmation of the save")
	}
}

func TestReviewedSignatureGoesBackToReviewWhenCorrected(t *testing.T) {
	h := webtest.New(t)
	signAndConfirm(t, h, orgForm("Open Rights Lab", "https://openrights.example", "kim@openrights.example", "DE"))
	b := h.LoginAs("mod@campaign.example", store.RoleModerator)
	decide(t, b, "approve", []uint64{signatureByName(t, h, "Open Rights Lab").ID})
	h.DrainOutbox()
	link := manageLink(t, h, h.SMTP.Messages()[0])
	res := h.PostForm(link, url.Values{"name": {"Totally Different Corp"}, "website": {"https://different.example"}, "org_type": {"company"}, "country": {"DE"}})
	if res.Status != http.StatusSeeOther {
		t.Fatalf("correct: %d", res.Status)
	}
	if sig := signatureByName(t, h, "Totally Different Corp"); sig.Status != store.StatusPendingReview {
		t.Errorf("status after correcting a reviewed signature: %s", sig.Status)
	}
	if got := totals(t, h); got.Total != 0 {
		t.Errorf("still counted while back in review: %d", got.Total)
	}
}

func TestWithdrawalErasesPersonalData(t *testing.T) {
	h := webtest.New(t)
	signAndConfirm(t, h, webtest.SignForm("ada@example.org"))
	link := manageLink(t, h, h.SMTP.Messages()[0])
	if res := h.PostForm(link+"/withdraw", url.Values{}); res.Status != http.StatusUnprocessableEntity {
		t.Errorf("withdraw without ticking the box: %d", res.Status)
	}
	res := h.PostForm(link+"/withdraw", url.Values{"sure": {"yes"}})
	if res.Status != http.StatusOK || !strings.Contains(res.Body, "withdrawn") {
		t.Fatalf("withdraw: %d", res.Status)
	}
	if got := totals(t, h); got.Total != 0 {
		t.Errorf("total after withdrawal: %d", got.Total)
	}
	var sig store.Signature
	if err := h.App.Store.Read(t.Context()).First(&sig).Error; err != nil {
		t.Fatal(err)
	}
	if sig.Status != store.StatusWithdrawn || sig.Name != "" || sig.Affiliation != "" || sig.EmailSealed != nil ||
		sig.ManageSealed != nil || sig.NetworkHash != "" || strings.Contains(sig.EmailHash, "@") || len(sig.EmailHash) == 64 {
		t.Errorf("withdrawn row still holds personal data: %+v", sig)
	}
	var jobs int64
	h.App.Store.Read(t.Context()).Model(&store.MailJob{}).Count(&jobs)
	if jobs != 0 {
		t.Errorf("%d mail jobs left for a withdrawn signature", jobs)
	}
	if res := h.Get(link); res.Status != http.StatusNotFound {
		t.Errorf("the manage link still works after withdrawal: %d", res.Status)
	}
	// The address may sign again.
	h.Clock.Advance(10 * time.Minute)
	signAndConfirm(t, h, webtest.SignForm("ada@example.org"))
	if got := totals(t, h); got.Total != 1 {
		t.Errorf("signing again after withdrawal: total %d", got.Total)
	}
}

func TestWithdrawingAnUnconfirmedSignatureDeletesIt(t *testing.T) {
	h := webtest.New(t, func(c *config.Config) {})
	h.Sign(webtest.SignForm("ada@example.org"))
	h.DrainOutbox()
	link := manageLink(t, h, h.SMTP.Messages()[0])
	if res := h.PostForm(link+"/withdraw", url.Values{"sure": {"yes"}}); res.Status != http.StatusOK {
		t.Fatalf("withdraw: %d", res.Status)
	}
	if n := countSignatures(t, h); n != 0 {
		t.Errorf("%d signatures left", n)
	}
	if res := h.Get("/manage/" + strings.Repeat("A", 43)); res.Status != http.StatusNotFound {
		t.Errorf("unknown manage link: %d", res.Status)
	}
}
