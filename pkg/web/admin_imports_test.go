package web_test

import (
	"fmt"
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

// uploadImport uploads a CSV file for the harness letter and returns the
// import's page, following the redirect.
func uploadImport(t *testing.T, admin *webtest.Browser, name string, content []byte) (string, *webtest.Response) {
	t.Helper()
	res := admin.Upload("/admin/imports", url.Values{"letter": {webtest.LetterSlug}}, "file", name, content)
	if res.Status != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/admin/imports/") {
		t.Fatalf("upload %s: %d %s\n%s", name, res.Status, res.Header.Get("Location"), mainText(res))
	}
	page := admin.Get(res.Header.Get("Location"))
	if page.Status != http.StatusOK {
		t.Fatalf("import page: %d", page.Status)
	}
	return res.Header.Get("Location"), page
}

// startImport starts an import as its page's form would, keeping the
// columns the page chose, and returns the page it ends on.
func startImport(t *testing.T, admin *webtest.Browser, path string, page *webtest.Response, mode, basis string) *webtest.Response {
	t.Helper()
	form := url.Values{"action": {"start"}, "mode": {mode}, "basis": {basis}}
	page.Doc().Find("select[name^=map_]").Each(func(_ int, s *goquery.Selection) {
		name, _ := s.Attr("name")
		value, _ := s.Find("option[selected]").Attr("value")
		form.Set(name, value)
	})
	res := admin.Post(path, form)
	if res.Status != http.StatusSeeOther {
		return res
	}
	return admin.Get(res.Header.Get("Location"))
}

func mainText(res *webtest.Response) string {
	return strings.Join(strings.Fields(res.Doc().Find("main").Text()), " ")
}

// importedCount counts the signatures an import brought in.
func importedCount(t *testing.T, h *webtest.Harness, status ...store.Status) int64 {
	t.Helper()
	q := h.App.Store.Read(t.Context()).Model(&store.Signature{}).Where("source = ? AND import_id IS NOT NULL", store.SourceImport)
	if len(status) > 0 {
		q = q.Where("status IN ?", status)
	}
	var n int64
	if err := q.Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

// TestImportReportsEveryBrokenRowAndImportsTheRest: a file of 10,000 rows,
// 50 of them broken in five ways, reports exactly those 50 by their line,
// each with its reason, and imports the 9,950 others, each with a
// confirmation mail queued.
func TestImportReportsEveryBrokenRowAndImportsTheRest(t *testing.T) {
	h := webtest.New(t)
	admin := h.LoginAs("admin@campaign.example", store.RoleAdmin)
	var b strings.Builder
	b.WriteString("Name,Email,Country,Affiliation\n")
	broken := map[int]string{} // line → the reason shown
	for i := range 10_000 {
		line := i + 2
		name, email, country, affiliation := fmt.Sprintf("Signer %d", i), fmt.Sprintf("signer%d@example.org", i), "DE", "Uni"
		switch {
		case i%1000 == 7:
			country, broken[line] = "XX", "Country: Choose a country from the list"
		case i%1000 == 207:
			email, broken[line] = "signer-at-example.org", "Email: Enter an email address in the right format"
		case i%1000 == 407:
			name, broken[line] = "", "Name: Enter a name"
		case i%1000 == 607:
			name, broken[line] = "=HYPERLINK(\"http://evil.example\")", "Name: Looks like a spreadsheet formula"
		case i%1000 == 807:
			affiliation, broken[line] = "@SUM(A1)", "Affiliation: Looks like a spreadsheet formula"
		}
		fmt.Fprintf(&b, "%s,%s,%s,%q\n", csvCell(name), email, country, affiliation)
	}
	if len(broken) != 50 {
		t.Fatalf("the file has %d broken rows, want 50", len(broken))
	}
	path, page := uploadImport(t, admin, "signers.csv", []byte(b.String()))

	reported := map[int]string{}
	page.Doc().Find("#import-errors tbody tr").Each(func(_ int, tr *goquery.Selection) {
		line, _ := strconv.Atoi(tr.Find("td").First().Text())
		reported[line] = tr.Find("td").Last().Text()
	})
	if len(reported) != 50 {
		t.Errorf("the preview reports %d rows, want 50", len(reported))
	}
	for line, reason := range broken {
		if !strings.HasPrefix(reported[line], reason) {
			t.Errorf("line %d: reported %q, want %q", line, reported[line], reason)
		}
	}
	if counts := page.Doc().Find("#import-counts").Text(); !strings.Contains(counts, "To import: 9950.") || !strings.Contains(counts, "Refused: 50.") {
		t.Errorf("preview counts: %q", counts)
	}
	if importedCount(t, h) != 0 {
		t.Fatal("the preview stored signatures")
	}

	done := startImport(t, admin, path, page, "mail", "")
	if got := done.Doc().Find("#import-outcome").Text(); got != "Done. Imported: 9950. Skipped as duplicates: 0. Refused: 50." {
		t.Errorf("after the import: %q", got)
	}
	if n := importedCount(t, h, store.StatusUnconfirmed); n != 9950 {
		t.Errorf("%d unconfirmed imported signatures, want 9950", n)
	}
	var mails int64
	if err := h.App.Store.Read(t.Context()).Model(&store.MailJob{}).Where("kind = ?", store.MailConfirm).Count(&mails).Error; err != nil || mails != 9950 {
		t.Errorf("%d confirmation mails queued (%v), want 9950", mails, err)
	}
}

// csvCell quotes a cell that needs it.
func csvCell(s string) string {
	if strings.ContainsAny(s, "\",\n") {
		return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
	}
	return s
}

// TestImportByMailSendsConfirmations: signers imported by mail get the
// confirmation mail over SMTP, and count once they follow its link.
func TestImportByMailSendsConfirmations(t *testing.T) {
	h := webtest.New(t)
	admin := h.LoginAs("admin@campaign.example", store.RoleAdmin)
	file := "name,email,country,show name\nAda Lovelace,ada@example.org,GB,yes\nGrace Hopper,grace@example.org,US,yes\nAlan Turing,alan@example.org,GB,no\n"
	path, page := uploadImport(t, admin, "people.csv", []byte(file))
	startImport(t, admin, path, page, "mail", "")
	if got := totals(t, h); got.Total != 0 {
		t.Errorf("total before any confirmation: %d, want 0", got.Total)
	}
	if n := h.DrainOutbox(); n != 3 {
		t.Fatalf("%d mails sent, want 3", n)
	}
	var to []string
	var ada string
	for _, m := range h.SMTP.Messages() {
		to = append(to, m.To...)
		if slices.Contains(m.To, "ada@example.org") {
			ada = webtest.ConfirmLink(t, h.URL, m)
		}
	}
	slices.Sort(to)
	if want := []string{"ada@example.org", "alan@example.org", "grace@example.org"}; !slices.Equal(to, want) {
		t.Fatalf("mails to %v, want %v", to, want)
	}
	if res := h.PostForm(ada, nil); res.Status >= 400 {
		t.Fatalf("confirm: %d", res.Status)
	}
	if got := totals(t, h); got.Total != 1 {
		t.Errorf("total after one confirmation: %d, want 1", got.Total)
	}
}

// TestImportConfirmedByStaffRecordsTheBasis: staff confirmation needs its
// basis (422 beside the field otherwise, the choice kept); with it, the
// letter's review rule applies as to any confirmed signature: organisations
// wait in the queue, individuals are published. The import is one audit
// entry, naming the basis; no mail is sent.
func TestImportConfirmedByStaffRecordsTheBasis(t *testing.T) {
	h := webtest.New(t) // the letter reviews organisations
	admin := h.LoginAs("admin@campaign.example", store.RoleAdmin)
	file := "Kind,Name,Website,Org type,Country,Email,Contact,Public\n" +
		"organisation,Open Rights Lab,openrights.example,ngo,DE,kim@openrights.example,Kim Park,\n" +
		"organization,Privacy Guild,https://guild.example,ngo,FR,lea@guild.example,Léa Roux,\n" +
		"individual,Ada Lovelace,,,GB,ada@example.org,,yes\n"
	path, page := uploadImport(t, admin, "coalition.csv", []byte(file))

	res := startImport(t, admin, path, page, "staff", "  ")
	if res.Status != http.StatusUnprocessableEntity {
		t.Fatalf("staff confirmation without a basis: %d", res.Status)
	}
	doc := res.Doc()
	if msg := doc.Find("#f-basis-error").Text(); !strings.Contains(msg, "how these people signed") {
		t.Errorf("message beside the basis: %q", msg)
	}
	if _, checked := doc.Find("#mode-staff").Attr("checked"); !checked {
		t.Error("the mode chosen was not kept")
	}
	if importedCount(t, h) != 0 {
		t.Fatal("a refused start stored signatures")
	}

	done := startImport(t, admin, path, page, "staff", "signed by email on 2016-02-10")
	if got := mainText(done); !strings.Contains(got, "Imported: 3.") || !strings.Contains(got, "on this basis: signed by email on 2016-02-10") {
		t.Errorf("after the import: %q", got)
	}
	if n := importedCount(t, h, store.StatusPendingReview); n != 2 {
		t.Errorf("%d organisations awaiting review, want 2", n)
	}
	if got := totals(t, h); got.Total != 1 || got.Individuals != 1 {
		t.Errorf("published: %+v, want the individual", got)
	}
	queue := mainText(admin.Get("/admin"))
	for _, name := range []string{"Open Rights Lab", "Privacy Guild"} {
		if !strings.Contains(queue, name) {
			t.Errorf("the review queue lacks %s", name)
		}
	}
	var entries []store.AuditEvent
	if err := h.App.Store.Read(t.Context()).Find(&entries).Error; err != nil {
		t.Fatal(err)
	}
	var imports []string
	for _, e := range entries {
		if e.SignatureID != nil {
			t.Errorf("audit entry %q for signature %d: the import is one entry", e.Action, *e.SignatureID)
		}
		if e.Action == "import" {
			imports = append(imports, e.Subject)
		}
	}
	if len(imports) != 1 || !strings.Contains(imports[0], "signed by email on 2016-02-10") {
		t.Errorf("import audit entries: %q", imports)
	}
	if n := h.DrainOutbox(); n != 0 {
		t.Errorf("%d mails sent to signers confirmed by staff", n)
	}
}

// TestSecondUploadOfTheSameFileAddsNothing: the same file again, for the
// same letter, is refused beside the file field with a link to the first
// import, and adds no signature.
func TestSecondUploadOfTheSameFileAddsNothing(t *testing.T) {
	h := webtest.New(t)
	admin := h.LoginAs("admin@campaign.example", store.RoleAdmin)
	file := []byte("name,email,country\nAda Lovelace,ada@example.org,GB\nGrace Hopper,grace@example.org,US\n")
	path, page := uploadImport(t, admin, "people.csv", file)
	startImport(t, admin, path, page, "mail", "")

	res := admin.Upload("/admin/imports", url.Values{"letter": {webtest.LetterSlug}}, "file", "people-again.csv", file)
	if res.Status != http.StatusUnprocessableEntity {
		t.Fatalf("second upload: %d", res.Status)
	}
	doc := res.Doc()
	if msg := doc.Find("#f-file-error").Text(); !strings.Contains(msg, "already imported") {
		t.Errorf("message beside the file: %q", msg)
	}
	if href, _ := doc.Find(".field-link a").Attr("href"); href != path {
		t.Errorf("the message links to %q, want the first import %s", href, path)
	}
	if n := importedCount(t, h); n != 2 {
		t.Errorf("%d imported signatures, want the first import's 2", n)
	}
}

// TestImportReadsBOMAndSemicolons: a spreadsheet's export with a byte
// order mark, semicolons and headings in German is read, its columns
// guessed.
func TestImportReadsBOMAndSemicolons(t *testing.T) {
	h := webtest.New(t)
	admin := h.LoginAs("admin@campaign.example", store.RoleAdmin)
	file := "\ufeffName;E-Mail;Land;Zugehörigkeit\n\"Müller, Jürgen\";juergen@example.org;DE;Universität Köln\n"
	path, page := uploadImport(t, admin, "export.csv", []byte(file))
	sample := page.Doc().Find("table.import-sample tbody tr td")
	if got := sample.Eq(1).Text() + "|" + sample.Eq(2).Text() + "|" + sample.Eq(5).Text() + "|" + sample.Eq(6).Text(); got != "Müller, Jürgen|Universität Köln|DE|juergen@example.org" {
		t.Errorf("the row as it would be stored: %q", got)
	}
	startImport(t, admin, path, page, "mail", "")
	if n := importedCount(t, h); n != 1 {
		t.Errorf("%d imported, want 1", n)
	}
}

// TestImportRefusesFilesItCannotRead: a file that is not UTF-8, one with
// broken quoting and one with more rows than imports.max_rows are each
// refused with the reason beside the file field, the letter kept, nothing
// stored.
func TestImportRefusesFilesItCannotRead(t *testing.T) {
	h := webtest.New(t, func(c *config.Config) { c.Imports.MaxRows = 1000 })
	admin := h.LoginAs("admin@campaign.example", store.RoleAdmin)
	million := "name,email,country\n" + strings.Repeat("A,a,D\n", 1_000_000) // 6 MB, within imports.max_bytes
	for _, c := range []struct {
		name, file, message string
	}{
		{"Latin-1", "name,email,country\nCaf\xe9 Lumi\xe8re,cafe@example.org,FR\n", "not UTF-8"},
		{"broken quoting", "name,email,country\nAda,ada@example.org,GB\n\"Grace \"Amazing\" Hopper\",grace@example.org,US\n", "line 3"},
		{"a million rows", million, "more than 1000 rows"},
	} {
		t.Run(c.name, func(t *testing.T) {
			res := admin.Upload("/admin/imports", url.Values{"letter": {webtest.LetterSlug}}, "file", "bad.csv", []byte(c.file))
			if res.Status != http.StatusUnprocessableEntity {
				t.Fatalf("status %d, want 422", res.Status)
			}
			doc := res.Doc()
			if msg := doc.Find("#f-file-error").Text(); !strings.Contains(msg, c.message) {
				t.Errorf("message beside the file: %q, want %q", msg, c.message)
			}
			if v, _ := doc.Find("#f-letter option[selected]").Attr("value"); v != webtest.LetterSlug {
				t.Errorf("letter kept: %q", v)
			}
		})
	}
	var n int64
	if err := h.App.Store.Read(t.Context()).Model(&store.Import{}).Count(&n).Error; err != nil || n != 0 {
		t.Errorf("%d imports stored (%v)", n, err)
	}
}

// TestImportUploadHasItsOwnBodyLimit: the upload may be larger than
// server.max_body_bytes, up to imports.max_bytes; past that it gets 413.
func TestImportUploadHasItsOwnBodyLimit(t *testing.T) {
	h := webtest.New(t, func(c *config.Config) { c.Imports.MaxBytes = 1 << 20 })
	admin := h.LoginAs("admin@campaign.example", store.RoleAdmin)
	var b strings.Builder
	b.WriteString("name,email,country\n")
	for i := 0; b.Len() < 200<<10; i++ { // over the 64 KiB of every other form
		fmt.Fprintf(&b, "Signer %d,signer%d@example.org,DE\n", i, i)
	}
	uploadImport(t, admin, "large.csv", []byte(b.String()))
	res := admin.Upload("/admin/imports", url.Values{"letter": {webtest.LetterSlug}}, "file", "huge.csv", []byte(strings.Repeat(b.String(), 6)))
	if res.Status != http.StatusRequestEntityTooLarge {
		t.Errorf("an upload over imports.max_bytes: %d, want 413", res.Status)
	}
}

// TestImportsAreForAdminsOnly: a moderator gets 403 on every import route.
func TestImportsAreForAdminsOnly(t *testing.T) {
	h := webtest.New(t)
	mod := h.LoginAs("mod@campaign.example", store.RoleModerator)
	for _, res := range []*webtest.Response{
		mod.Get("/admin/imports"),
		mod.Upload("/admin/imports", url.Values{"letter": {webtest.LetterSlug}}, "file", "a.csv", []byte("name,email,country\nA,a@example.org,DE\n")),
		mod.Get("/admin/imports/1"),
		mod.Post("/admin/imports/1", url.Values{"action": {"start"}, "mode": {"mail"}}),
	} {
		if res.Status != http.StatusForbidden {
			t.Errorf("moderator: %d, want 403", res.Status)
		}
	}
}
