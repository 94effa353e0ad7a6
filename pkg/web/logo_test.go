package web_test

import (
	"bytes"
	"fmt"
	"image/png"
	"mime/multipart"
	"net/http"
	"net/url"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/undersigned/undersigned/pkg/media"
	"github.com/undersigned/undersigned/pkg/media/mediatest"
	"github.com/undersigned/undersigned/pkg/store"
	"github.com/undersigned/undersigned/pkg/web/webtest"
)

// multipartRequest is a post of values and, when file is not nil, a file
// in field "logo" under filename, as a browser sends a form with a file input.
func multipartRequest(t *testing.T, h *webtest.Harness, path string, values url.Values, filename string, file []byte) *http.Request {
	t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	for k, vs := range values {
		for _, v := range vs {
			if err := w.WriteField(k, v); err != nil {
				t.Fatal(err)
			}
		}
	}
	if file != nil {
		part, err := w.CreateFormFile("logo", filename)
		if err != nil {
			t.Fatal(err)
		}
		part.Write(file)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, h.URL+path, &body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", w.FormDataContentType())
	return req
}

// postWithLogo posts values with a logo file to path.
func postWithLogo(t *testing.T, h *webtest.Harness, path string, values url.Values, filename string, file []byte) *webtest.Response {
	t.Helper()
	return h.Do(multipartRequest(t, h, path, values, filename, file))
}

// signWithLogo signs as an organisation with a statement and a logo, confirms
// by the mailed link and returns the signature.
func signWithLogo(t *testing.T, h *webtest.Harness, name, statement, filename string, logo []byte) store.Signature {
	t.Helper()
	host := strings.ToLower(strings.ReplaceAll(name, " ", "")) + ".example"
	form := orgForm(name, "https://"+host, "kim@"+host, "DE")
	form.Set("statement", statement)
	before := len(h.SMTP.Messages())
	res := postWithLogo(t, h, "/letters/"+webtest.LetterSlug+"/sign", form, filename, logo)
	if res.Status != http.StatusSeeOther {
		t.Fatalf("sign with a logo: %d\n%s", res.Status, res.Body)
	}
	h.DrainOutbox()
	link := ""
	for _, m := range h.SMTP.WaitFor(t, before+1, 5*time.Second)[before:] {
		if len(m.To) == 1 && m.To[0] == form.Get("email") {
			link = webtest.ConfirmLink(t, h.URL, m)
		}
	}
	if res := h.PostForm(link, nil); res.Status != http.StatusOK {
		t.Fatalf("confirm: %d", res.Status)
	}
	return signatureByName(t, h, name)
}

// decideMedia approves or rejects a signature's statement or logo in the console.
func decideMedia(t *testing.T, b *webtest.Browser, id uint64, item, decision string) *webtest.Response {
	t.Helper()
	return b.Post(fmt.Sprintf("/admin/signatures/%d/media", id), url.Values{"item": {item}, "decision": {decision}})
}

// TestLogoIsReencodedAndShownOnlyOnceApproved signs as an organisation with
// a JPEG named .png (the content decides) carrying Exif metadata, and a
// statement. Neither is public while the signature is, until a reviewer
// approves each: then the letter page shows the logo on its wall and the
// statement beside the name, and the logo served is a PNG made by the
// server, within 400 × 400, without the metadata. Hidden, it is 404 again.
func TestLogoIsReencodedAndShownOnlyOnceApproved(t *testing.T) {
	h := webtest.New(t)
	letter := "/letters/" + webtest.LetterSlug
	upload := mediatest.JPEG(1200, 600)
	sig := signWithLogo(t, h, "Logo Org", "Because open letters matter.", "logo.png", upload)
	admin := h.LoginAs("admin@campaign.example", store.RoleAdmin)
	decide(t, admin, "approve", []uint64{sig.ID})
	logoURL := fmt.Sprintf("%s/logos/%d.png", letter, sig.ID)

	page := h.Get(letter).Body
	if res := h.Get(logoURL); res.Status != http.StatusNotFound {
		t.Errorf("logo before its review: %d, want 404", res.Status)
	}
	if !strings.Contains(page, "Logo Org") || strings.Contains(page, "logo-wall") || strings.Contains(page, "open letters matter") {
		t.Errorf("before review the page shows the name alone, no logo wall, no statement")
	}
	queue := admin.Get("/admin?status=published").Doc().Find("table.queue").Text()
	if !strings.Contains(queue, "statement or logo to review") {
		t.Errorf("the queue does not say the signature has media to review:\n%s", queue)
	}
	review := admin.Get(fmt.Sprintf("/admin/signatures/%d", sig.ID)).Doc()
	if src, _ := review.Find("img.logo-review").Attr("src"); !strings.HasPrefix(src, fmt.Sprintf("/admin/signatures/%d/logo.png", sig.ID)) {
		t.Errorf("the signature's page shows no pending logo (src %q)", src)
	}
	if got := review.Find("blockquote.statement").Text(); got != "Because open letters matter." {
		t.Errorf("the signature's page shows statement %q", got)
	}
	if res := admin.Get(fmt.Sprintf("/admin/signatures/%d/logo.png", sig.ID)); res.Status != http.StatusOK || res.Header.Get("Content-Type") != "image/png" {
		t.Errorf("pending logo for staff: %d %q", res.Status, res.Header.Get("Content-Type"))
	}
	if res := h.Get(fmt.Sprintf("/admin/signatures/%d/logo.png", sig.ID)); !strings.HasPrefix(res.Header.Get("Location"), "/admin/login") {
		t.Errorf("pending logo for the public: %d, want the login redirect", res.Status)
	}

	for _, item := range []string{"logo", "statement"} {
		if res := decideMedia(t, admin, sig.ID, item, "approve"); res.Status != http.StatusSeeOther {
			t.Fatalf("approve %s: %d", item, res.Status)
		}
	}
	if res := decideMedia(t, admin, sig.ID, "logo", "reject"); !strings.Contains(res.Header.Get("Location"), "media_stale") {
		t.Errorf("a second decision on the logo: %q, want told it was decided", res.Header.Get("Location"))
	}
	doc := h.Get(letter).Doc()
	img := doc.Find(".logo-wall img")
	src, _ := img.Attr("src")
	if alt, _ := img.Attr("alt"); img.Length() != 1 || alt != "Logo Org" || !strings.HasPrefix(src, logoURL+"?v=") {
		t.Fatalf("logo wall: %d images, alt %q, src %q", img.Length(), alt, src)
	}
	for attr, want := range map[string]string{"width": "400", "height": "200", "loading": "lazy"} {
		if got, _ := img.Attr(attr); got != want {
			t.Errorf("logo %s = %q, want %q", attr, got, want)
		}
	}
	if got := doc.Find(".names li q.statement").Text(); got != "Because open letters matter." {
		t.Errorf("statement beside the name: %q", got)
	}

	res := h.Get(src)
	if res.Status != http.StatusOK || res.Header.Get("Content-Type") != "image/png" || res.Header.Get("X-Content-Type-Options") != "nosniff" ||
		!strings.Contains(res.Header.Get("Cache-Control"), "max-age=31536000") {
		t.Fatalf("logo: %d, %q, nosniff %q, cache %q", res.Status, res.Header.Get("Content-Type"),
			res.Header.Get("X-Content-Type-Options"), res.Header.Get("Cache-Control"))
	}
	served := []byte(res.Body)
	if bytes.Equal(served, upload) || bytes.Contains(served, []byte(mediatest.Secret)) {
		t.Error("the logo served is the upload, or holds its metadata")
	}
	for _, chunk := range []string{"tEXt", "zTXt", "iTXt", "eXIf"} {
		if bytes.Contains(served, []byte(chunk)) {
			t.Errorf("the logo served has a %s chunk", chunk)
		}
	}
	img2, err := png.Decode(bytes.NewReader(served))
	if err != nil || img2.Bounds().Dx() > media.Box || img2.Bounds().Dy() > media.Box {
		t.Fatalf("the logo served is no PNG within 400 × 400: %v", err)
	}

	decide(t, admin, "hide", []uint64{sig.ID})
	if res := h.Get(src); res.Status != http.StatusNotFound {
		t.Errorf("logo of a hidden signature: %d, want 404", res.Status)
	}
	if strings.Contains(h.Get(letter).Body, "logo-wall") {
		t.Error("the logo wall still shows a hidden signature's logo")
	}
}

// TestBadLogoIsRefusedBesideTheField sends files that are no logo: each is
// refused with its message beside the logo field (422), the rest of the
// form kept, nothing stored. The decompression bomb, a small PNG whose
// header declares 50,000 × 50,000 pixels (10 GB decoded), is refused
// without the server allocating more than a few megabytes.
func TestBadLogoIsRefusedBesideTheField(t *testing.T) {
	h := webtest.New(t)
	for _, tc := range []struct {
		name, filename string
		file           []byte
		message        string
	}{
		{"svg", "logo.svg", mediatest.SVG(), "must be a PNG, JPEG or WebP"},
		{"text renamed .png", "logo.png", []byte("this is not an image at all"), "must be a PNG, JPEG or WebP"},
		{"decompression bomb", "bomb.png", mediatest.Bomb(50_000, 50_000), "too many pixels"},
		{"truncated png", "logo.png", mediatest.PNG(300, 300)[:200], "could not be read as an image"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			form := orgForm("Kept Org", "https://kept.example", "kim@kept.example", "DE")
			form.Set("statement", "We keep what you typed.")
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			res := postWithLogo(t, h, "/letters/"+webtest.LetterSlug+"/sign", form, tc.filename, tc.file)
			runtime.ReadMemStats(&after)
			if grown := after.TotalAlloc - before.TotalAlloc; grown > 50<<20 {
				t.Errorf("the request allocated %d MB", grown>>20)
			}
			if res.Status != http.StatusUnprocessableEntity {
				t.Fatalf("status %d, want 422", res.Status)
			}
			doc := res.Doc()
			if msg := doc.Find("#f-logo-error").Text(); !strings.Contains(msg, tc.message) {
				t.Errorf("beside the logo: %q, want %q", msg, tc.message)
			}
			if d, _ := doc.Find("#f-logo").Attr("aria-describedby"); !strings.Contains(d, "f-logo-error") {
				t.Errorf("the logo input is not described by its error: %q", d)
			}
			if v, _ := doc.Find("#f-name").Attr("value"); v != "Kept Org" {
				t.Errorf("name kept as %q", v)
			}
			if v, _ := doc.Find("#f-website").Attr("value"); v != "https://kept.example" {
				t.Errorf("website kept as %q", v)
			}
			if v := doc.Find("#f-statement").Text(); v != "We keep what you typed." {
				t.Errorf("statement kept as %q", v)
			}
			if enc, _ := doc.Find("form[action$='/sign#sign']").Attr("enctype"); enc != "multipart/form-data" {
				t.Errorf("the form sent back has enctype %q", enc)
			}
			if n := countSignatures(t, h); n != 0 {
				t.Errorf("%d signatures stored", n)
			}
		})
	}
}

// TestUploadOverTheLimitGets413 sends a multipart sign form larger than
// the route's limit (the body limit and a 1 MiB logo).
func TestUploadOverTheLimitGets413(t *testing.T) {
	h := webtest.New(t)
	form := orgForm("Big Org", "https://big.example", "kim@big.example", "DE")
	huge := append(mediatest.PNG(10, 10), make([]byte, 2<<20)...)
	res := postWithLogo(t, h, "/letters/"+webtest.LetterSlug+"/sign", form, "logo.png", huge)
	if res.Status != http.StatusRequestEntityTooLarge {
		t.Fatalf("status %d, want 413", res.Status)
	}
	req := multipartRequest(t, h, "/letters/"+webtest.LetterSlug+"/sign", form, "logo.png", huge)
	req.ContentLength = -1 // sent in chunks, with no length announced
	if res := h.Do(req); res.Status != http.StatusRequestEntityTooLarge {
		t.Errorf("chunked: status %d, want 413", res.Status)
	}
	if n := countSignatures(t, h); n != 0 {
		t.Errorf("%d signatures stored", n)
	}
}

// TestStatementIsShownOnlyOnceApprovedAndAChangeGoesBack has an individual
// sign with a statement (the individual's form stays URL-encoded): it is
// shown beside the name only once approved; a change through the manage
// link takes it off until approved again, and leaves the signature
// published. A logo sent by the manage link waits for review too.
func TestStatementIsShownOnlyOnceApprovedAndAChangeGoesBack(t *testing.T) {
	h := webtest.New(t)
	letter := "/letters/" + webtest.LetterSlug
	form := webtest.SignForm("ada@example.org")
	form.Set("statement", "Science needs open letters.")
	signAndConfirm(t, h, form)
	if strings.Contains(h.Get(letter).Body, "Science needs") {
		t.Fatal("the statement is shown before review")
	}
	sig := signatureByName(t, h, "Ada Lovelace")
	mod := h.LoginAs("mod@campaign.example", store.RoleModerator)
	decideMedia(t, mod, sig.ID, "statement", "approve")
	if got := h.Get(letter).Doc().Find(".names li q.statement").Text(); got != "Science needs open letters." {
		t.Fatalf("statement after approval: %q", got)
	}

	manage := manageLink(t, h, h.SMTP.Messages()[0])
	if got := h.Get(manage).Doc().Find("#f-statement").Text(); got != "Science needs open letters." {
		t.Errorf("the manage form shows statement %q", got)
	}
	change := url.Values{"name": {"Ada Lovelace"}, "affiliation": {"Analytical Society"}, "country": {"GB"},
		"show_name": {"yes"}, "statement": {"Science needs open letters, still."}}
	if res := h.PostForm(manage, change); res.Status != http.StatusSeeOther {
		t.Fatalf("manage: %d\n%s", res.Status, res.Body)
	}
	page := h.Get(letter).Body
	if strings.Contains(page, "Science needs") || !strings.Contains(page, "Ada Lovelace") {
		t.Error("after the signer's change the name stays published and the statement waits for review")
	}
	if got := signatureByName(t, h, "Ada Lovelace").Status; got != store.StatusPublished {
		t.Errorf("signature %s after changing the statement, want published", got)
	}
	decideMedia(t, mod, sig.ID, "statement", "approve")
	if got := h.Get(letter).Doc().Find(".names li q.statement").Text(); got != "Science needs open letters, still." {
		t.Errorf("statement after the second approval: %q", got)
	}

	org := signWithLogo(t, h, "Manage Org", "", "logo.png", mediatest.PNG(64, 64))
	decide(t, mod, "approve", []uint64{org.ID})
	decideMedia(t, mod, org.ID, "logo", "approve")
	orgManage := manageLink(t, h, h.SMTP.Messages()[len(h.SMTP.Messages())-1])
	orgForm := url.Values{"name": {"Manage Org"}, "website": {"https://manageorg.example"}, "org_type": {"ngo"}, "country": {"DE"}}
	if res := postWithLogo(t, h, orgManage, orgForm, "new.webp", mediatest.SVG()); res.Status != http.StatusUnprocessableEntity ||
		!strings.Contains(res.Doc().Find("#f-logo-error").Text(), "PNG, JPEG or WebP") {
		t.Errorf("an SVG by the manage link: %d", res.Status)
	}
	if res := postWithLogo(t, h, orgManage, orgForm, "new.png", mediatest.PNG(32, 32)); res.Status != http.StatusSeeOther {
		t.Fatalf("a new logo by the manage link: %d\n%s", res.Status, res.Body)
	}
	if res := h.Get(fmt.Sprintf("%s/logos/%d.png", letter, org.ID)); res.Status != http.StatusNotFound {
		t.Errorf("a replaced logo before its review: %d, want 404", res.Status)
	}
}

// TestWithdrawalDeletesTheLogo checks that a signer's withdrawal takes
// their logo and statement with it.
func TestWithdrawalDeletesTheLogo(t *testing.T) {
	h := webtest.New(t)
	sig := signWithLogo(t, h, "Gone Org", "We were here.", "logo.png", mediatest.PNG(64, 64))
	admin := h.LoginAs("admin@campaign.example", store.RoleAdmin)
	decide(t, admin, "approve", []uint64{sig.ID})
	decideMedia(t, admin, sig.ID, "logo", "approve")
	manage := manageLink(t, h, h.SMTP.Messages()[len(h.SMTP.Messages())-1])
	if res := h.PostForm(manage+"/withdraw", url.Values{"sure": {"yes"}}); res.Status != http.StatusOK {
		t.Fatalf("withdraw: %d", res.Status)
	}
	if res := h.Get(fmt.Sprintf("/letters/%s/logos/%d.png", webtest.LetterSlug, sig.ID)); res.Status != http.StatusNotFound {
		t.Errorf("logo after withdrawal: %d", res.Status)
	}
	if res := admin.Get(fmt.Sprintf("/admin/signatures/%d/logo.png", sig.ID)); res.Status != http.StatusNotFound {
		t.Errorf("logo for staff after withdrawal: %d", res.Status)
	}
}
