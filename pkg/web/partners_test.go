package web_test

import (
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/undersigned/undersigned/pkg/config"
	"github.com/undersigned/undersigned/pkg/store"
	"github.com/undersigned/undersigned/pkg/web/webtest"
)

// withFrench gives the harness letter a French text, so its page has a
// language switch.
func withFrench(cfg *config.Config) {
	cfg.Letters[0].Translations = map[string]config.LetterText{
		"fr": {Title: "Gardons un chiffrement fort", Body: "Nous demandons :\n\n1. Un chiffrement fort.\n"},
	}
}

// addPartner registers a partner of the harness letter as admin and
// returns its private link's path, shown once on the page that answers.
func addPartner(t *testing.T, admin *webtest.Browser, letterID uint, name, code string) string {
	t.Helper()
	res := admin.Post("/admin/letters/"+strconv.FormatUint(uint64(letterID), 10)+"/partners",
		url.Values{"name": {name}, "code": {code}, "website": {"https://" + code + ".example.org"}})
	if res.Status != http.StatusOK {
		t.Fatalf("add partner %s: %d\n%s", code, res.Status, res.Body)
	}
	return privateLink(t, res)
}

// privateLink is the partner's private link a console page shows, as a path.
func privateLink(t *testing.T, res *webtest.Response) string {
	t.Helper()
	link := strings.TrimSpace(res.Doc().Find("code.partner-link").Text())
	u, err := url.Parse(link)
	if err != nil || !strings.HasPrefix(u.Path, "/partners/") {
		t.Fatalf("no private link on the page: %q", link)
	}
	return u.Path
}

// hiddenSource is the source the sign form on a letter page carries in its
// hidden fields.
func hiddenSource(doc *goquery.Document) url.Values {
	out := url.Values{}
	for _, name := range []string{"ref", "utm_source", "utm_medium", "utm_campaign"} {
		if v, ok := doc.Find(`form input[type=hidden][name="` + name + `"]`).Attr("value"); ok {
			out.Set(name, v)
		}
	}
	return out
}

// TestPartnerSourceFollowsTheSignature signs through a partner's link
// with a campaign tag, after switching the page's language and kind, and
// through a code no partner has: the queue, the signature page, the export
// and the console's table of sources show each source, and the partner's
// private page counts its referral without naming anyone.
func TestPartnerSourceFollowsTheSignature(t *testing.T) {
	h := webtest.New(t, withFrench)
	letter, _ := h.App.Letters.BySlug(webtest.LetterSlug)
	admin := h.LoginAs("admin@example.org", store.RoleAdmin)
	partnerPage := addPartner(t, admin, letter.ID, "Electronic Frontier Foundation", "eff")

	page := h.Get("/letters/" + webtest.LetterSlug + "?ref=eff&utm_source=newsletter")
	want := url.Values{"ref": {"eff"}, "utm_source": {"newsletter"}}
	var french string
	page.Doc().Find(".versions a[hreflang=fr]").Each(func(_ int, s *goquery.Selection) { french, _ = s.Attr("href") })
	if french == "" {
		t.Fatalf("no language switch on the letter page")
	}
	frenchPage := h.Get(french).Doc()
	if got := hiddenSource(frenchPage); got.Encode() != want.Encode() {
		t.Errorf("source after the language switch (%s): %v, want %v", french, got, want)
	}
	orgSwitch, _ := frenchPage.Find(`a[href*="kind=organisation"]`).Attr("href")
	if got := hiddenSource(h.Get(orgSwitch).Doc()); got.Encode() != want.Encode() {
		t.Errorf("source after the kind switch (%s): %v, want %v", orgSwitch, got, want)
	}

	viaPartner := webtest.SignForm("ada@example.org")
	for k, v := range hiddenSource(frenchPage) {
		viaPartner[k] = v
	}
	signAndConfirm(t, h, viaPartner)
	other := webtest.SignForm("bea@example.org")
	other.Set("name", "Bea Other")
	other.Set("ref", "zine")
	signAndConfirm(t, h, other)

	mod := h.LoginAs("mod@example.org", store.RoleModerator)
	queue := mod.Get("/admin?status=published").Body
	for _, s := range []string{"Electronic Frontier Foundation · utm_source=newsletter", "other: zine"} {
		if !strings.Contains(queue, s) {
			t.Errorf("the queue lacks the source %q", s)
		}
	}
	sig := signatureByName(t, h, "Ada Lovelace")
	source := mod.Get("/admin/signatures/" + strconv.FormatUint(sig.ID, 10)).Doc().Find("dd.source").Text()
	if source != "Electronic Frontier Foundation · utm_source=newsletter" {
		t.Errorf("the signature page's source: %q", source)
	}

	rows := csvRows(t, mod.Post("/admin/export", url.Values{"letter": {""}}))
	col := func(name string) int { return slices.Index(rows[0], name) }
	got := map[string][]string{}
	for _, r := range rows[1:] {
		got[r[col("name")]] = []string{r[col("source")], r[col("utm_source")]}
	}
	if !slices.Equal(got["Ada Lovelace"], []string{"Electronic Frontier Foundation", "newsletter"}) ||
		!slices.Equal(got["Bea Other"], []string{"other: zine", ""}) {
		t.Errorf("the export's sources: %v", got)
	}

	var sources []string
	mod.Get("/admin/letters/" + strconv.FormatUint(uint64(letter.ID), 10)).Doc().Find("table.sources td").Each(func(_ int, s *goquery.Selection) {
		sources = append(sources, s.Text())
	})
	if !slices.Equal(sources, []string{"Electronic Frontier Foundation", "1", "1", "other: zine", "1", "1"}) {
		t.Errorf("the console's sources: %q", sources)
	}

	// Each source's row leads to its numbers over time, page and CSV.
	sourceLink, _ := mod.Get("/admin/letters/" + strconv.FormatUint(uint64(letter.ID), 10)).Doc().Find("table.sources a").First().Attr("href")
	hist := mod.Get(sourceLink).Doc()
	if !strings.Contains(hist.Find(".history-source").Text(), "Electronic Frontier Foundation") || hist.Find("table.history tbody tr td").Last().Text() != "1" {
		t.Errorf("the history of the partner's source (%s): %q, total %q", sourceLink, hist.Find(".history-source").Text(),
			hist.Find("table.history tbody tr td").Last().Text())
	}
	csvLink, _ := hist.Find(`a[href*=".csv"]`).Attr("href")
	if rows := csvRows(t, mod.Get(csvLink)); len(rows) != 2 || rows[1][3] != "1" {
		t.Errorf("the CSV of the partner's source (%s): %q", csvLink, rows)
	}
	all := mod.Get("/admin/letters/" + strconv.FormatUint(uint64(letter.ID), 10) + "/history").Doc()
	if all.Find(".history-source").Length() != 0 || all.Find("table.history tbody tr td").Last().Text() != "2" {
		t.Errorf("the letter's history: total %q", all.Find("table.history tbody tr td").Last().Text())
	}

	res := h.Get(partnerPage)
	confirmed := res.Doc().Find(`[data-referrals="confirmed"]`).Text()
	total := res.Doc().Find(`[data-total="letter"]`).Text()
	if res.Status != http.StatusOK || confirmed != "1" || total != "2" {
		t.Errorf("the partner's page: %d, referrals %q, total %q", res.Status, confirmed, total)
	}
	// Over time: the partner's one referral, on the day it was published,
	// as a chart and as a table of the same figures.
	doc := res.Doc()
	if title, _ := doc.Find("svg.history-chart title").Html(); title == "" || doc.Find("table.history tbody tr").Length() != 1 ||
		doc.Find("table.history tbody tr td").Last().Text() != "1" {
		t.Errorf("the partner's page over time: chart %q, table %q", title, doc.Find("table.history tbody").Text())
	}
	for _, personal := range []string{"Ada", "ada@example.org", "Bea", "zine"} {
		if strings.Contains(res.Body, personal) {
			t.Errorf("the partner's page shows %q", personal)
		}
	}
}

// TestPartnerLinksAndRoles checks that admins register partners and rotate
// their links, the old link then not found, and that moderators see the
// partners, their share links and embed codes but may change nothing.
func TestPartnerLinksAndRoles(t *testing.T) {
	h := webtest.New(t)
	letter, _ := h.App.Letters.BySlug(webtest.LetterSlug)
	console := "/admin/letters/" + strconv.FormatUint(uint64(letter.ID), 10)
	admin := h.LoginAs("admin@example.org", store.RoleAdmin)
	old := addPartner(t, admin, letter.ID, "Access Now", "access-now")

	if res := admin.Post(console+"/partners", url.Values{"name": {"Again"}, "code": {"access-now"}}); res.Status != http.StatusUnprocessableEntity ||
		res.Doc().Find(`#f-code[aria-invalid][aria-describedby~="f-code-error"]`).Length() != 1 ||
		res.Doc().Find(`#f-name`).AttrOr("value", "") != "Again" {
		t.Errorf("a code taken twice: %d, want 422 with the error beside the code and the name kept", res.Status)
	}
	if res := admin.Post(console+"/partners", url.Values{"name": {"Bad"}, "code": {"Not a slug"}}); res.Status != http.StatusUnprocessableEntity {
		t.Errorf("a code that is no slug: %d, want 422", res.Status)
	}

	mod := h.LoginAs("mod@example.org", store.RoleModerator)
	page := mod.Get(console)
	share := page.Doc().Find("table.partners code.share-link").Text()
	embed := page.Doc().Find("table.partners textarea").Text()
	if share != h.URL+"/letters/"+webtest.LetterSlug+"?ref=access-now" || !strings.Contains(embed, "/embed?ref=access-now") {
		t.Errorf("share link %q, embed code %q", share, embed)
	}
	if page.Doc().Find(`form[action$="/partners"]`).Length() != 0 {
		t.Error("a moderator is offered the form that adds a partner")
	}
	if res := mod.Post(console+"/partners", url.Values{"name": {"Mod"}, "code": {"mod"}}); res.Status != http.StatusForbidden {
		t.Errorf("a moderator adding a partner: %d, want 403", res.Status)
	}
	rotate, _ := page.Doc().Find(`table.partners form`).Attr("action")
	if rotate == "" {
		rotate, _ = admin.Get(console).Doc().Find(`table.partners form`).Attr("action")
	}
	if res := mod.Post(rotate, nil); res.Status != http.StatusForbidden {
		t.Errorf("a moderator rotating a link: %d, want 403", res.Status)
	}
	if embedPage := h.Get("/letters/" + webtest.LetterSlug + "/embed?ref=access-now"); !strings.Contains(embedPage.Body, "?ref=access-now#sign") {
		t.Error("the embedded counter's sign link drops the partner's code")
	}

	if res := h.Get(old); res.Status != http.StatusOK {
		t.Fatalf("the private link before rotating: %d", res.Status)
	}
	res := admin.Post(rotate, nil)
	if res.Status != http.StatusOK {
		t.Fatalf("rotate: %d", res.Status)
	}
	fresh := privateLink(t, res)
	if got := h.Get(old).Status; got != http.StatusNotFound {
		t.Errorf("the old private link after rotating: %d, want 404", got)
	}
	if got := h.Get(fresh).Status; got != http.StatusOK || fresh == old {
		t.Errorf("the new private link: %d (old %s, new %s)", got, old, fresh)
	}
	audit := admin.Get("/admin/audit?letter=" + webtest.LetterSlug).Body
	for _, action := range []string{"partner.add", "partner.link"} {
		if !strings.Contains(audit, action) || strings.Contains(audit, strings.TrimPrefix(fresh, "/partners/")) {
			t.Errorf("the audit log lacks %s, or shows the private link", action)
		}
	}
}

// TestPartnerContactConsent: only a signer a partner's link brought is
// offered the box that lets that partner contact them, unticked. The
// choice is stored with its text's version, shown in the export, and an
// admin (not a moderator) downloads the partner's contacts, audited: only
// those who ticked it, with their addresses. A code no partner has records
// no consent, even when the box is posted.
func TestPartnerContactConsent(t *testing.T) {
	h := webtest.New(t)
	letter, _ := h.App.Letters.BySlug(webtest.LetterSlug)
	console := "/admin/letters/" + strconv.FormatUint(uint64(letter.ID), 10)
	admin := h.LoginAs("admin@example.org", store.RoleAdmin)
	addPartner(t, admin, letter.ID, "Electronic Frontier Foundation", "eff")

	box := `input[type=checkbox][name="partner_contact"]`
	page := h.Get("/letters/" + webtest.LetterSlug + "?ref=eff").Doc()
	label := page.Find(`label[for="` + page.Find(box).AttrOr("id", "-") + `"]`).Text()
	if page.Find(box).Length() != 1 || page.Find(box+"[checked]").Length() != 0 || !strings.Contains(label, "Electronic Frontier Foundation") {
		t.Errorf("a partner's link: %d boxes, label %q; want one, unticked, naming the partner", page.Find(box).Length(), label)
	}
	for _, path := range []string{"", "?ref=zine", "?kind=organisation&ref=zine"} {
		if n := h.Get("/letters/" + webtest.LetterSlug + path).Doc().Find(box).Length(); n != 0 {
			t.Errorf("the page at %q offers the partner box", path)
		}
	}

	sign := func(name, email, ref string, contact bool) {
		f := individualForm(name, email)
		f.Set("ref", ref)
		if contact {
			f.Set("partner_contact", "on")
		}
		signAndConfirm(t, h, f)
	}
	sign("Ada Lovelace", "ada@example.org", "eff", true)
	sign("Bea Other", "bea@example.org", "eff", false)
	sign("Cid Zine", "cid@example.org", "zine", true)

	ada := signatureByName(t, h, "Ada Lovelace")
	if ada.PartnerContactID == nil || ada.PartnerContactVersion != h.App.Config.Signing.PartnerConsentVersion || ada.PartnerContactAt == nil {
		t.Errorf("Ada's consent: %v %q %v", ada.PartnerContactID, ada.PartnerContactVersion, ada.PartnerContactAt)
	}
	for _, name := range []string{"Bea Other", "Cid Zine"} {
		if sig := signatureByName(t, h, name); sig.PartnerContactID != nil || sig.PartnerContactVersion != "" {
			t.Errorf("%s has a partner consent: %v %q", name, sig.PartnerContactID, sig.PartnerContactVersion)
		}
	}

	rows := csvRows(t, admin.Post("/admin/export", url.Values{"letter": {""}}))
	col := func(name string) int { return slices.Index(rows[0], name) }
	consents := map[string]string{}
	for _, r := range rows[1:] {
		consents[r[col("name")]] = r[col("partner_contact")] + " " + r[col("partner_contact_version")]
	}
	want := map[string]string{"Ada Lovelace": "true " + h.App.Config.Signing.PartnerConsentVersion, "Bea Other": "false ", "Cid Zine": "false "}
	if !maps.Equal(consents, want) {
		t.Errorf("the export's partner consents: %v, want %v", consents, want)
	}

	contacts, _ := admin.Get(console).Doc().Find(`table.partners form[action$="/contacts"]`).Attr("action")
	if contacts == "" {
		t.Fatal("the console offers no contacts export")
	}
	mod := h.LoginAs("mod@example.org", store.RoleModerator)
	if res := mod.Post(contacts, nil); res.Status != http.StatusForbidden {
		t.Errorf("a moderator exporting a partner's contacts: %d, want 403", res.Status)
	}
	if res := admin.Post(console+"/partners/999/contacts", nil); res.Status != http.StatusNotFound {
		t.Errorf("the contacts of a partner the letter lacks: %d, want 404", res.Status)
	}
	if n := len(auditEvents(t, h, "partner.contacts_export")); n != 0 {
		t.Errorf("refused exports were audited %d times", n)
	}
	res := admin.Post(contacts, nil)
	rows = csvRows(t, res)
	col = func(name string) int { return slices.Index(rows[0], name) }
	if len(rows) != 2 || rows[1][col("name")] != "Ada Lovelace" || rows[1][col("email")] != "ada@example.org" ||
		rows[1][col("partner_contact_version")] != h.App.Config.Signing.PartnerConsentVersion {
		t.Errorf("the partner's contacts: %q", rows)
	}
	if cc := res.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("the contacts export's Cache-Control: %q", cc)
	}
	events := auditEvents(t, h, "partner.contacts_export")
	if len(events) != 1 || events[0].StaffEmail != "admin@example.org" || !strings.Contains(events[0].Subject, "eff") {
		t.Errorf("the contacts export's audit: %+v", events)
	}
}

// TestSignerSetsConsentsOnTheManagePage: a signer's manage page shows
// their choices to be contacted as they stand (the partner's box only for
// those a partner's link brought); unticking both unsubscribes them and
// takes them out of the partner's contacts, audited, and ticking both
// again gives them anew.
func TestSignerSetsConsentsOnTheManagePage(t *testing.T) {
	h := webtest.New(t)
	letter, _ := h.App.Letters.BySlug(webtest.LetterSlug)
	admin := h.LoginAs("admin@example.org", store.RoleAdmin)
	addPartner(t, admin, letter.ID, "Electronic Frontier Foundation", "eff")
	f := individualForm("Ada Lovelace", "ada@example.org")
	f.Set("ref", "eff")
	f.Set("keep_informed", "on")
	f.Set("partner_contact", "on")
	signAndConfirm(t, h, f)
	signAndConfirm(t, h, individualForm("Bea Direct", "bea@example.org"))
	h.DrainOutbox()
	links := map[string]string{}
	for _, m := range h.SMTP.Messages() {
		if strings.Contains(m.Text, "/manage/") {
			links[m.To[0]] = manageLink(t, h, m)
		}
	}

	boxes := func(link string) map[string]bool {
		out := map[string]bool{}
		h.Get(link).Doc().Find(`form[action$="/consents"] input[type=checkbox]`).Each(func(_ int, s *goquery.Selection) {
			_, on := s.Attr("checked")
			out[s.AttrOr("name", "")] = on
		})
		return out
	}
	ada := links["ada@example.org"]
	if got := boxes(ada); !maps.Equal(got, map[string]bool{"keep_informed": true, "partner_contact": true}) {
		t.Errorf("Ada's choices on her manage page: %v", got)
	}
	if got := boxes(links["bea@example.org"]); !maps.Equal(got, map[string]bool{"keep_informed": false}) {
		t.Errorf("Bea's choices on her manage page: %v", got)
	}

	if res := h.PostForm(ada+"/consents", url.Values{}); res.Status != http.StatusSeeOther {
		t.Fatalf("saving choices: %d", res.Status)
	}
	sig := signatureByName(t, h, "Ada Lovelace")
	if sig.UnsubscribedAt == nil || sig.PartnerContactID != nil || sig.PartnerContactVersion != "" {
		t.Errorf("after unticking both: unsubscribed %v, partner %v %q", sig.UnsubscribedAt, sig.PartnerContactID, sig.PartnerContactVersion)
	}
	if got := boxes(ada); !maps.Equal(got, map[string]bool{"keep_informed": false, "partner_contact": false}) {
		t.Errorf("Ada's choices after unticking: %v", got)
	}
	console := "/admin/letters/" + strconv.FormatUint(uint64(letter.ID), 10)
	contacts, _ := admin.Get(console).Doc().Find(`table.partners form[action$="/contacts"]`).Attr("action")
	if rows := csvRows(t, admin.Post(contacts, nil)); len(rows) != 1 {
		t.Errorf("the partner's contacts after Ada withdrew her consent: %q", rows)
	}
	if events := auditEvents(t, h, "consents"); len(events) != 1 || events[0].Subject != "keep informed: no, partner contact: no" {
		t.Errorf("the audit of the choices: %+v", events)
	}

	h.PostForm(ada+"/consents", url.Values{"keep_informed": {"on"}, "partner_contact": {"on"}})
	sig = signatureByName(t, h, "Ada Lovelace")
	if !sig.KeepInformed || sig.UnsubscribedAt != nil || sig.PartnerContactID == nil || sig.PartnerContactAt == nil {
		t.Errorf("after ticking both again: %v %v %v", sig.KeepInformed, sig.UnsubscribedAt, sig.PartnerContactID)
	}
	if res := h.PostForm("/manage/nosuchtoken/consents", url.Values{}); res.Status != http.StatusNotFound {
		t.Errorf("choices through an unknown link: %d, want 404", res.Status)
	}
}
