package web_test

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/undersigned/undersigned/pkg/store"
	"github.com/undersigned/undersigned/pkg/web/webtest"
)

// orgForm is an organisation's sign form.
func orgForm(name, website, email, country string) url.Values {
	return url.Values{"kind": {"organisation"}, "name": {name}, "website": {website}, "org_type": {"ngo"},
		"country": {country}, "contact_name": {"Kim Park"}, "email": {email}, "consent": {"yes"}}
}

func signatureByName(t *testing.T, h *webtest.Harness, name string) store.Signature {
	t.Helper()
	var sig store.Signature
	if err := h.App.Store.Read(t.Context()).Where("name = ?", name).Take(&sig).Error; err != nil {
		t.Fatalf("signature %q: %v", name, err)
	}
	return sig
}

func auditEvents(t *testing.T, h *webtest.Harness, action string) []store.AuditEvent {
	t.Helper()
	var events []store.AuditEvent
	if err := h.App.Store.Read(t.Context()).Where("action = ?", action).Order("id").Find(&events).Error; err != nil {
		t.Fatal(err)
	}
	return events
}

func totals(t *testing.T, h *webtest.Harness) letterJSON {
	t.Helper()
	return getJSON[letterJSON](t, h, "/api/v1/letters/"+webtest.LetterSlug)
}

func decide(t *testing.T, b *webtest.Browser, action string, ids []uint64, extra ...string) *webtest.Response {
	t.Helper()
	v := url.Values{"action": {action}, "return": {"/admin"}}
	for _, id := range ids {
		v.Add("ids", fmt.Sprint(id))
	}
	for i := 0; i+1 < len(extra); i += 2 {
		v.Set(extra[i], extra[i+1])
	}
	return b.Post("/admin/signatures/actions", v)
}

func TestQueueShowsPendingOrganisationsWithTheirContact(t *testing.T) {
	h := webtest.New(t)
	signAndConfirm(t, h, orgForm("Open Rights Lab", "https://www.openrights.example", "press@openrights.example", "DE"))
	h.Clock.Advance(time.Minute)
	signAndConfirm(t, h, orgForm("Privacy First", "https://privacyfirst.example", "someone@gmail.example", "FR"))
	h.Sign(orgForm("Never Confirmed", "https://never.example", "x@never.example", "DE"))
	b := h.LoginAs("mod@campaign.example", store.RoleModerator)

	doc := b.Get("/admin").Doc()
	rows := doc.Find("table.queue tbody tr")
	if rows.Length() != 2 {
		t.Fatalf("%d rows, want the 2 confirmed organisations", rows.Length())
	}
	first, second := rows.First().Text(), rows.Last().Text()
	if !strings.Contains(first, "Privacy First") || !strings.Contains(second, "Open Rights Lab") {
		t.Errorf("not newest first: %q / %q", first, second)
	}
	if !strings.Contains(second, "press@openrights.example") || !strings.Contains(second, "Kim Park") {
		t.Errorf("private contact missing: %q", second)
	}
	if strings.Contains(second, "differs") || !strings.Contains(first, "Email domain differs from the website") {
		t.Errorf("domain hint wrong: first %q, second %q", first, second)
	}
	checkPageBasics(t, "/admin", b.Get("/admin"))

	filtered := b.Get("/admin?country=DE").Doc().Find("table.queue tbody tr")
	if filtered.Length() != 1 || !strings.Contains(filtered.Text(), "Open Rights Lab") {
		t.Errorf("country filter: %d rows", filtered.Length())
	}
	search := b.Get("/admin?q=privacyfirst").Doc().Find("table.queue tbody tr")
	if search.Length() != 1 {
		t.Errorf("search by website: %d rows", search.Length())
	}
	if n := b.Get("/admin?kind=individual").Doc().Find("table.queue tbody tr").Length(); n != 0 {
		t.Errorf("kind filter: %d rows", n)
	}
	if n := b.Get("/admin?status=published").Doc().Find("table.queue tbody tr").Length(); n != 0 {
		t.Errorf("status filter: %d rows", n)
	}
	if res := b.Get("/admin?status=bogus"); res.Status != http.StatusBadRequest {
		t.Errorf("bad filter: %d", res.Status)
	}
}

func TestApproveRejectHideRestore(t *testing.T) {
	h := webtest.New(t)
	signAndConfirm(t, h, orgForm("Open Rights Lab", "https://openrights.example", "press@openrights.example", "DE"))
	signAndConfirm(t, h, orgForm("Spam Corp", "https://spam.example", "x@spam.example", "DE"))
	b := h.LoginAs("mod@campaign.example", store.RoleModerator)
	good, spam := signatureByName(t, h, "Open Rights Lab"), signatureByName(t, h, "Spam Corp")
	mailsBefore := len(h.SMTP.Messages())

	if res := decide(t, b, "approve", []uint64{good.ID}); res.Status != http.StatusSeeOther {
		t.Fatalf("approve: %d", res.Status)
	}
	if got := totals(t, h); got.Total != 1 || got.Organisations != 1 {
		t.Fatalf("after approve: %+v", got)
	}
	res := decide(t, b, "reject", []uint64{spam.ID}, "reason", "out_of_scope", "note", "looks like SEO spam")
	if res.Status != http.StatusSeeOther || !strings.Contains(res.Header.Get("Location"), "changed=1") {
		t.Fatalf("reject: %d %s", res.Status, res.Header.Get("Location"))
	}
	h.DrainOutbox()
	mails := h.SMTP.Messages()[mailsBefore:]
	if len(mails) != 2 {
		t.Fatalf("%d mails after approve and reject, want 2", len(mails))
	}
	if mails[0].To[0] != "press@openrights.example" || !strings.HasPrefix(mails[0].Subject, "Your signature is published") {
		t.Errorf("approval mail: to %v, %q", mails[0].To, mails[0].Subject)
	}
	if !strings.Contains(mails[1].Text, "does not fit the scope of this letter") || strings.Contains(mails[1].Text, "SEO spam") {
		t.Errorf("rejection mail should carry the reason text, not the note:\n%s", mails[1].Text)
	}

	rejected := auditEvents(t, h, "reject")
	if len(rejected) != 1 || rejected[0].StaffEmail != "mod@campaign.example" || *rejected[0].SignatureID != spam.ID {
		t.Fatalf("reject audit: %+v", rejected)
	}
	var before, after map[string]any
	json.Unmarshal([]byte(rejected[0].Before), &before)
	json.Unmarshal([]byte(rejected[0].After), &after)
	if before["status"] != "pending_review" || after["status"] != "rejected" || after["reason_code"] != "out_of_scope" {
		t.Errorf("audit before %v after %v", before, after)
	}
	if strings.Contains(rejected[0].Before+rejected[0].After, "x@spam.example") {
		t.Error("the audit log copies the contact email")
	}

	decide(t, b, "hide", []uint64{good.ID})
	if got := totals(t, h); got.Total != 0 {
		t.Errorf("after hide total %d", got.Total)
	}
	decide(t, b, "restore", []uint64{good.ID, spam.ID})
	if got := totals(t, h); got.Total != 2 {
		t.Errorf("after restoring both total %d", got.Total)
	}
	h.DrainOutbox()
	if n := len(h.SMTP.Messages()) - mailsBefore; n != 3 {
		t.Errorf("%d mails in all; restoring a rejected signature should tell its signer, a hidden one not", n)
	}
	if n := len(auditEvents(t, h, "restore")); n != 2 {
		t.Errorf("%d restore events, want 2", n)
	}
	// In bulk, actions that do not apply are skipped, not errors.
	res = decide(t, b, "approve", []uint64{good.ID, spam.ID})
	if !strings.Contains(res.Header.Get("Location"), "skipped=2") {
		t.Errorf("approving published signatures: %s", res.Header.Get("Location"))
	}
	if page := b.Get(res.Header.Get("Location")); !strings.Contains(page.Body, "0 changed, 2 left as they were") {
		t.Errorf("no outcome shown after the action")
	}
	// On one signature, the moderator is told who decided it before.
	decide(t, b, "hide", []uint64{good.ID})
	one := decide(t, b, "approve", []uint64{good.ID})
	if one.Status != http.StatusConflict || !strings.Contains(one.Body, "Already decided by mod@campaign.example") || !strings.Contains(one.Body, "“Hidden”") {
		t.Errorf("approving a hidden signature: %d %s", one.Status, one.Doc().Find("main").Text())
	}
}

func TestRejectNeedsAKnownReason(t *testing.T) {
	h := webtest.New(t)
	ids := h.SeedPending(1, "DE")
	b := h.LoginAs("mod@campaign.example", store.RoleModerator)
	res := decide(t, b, "reject", ids, "reason", "because")
	if res.Status != http.StatusUnprocessableEntity || !strings.Contains(res.Body, "Choose a reason") {
		t.Errorf("unknown reason: %d", res.Status)
	}
	if res := decide(t, b, "approve", nil); res.Status != http.StatusUnprocessableEntity {
		t.Errorf("nothing selected: %d", res.Status)
	}
	if res := decide(t, b, "explode", ids); res.Status != http.StatusBadRequest {
		t.Errorf("unknown action: %d", res.Status)
	}
	if res := decide(t, b, "approve", nil, "ids", "one"); res.Status != http.StatusBadRequest {
		t.Errorf("bad id: %d", res.Status)
	}
}

func TestRowApproveButton(t *testing.T) {
	h := webtest.New(t)
	ids := h.SeedPending(2, "DE")
	b := h.LoginAs("mod@campaign.example", store.RoleModerator)
	res := b.Post("/admin/signatures/actions", url.Values{"approve_one": {fmt.Sprint(ids[1])}, "action": {"hide"}, "return": {"/admin?country=DE"}})
	if res.Status != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/admin?") || !strings.Contains(res.Header.Get("Location"), "country=DE") {
		t.Fatalf("row approve: %d %s", res.Status, res.Header.Get("Location"))
	}
	if got := totals(t, h); got.Total != 1 {
		t.Errorf("total %d, want only the one approved", got.Total)
	}
}

func TestBulkApproveOfFiveHundred(t *testing.T) {
	h := webtest.New(t)
	ids := h.SeedPending(500, "KE")
	b := h.LoginAs("mod@campaign.example", store.RoleModerator)
	res := decide(t, b, "approve", ids)
	if res.Status != http.StatusSeeOther || !strings.Contains(res.Header.Get("Location"), "changed=500") {
		t.Fatalf("bulk approve: %d %s", res.Status, res.Header.Get("Location"))
	}
	got := totals(t, h)
	if got.Total != 500 || len(got.Countries) != 1 || got.Countries[0].Code != "KE" || got.Countries[0].Organisations != 500 {
		t.Errorf("totals after bulk approve: %+v", got)
	}
	if n := len(auditEvents(t, h, "approve")); n != 500 {
		t.Errorf("%d audit events, want 500", n)
	}
	var queued int64
	h.App.Store.Read(t.Context()).Model(&store.MailJob{}).Where("kind = ?", store.MailPublished).Count(&queued)
	if queued != 500 {
		t.Errorf("%d publication mails queued, want 500", queued)
	}
	if sent := h.DrainOutbox(); sent != 500 {
		t.Errorf("sent %d", sent)
	}
}

func TestEditPublicFields(t *testing.T) {
	h := webtest.New(t)
	signAndConfirm(t, h, orgForm("Opne Rights Lab", "https://openrights.example", "press@openrights.example", "DE"))
	b := h.LoginAs("mod@campaign.example", store.RoleModerator)
	sig := signatureByName(t, h, "Opne Rights Lab")
	decide(t, b, "approve", []uint64{sig.ID})
	path := fmt.Sprintf("/admin/signatures/%d", sig.ID)
	page := b.Get(path)
	checkPageBasics(t, path, page)
	if v, _ := page.Doc().Find("#f-name").Attr("value"); v != "Opne Rights Lab" {
		t.Fatalf("edit form name = %q", v)
	}

	bad := b.Post(path, url.Values{"name": {"Open Rights Lab"}, "website": {"ftp://x"}, "org_type": {"ngo"}, "country": {"AT"}})
	if bad.Status != http.StatusUnprocessableEntity || !strings.Contains(bad.Doc().Find("#f-website-error").Text(), "https://") {
		t.Fatalf("bad website: %d", bad.Status)
	}
	if v, _ := bad.Doc().Find("#f-name").Attr("value"); v != "Open Rights Lab" {
		t.Errorf("typed name lost: %q", v)
	}

	ok := b.Post(path, url.Values{"name": {" Open Rights Lab "}, "website": {"openrights.example"}, "org_type": {"ngo"}, "country": {"AT"}})
	if ok.Status != http.StatusSeeOther {
		t.Fatalf("edit: %d", ok.Status)
	}
	got := totals(t, h)
	if got.Total != 1 || len(got.Countries) != 1 || got.Countries[0].Code != "AT" {
		t.Errorf("counts did not follow the country change: %+v", got)
	}
	list := getJSON[signatoriesJSON](t, h, "/api/v1/letters/"+webtest.LetterSlug+"/signatories")
	if list.Signatories[0].Name != "Open Rights Lab" || list.Signatories[0].Website != "https://openrights.example" {
		t.Errorf("public list after edit: %+v", list.Signatories)
	}
	edits := auditEvents(t, h, "edit")
	if len(edits) != 1 || !strings.Contains(edits[0].Before, "Opne") || !strings.Contains(edits[0].After, `"country":"AT"`) {
		t.Errorf("edit audit: %+v", edits)
	}
	history := b.Get(path).Doc().Find("ul.history > li")
	if history.Length() != 3 {
		t.Errorf("history shows %d events, want confirm, approve and edit", history.Length())
	}
}

func TestAuditLogPage(t *testing.T) {
	h := webtest.New(t)
	ids := h.SeedPending(3, "DE")
	b := h.LoginAs("mod@campaign.example", store.RoleModerator)
	decide(t, b, "approve", ids[:2])
	decide(t, b, "reject", ids[2:], "reason", "duplicate")
	page := b.Get("/admin/audit")
	checkPageBasics(t, "/admin/audit", page)
	if n := page.Doc().Find("table.audit tbody tr").Length(); n != 4 {
		t.Errorf("%d events listed, want the moderator's account added and 3 decisions", n)
	}
	only := b.Get("/admin/audit?action=reject").Doc().Find("table.audit tbody tr")
	if only.Length() != 1 || !strings.Contains(only.Text(), "Org 0002") {
		t.Errorf("action filter: %d rows", only.Length())
	}
	bySig := b.Get(fmt.Sprintf("/admin/audit?signature=%d", ids[0])).Doc().Find("table.audit tbody tr")
	if bySig.Length() != 1 {
		t.Errorf("signature filter: %d rows", bySig.Length())
	}
	if n := b.Get("/admin/audit?staff=other@campaign.example").Doc().Find("table.audit tbody tr").Length(); n != 0 {
		t.Errorf("staff filter: %d rows", n)
	}
}

func csvRows(t *testing.T, res *webtest.Response) [][]string {
	t.Helper()
	if res.Status != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/csv") {
		t.Fatalf("export: %d %s", res.Status, res.Header.Get("Content-Type"))
	}
	rows, err := csv.NewReader(strings.NewReader(res.Body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func TestExportAndRoleRefusals(t *testing.T) {
	h := webtest.New(t)
	signAndConfirm(t, h, orgForm("=HYPERLINK(\"x\")", "https://openrights.example", "press@openrights.example", "DE"))
	admin := h.LoginAs("admin@campaign.example", store.RoleAdmin)
	mod := h.LoginAs("mod@campaign.example", store.RoleModerator)

	public := csvRows(t, mod.Post("/admin/export", url.Values{"letter": {webtest.LetterSlug}}))
	if len(public) != 2 || strings.Contains(strings.Join(public[0], ","), "email") {
		t.Errorf("public export: %v", public)
	}
	if public[1][2] != `'=HYPERLINK("x")` {
		t.Errorf("a formula was exported as is: %q", public[1][2])
	}
	withEmails := csvRows(t, admin.Post("/admin/export", url.Values{"letter": {webtest.LetterSlug}, "include_emails": {"yes"}}))
	header := strings.Join(withEmails[0], ",")
	if !strings.HasSuffix(header, "email,contact_name") || withEmails[1][len(withEmails[1])-2] != "press@openrights.example" {
		t.Errorf("export with emails: %v", withEmails)
	}
	if events := auditEvents(t, h, "export_emails"); len(events) != 1 || events[0].StaffEmail != "admin@campaign.example" {
		t.Errorf("email export audit: %+v", events)
	}

	refusals := []struct {
		name string
		res  *webtest.Response
	}{
		{"moderator exports emails", mod.Post("/admin/export", url.Values{"letter": {webtest.LetterSlug}, "include_emails": {"yes"}})},
		{"moderator views staff", mod.Get("/admin/staff")},
		{"moderator adds staff", mod.Post("/admin/staff", url.Values{"email": {"new@campaign.example"}, "role": {"admin"}, "password": {"a long enough password"}})},
		{"moderator disables staff", mod.Post("/admin/staff/disable", url.Values{"email": {"admin@campaign.example"}})},
	}
	for _, r := range refusals {
		if r.res.Status != http.StatusForbidden {
			t.Errorf("%s: %d, want 403", r.name, r.res.Status)
		}
	}
	if n := len(auditEvents(t, h, "export_emails")); n != 1 {
		t.Errorf("a refused export was recorded or carried out: %d events", n)
	}
	if admin.Get("/admin").Status != http.StatusOK {
		t.Error("the moderator's attempt to disable the admin took effect")
	}
	if mod.Get("/admin/export").Doc().Find("#f-include-emails").Length() != 0 {
		t.Error("moderators are offered the email export")
	}
}

func TestAdminManagesStaff(t *testing.T) {
	h := webtest.New(t)
	admin := h.LoginAs("admin@campaign.example", store.RoleAdmin)
	page := admin.Get("/admin/staff")
	checkPageBasics(t, "/admin/staff", page)
	weak := admin.Post("/admin/staff", url.Values{"email": {"new@campaign.example"}, "role": {"moderator"}, "password": {"short"}})
	if weak.Status != http.StatusUnprocessableEntity || !strings.Contains(weak.Doc().Find("#f-password-error").Text(), "12 characters") {
		t.Errorf("weak password: %d", weak.Status)
	}
	if v, _ := weak.Doc().Find("#f-email").Attr("value"); v != "new@campaign.example" {
		t.Errorf("email not kept: %q", v)
	}
	added := admin.Post("/admin/staff", url.Values{"email": {"new@campaign.example"}, "role": {"moderator"}, "password": {"a long enough password"}})
	if added.Status != http.StatusSeeOther {
		t.Fatalf("add: %d", added.Status)
	}
	taken := admin.Post("/admin/staff", url.Values{"email": {"NEW@campaign.example"}, "role": {"admin"}, "password": {"a long enough password"}})
	if taken.Status != http.StatusUnprocessableEntity {
		t.Errorf("duplicate email: %d", taken.Status)
	}
	if res := h.NewBrowser().Login("new@campaign.example", "a long enough password"); res.Status != http.StatusSeeOther {
		t.Errorf("the new moderator cannot log in: %d", res.Status)
	}
	var rows []string
	admin.Get("/admin/staff").Doc().Find("table.staff tbody tr").Each(func(_ int, s *goquery.Selection) {
		rows = append(rows, strings.Join(strings.Fields(s.Text()), " "))
	})
	if len(rows) != 2 {
		t.Errorf("staff list: %v", rows)
	}
	if added := auditEvents(t, h, "staff_add"); len(added) != 2 || added[1].StaffEmail != "admin@campaign.example" || added[1].Subject != "new@campaign.example (moderator)" {
		t.Errorf("adding staff was not audited as the admin's act: %+v", added)
	}
}
