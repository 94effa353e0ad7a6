package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/undersigned/undersigned/pkg/config"
	"github.com/undersigned/undersigned/pkg/store"
	"github.com/undersigned/undersigned/pkg/web/webtest"
)

// rawID finds text that looks like a message id left untranslated.
var rawID = regexp.MustCompile(`\b(?:admin|sign|field|error|org_type|confirm|check_inbox|resend|link_unknown|privacy|mail|totals|signatories|layout|form|common|kind|status|role|manage|withdrawn|unsubscribe|embed|share|country|month|format|language)\.[a-z0-9_]+(?:\.[a-z0-9_]+)*\b`)

func TestEveryPageInEveryLanguage(t *testing.T) {
	h := webtest.New(t)
	langs := h.App.Web.Languages()
	if len(langs) < 6 {
		t.Fatalf("%d languages loaded, want English, French, Spanish, German, Portuguese and Arabic", len(langs))
	}
	signAndConfirm(t, h, webtest.SignForm("ada@example.org"))
	h.Sign(webtest.SignForm("grace@example.org"))
	h.DrainOutbox()
	link := webtest.ConfirmLink(t, h.URL, h.SMTP.Messages()[len(h.SMTP.Messages())-1])
	manage := manageLink(t, h, h.SMTP.Messages()[0])
	admin := h.LoginAs("admin@campaign.example", store.RoleAdmin)
	letter := "/letters/" + webtest.LetterSlug
	preview := admin.Upload("/admin/imports", url.Values{"letter": {webtest.LetterSlug}}, "file", "people.csv",
		[]byte("name,email,country\nAda Import,ada-import@example.org,GB\nBea,bad,XX\n")).Header.Get("Location")
	unsubscribe, err := h.App.Vault.UnsubscribeLink(signatureByName(t, h, "Ada Lovelace").ID)
	if err != nil {
		t.Fatal(err)
	}
	pages := map[string]string{}
	for _, lang := range langs {
		public := map[string]*webtest.Response{
			letter:                    h.Get(letter + "?lang=" + lang),
			letter + "?kind=org":      h.Get(letter + "?kind=organisation&lang=" + lang),
			letter + "/countries/GB":  h.Get(letter + "/countries/GB?lang=" + lang),
			letter + "/check-inbox":   h.Get(letter + "/check-inbox?lang=" + lang),
			letter + "/resend":        h.Get(letter + "/resend?lang=" + lang),
			link:                      h.Get(link + "?lang=" + lang),
			manage:                    h.Get(manage + "?lang=" + lang),
			"/privacy":                h.Get("/privacy?lang=" + lang),
			"/nowhere (404)":          h.Get("/nowhere?lang=" + lang),
			"/admin":                  admin.Get("/admin?lang=" + lang),
			"/admin/audit":            admin.Get("/admin/audit?lang=" + lang),
			"/admin/abuse":            admin.Get("/admin/abuse?lang=" + lang),
			"/admin/staff":            admin.Get("/admin/staff?lang=" + lang),
			"/admin/imports":          admin.Get("/admin/imports?lang=" + lang),
			"/admin/imports/{id}":     admin.Get(preview + "?lang=" + lang),
			"/admin/mail":             admin.Get("/admin/mail?lang=" + lang),
			"/admin/export":           admin.Get("/admin/export?lang=" + lang),
			"/admin/letters/1/update": admin.Get("/admin/letters/1/update?lang=" + lang),
			"/unsubscribe/{token}":    h.Get("/unsubscribe/" + unsubscribe + "?lang=" + lang),
			letter + "/embed":         h.Get(letter + "/embed?lang=" + lang),
			"/admin/login":            h.Get("/admin/login?lang=" + lang),
		}
		for name, res := range public {
			doc := res.Doc()
			if got, _ := doc.Find("html").Attr("lang"); got != lang {
				t.Errorf("%s in %s: <html lang=%q>", name, lang, got)
			}
			wantDir := "ltr"
			if lang == "ar" {
				wantDir = "rtl"
			}
			if got, _ := doc.Find("html").Attr("dir"); got != wantDir {
				t.Errorf("%s in %s: dir=%q, want %s", name, lang, got, wantDir)
			}
			if raw := rawID.FindString(doc.Find("body").Text()); raw != "" {
				t.Errorf("%s in %s shows the message id %q", name, lang, raw)
			}
			pages["GET "+name+" ["+lang+"]"] = res.Body
		}
	}
	webtest.CheckHTML(t, pages)
}

func TestLanguageChoice(t *testing.T) {
	h := webtest.New(t, func(c *config.Config) {
		c.Letters[0].Lang = "fr"
		c.Letters[0].Translations = map[string]config.LetterText{"en": {Title: "Keep encryption strong (EN)", Body: "English text."}}
		c.Letters[0].Title = "Gardons un chiffrement fort"
	})
	letter := "/letters/" + webtest.LetterSlug
	lang := func(res *webtest.Response) string { l, _ := res.Doc().Find("html").Attr("lang"); return l }

	if got := lang(h.Get(letter)); got != "fr" {
		t.Errorf("no preference: page in %q, want the letter's own language fr", got)
	}
	if got := lang(h.Get(letter, "Accept-Language", "de-CH, de;q=0.9, en;q=0.5")); got != "de" {
		t.Errorf("Accept-Language German: %q", got)
	}
	b := h.NewBrowser()
	res := b.Get(letter + "?lang=es")
	if lang(res) != "es" || !strings.Contains(strings.Join(res.Header.Values("Set-Cookie"), ";"), "lang=es") {
		t.Errorf("explicit choice: %q, cookies %v", lang(res), res.Header.Values("Set-Cookie"))
	}
	if got := lang(b.Get("/privacy")); got != "es" {
		t.Errorf("the choice was not remembered: %q", got)
	}
	doc := h.Get(letter + "?lang=en").Doc()
	if doc.Find("h1").Text() != "Keep encryption strong (EN)" {
		t.Errorf("English reader sees %q", doc.Find("h1").Text())
	}
	if versions := doc.Find(".versions").Text(); !strings.Contains(versions, "English") || !strings.Contains(versions, "français") {
		t.Errorf("versions line: %q", versions)
	}
	if n := doc.Find(`link[rel="alternate"][hreflang]`).Length(); n < 7 {
		t.Errorf("%d hreflang alternates", n)
	}
	// One list for every version; each signature keeps its language, and its mail speaks it.
	form := webtest.SignForm("ada@example.org")
	res = h.PostForm(letter+"/sign?lang=pt", form)
	if res.Status != http.StatusSeeOther {
		t.Fatalf("sign in Portuguese: %d", res.Status)
	}
	h.DrainOutbox()
	var sig store.Signature
	h.App.Store.Read(t.Context()).First(&sig)
	if sig.Locale != "pt" {
		t.Errorf("signature recorded locale %q", sig.Locale)
	}
	if subject := h.SMTP.Messages()[0].Subject; !strings.HasPrefix(subject, "Confirme sua assinatura") {
		t.Errorf("the mail to a Portuguese signer is in English: %q", subject)
	}
}
