package web_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/undersigned/undersigned/pkg/store"
	"github.com/undersigned/undersigned/pkg/web/webtest"
)

func countSignatures(t *testing.T, h *webtest.Harness) int64 {
	t.Helper()
	var n int64
	if err := h.App.Store.Read(t.Context()).Model(&store.Signature{}).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

func TestSignFormRejectsBadInputBesideTheField(t *testing.T) {
	h := webtest.New(t)
	org := func(change func(url.Values)) url.Values {
		v := url.Values{"kind": {"organisation"}, "name": {"Open Rights Lab"}, "website": {"https://openrights.example"},
			"org_type": {"ngo"}, "country": {"DE"}, "contact_name": {"Kim Park"}, "email": {"kim@openrights.example"}, "consent": {"yes"}}
		change(v)
		return v
	}
	person := func(change func(url.Values)) url.Values {
		v := webtest.SignForm("ada@example.org")
		change(v)
		return v
	}
	tests := []struct {
		name    string
		form    url.Values
		field   string
		message string
		kept    map[string]string // other inputs that must come back as typed
	}{
		{"empty name", person(func(v url.Values) { v.Set("name", "   ") }), "name", "Enter a name",
			map[string]string{"email": "ada@example.org", "affiliation": "Analytical Society"}},
		{"malformed email", person(func(v url.Values) { v.Set("email", "ada@@example") }), "email", "right format",
			map[string]string{"name": "Ada Lovelace"}},
		{"email with display name", person(func(v url.Values) { v.Set("email", "Ada <ada@example.org>") }), "email", "right format", nil},
		{"unknown country", person(func(v url.Values) { v.Set("country", "XX") }), "country", "Choose a country",
			map[string]string{"name": "Ada Lovelace"}},
		{"missing consent", person(func(v url.Values) { v.Del("consent") }), "consent", "Tick the box",
			map[string]string{"name": "Ada Lovelace", "email": "ada@example.org"}},
		{"control character", person(func(v url.Values) { v.Set("name", "Ada\x07 Lovelace") }), "name", "control", nil},
		{"bidi override", person(func(v url.Values) { v.Set("name", "Ada \u202eecalevoL") }), "name", "invisible", nil},
		{"name too long", person(func(v url.Values) { v.Set("name", strings.Repeat("é", 201)) }), "name", "at most 200 characters", nil},
		{"website not http", org(func(v url.Values) { v.Set("website", "ftp://openrights.example") }), "website", "https://",
			map[string]string{"name": "Open Rights Lab", "contact_name": "Kim Park"}},
		{"website javascript", org(func(v url.Values) { v.Set("website", "javascript:alert(1)") }), "website", "https://", nil},
		{"missing organisation type", org(func(v url.Values) { v.Set("org_type", "cult") }), "org_type", "type of organisation", nil},
		{"missing contact", org(func(v url.Values) { v.Del("contact_name") }), "contact_name", "Enter your name", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := h.PostForm("/letters/"+webtest.LetterSlug+"/sign", tt.form)
			if res.Status != http.StatusUnprocessableEntity {
				t.Fatalf("status = %d, want 422", res.Status)
			}
			doc := res.Doc()
			id := "f-" + strings.ReplaceAll(tt.field, "_", "-")
			msg := doc.Find("#" + id + "-error").Text()
			if !strings.Contains(msg, tt.message) {
				t.Errorf("message beside %s = %q, want it to contain %q", tt.field, msg, tt.message)
			}
			if inv, _ := doc.Find("#" + id).Attr("aria-invalid"); inv != "true" {
				t.Errorf("%s lacks aria-invalid", id)
			}
			if desc, _ := doc.Find("#" + id).Attr("aria-describedby"); !strings.Contains(desc, id+"-error") {
				t.Errorf("%s aria-describedby = %q, want it to name the error", id, desc)
			}
			if doc.Find(".error-summary a[href='#"+id+"']").Length() != 1 {
				t.Errorf("error summary does not link to #%s", id)
			}
			for field, want := range tt.kept {
				got, _ := doc.Find("#f-" + strings.ReplaceAll(field, "_", "-")).Attr("value")
				if got != want {
					t.Errorf("%s came back as %q, want %q", field, got, want)
				}
			}
		})
	}
	if n := countSignatures(t, h); n != 0 {
		t.Errorf("%d signatures stored from invalid forms", n)
	}
}

// TestPersianNameWithANonJoinerIsStoredAsTyped signs with a name that needs
// ZERO WIDTH NON-JOINER (U+200C) between two letters, as Persian spelling does,
// and reads the stored row back byte for byte.
func TestPersianNameWithANonJoinerIsStoredAsTyped(t *testing.T) {
	h := webtest.New(t)
	const name = "سارا نیک\u200cپور"
	form := webtest.SignForm("sara@example.org")
	form.Set("name", name)
	h.Sign(form)
	var sig store.Signature
	if err := h.App.Store.Read(t.Context()).Take(&sig).Error; err != nil {
		t.Fatal(err)
	}
	if sig.Name != name {
		t.Errorf("stored name %+q, want %+q", sig.Name, name)
	}
}

func TestSignFormKeepsSelectionsAndTicks(t *testing.T) {
	h := webtest.New(t)
	form := webtest.SignForm("not an email")
	res := h.PostForm("/letters/"+webtest.LetterSlug+"/sign", form)
	doc := res.Doc()
	if v, _ := doc.Find("#f-country option[selected]").Attr("value"); v != "GB" {
		t.Errorf("selected country = %q, want GB", v)
	}
	if _, ok := doc.Find("#f-show-name").Attr("checked"); !ok {
		t.Error("show_name tick was lost")
	}
	if _, ok := doc.Find("#f-consent").Attr("checked"); !ok {
		t.Error("consent tick was lost")
	}
}

func TestOversizedChunkedBodyIsRefusedWith413(t *testing.T) {
	h := webtest.New(t)
	body := "kind=individual&name=" + strings.Repeat("a", 100<<10)
	req, _ := http.NewRequest(http.MethodPost, h.URL+"/letters/"+webtest.LetterSlug+"/sign", io.NopCloser(strings.NewReader(body)))
	req.ContentLength = -1 // sent in chunks, with no length announced
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if res := h.Do(req); res.Status != http.StatusRequestEntityTooLarge {
		t.Errorf("status = %d, want 413", res.Status)
	}
}

func TestOversizedBodyIsRefusedWith413(t *testing.T) {
	h := webtest.New(t)
	form := webtest.SignForm("ada@example.org")
	form.Set("name", strings.Repeat("a", 70<<10))
	res := h.PostForm("/letters/"+webtest.LetterSlug+"/sign", form)
	if res.Status != http.StatusRequestEntityTooLarge {
		t.Fatalf("status = %d, want 413", res.Status)
	}
	if !strings.Contains(res.Body, "too large") {
		t.Errorf("413 page does not explain:\n%s", res.Body)
	}
	if n := countSignatures(t, h); n != 0 {
		t.Errorf("%d signatures stored", n)
	}
}

func TestMalformedBodyIsABadRequestNotAServerError(t *testing.T) {
	h := webtest.New(t)
	req, _ := http.NewRequest(http.MethodPost, h.URL+"/letters/"+webtest.LetterSlug+"/sign", strings.NewReader("%zz=%%%"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if res := h.Do(req); res.Status != http.StatusBadRequest {
		t.Errorf("status = %d, want 400", res.Status)
	}
	req, _ = http.NewRequest(http.MethodPost, h.URL+"/letters/"+webtest.LetterSlug+"/sign", strings.NewReader("{}"))
	req.Header.Set("Content-Type", "application/json")
	if res := h.Do(req); res.Status != http.StatusUnsupportedMediaType {
		t.Errorf("JSON body: status = %d, want 415", res.Status)
	}
}

func TestSigningTwiceCreatesNothingNewAndSaysSo(t *testing.T) {
	h := webtest.New(t)
	h.Sign(webtest.SignForm("ada@example.org"))
	h.DrainOutbox()
	h.Clock.Advance(6 * time.Minute) // past the resend cooldown
	again := webtest.SignForm("  Ada@EXAMPLE.org ")
	again.Set("name", "Someone Else")
	h.Sign(again) // same page as a first signature: no enumeration
	if n := countSignatures(t, h); n != 1 {
		t.Fatalf("%d signatures, want 1", n)
	}
	h.DrainOutbox()
	msgs := h.SMTP.Messages()
	if len(msgs) != 2 {
		t.Fatalf("%d mails, want 2", len(msgs))
	}
	if !strings.HasPrefix(msgs[0].Subject, "Confirm your signature") {
		t.Errorf("first mail subject = %q", msgs[0].Subject)
	}
	if !strings.HasPrefix(msgs[1].Subject, "You have already signed") {
		t.Errorf("second mail subject = %q", msgs[1].Subject)
	}
	if !strings.Contains(msgs[1].Text, "Hello Ada Lovelace") {
		t.Errorf("already-signed mail should greet the original signer, not the new input:\n%s", msgs[1].Text)
	}
	// Not yet confirmed: the reminder repeats the link, which still works.
	first := webtest.ConfirmLink(t, h.URL, msgs[0])
	if second := webtest.ConfirmLink(t, h.URL, msgs[1]); second != first {
		t.Errorf("the reminder carries another link (%s) than the first mail (%s)", second, first)
	}
	if res := h.PostForm(first, nil); res.Status != http.StatusOK {
		t.Fatalf("confirm: %d", res.Status)
	}
	// Confirmed: signing again sends a reminder without a link.
	h.Clock.Advance(6 * time.Minute)
	h.Sign(webtest.SignForm("ada@example.org"))
	h.DrainOutbox()
	msgs = h.SMTP.Messages()
	last := msgs[len(msgs)-1]
	if len(msgs) != 3 || !strings.HasPrefix(last.Subject, "You have already signed") || strings.Contains(last.Text, "/confirm/") {
		t.Errorf("reminder after confirmation: %d mails, subject %q, text:\n%s", len(msgs), last.Subject, last.Text)
	}
	if !strings.Contains(last.Text, "/letters/"+webtest.LetterSlug) {
		t.Errorf("reminder should link to the letter:\n%s", last.Text)
	}
}

func TestSigningAgainAfterExpiryRenewsTheLink(t *testing.T) {
	h := webtest.New(t)
	h.Sign(webtest.SignForm("ada@example.org"))
	h.DrainOutbox()
	old := webtest.ConfirmLink(t, h.URL, h.SMTP.Messages()[0])
	h.Clock.Advance(8 * 24 * time.Hour)
	h.Sign(webtest.SignForm("ada@example.org"))
	h.DrainOutbox()
	fresh := webtest.ConfirmLink(t, h.URL, h.SMTP.WaitFor(t, 2, 5*time.Second)[1])
	if fresh == old {
		t.Fatal("an expired link was sent again")
	}
	if res := h.Get(old); res.Status != http.StatusNotFound {
		t.Errorf("the replaced link answers %d, want 404", res.Status)
	}
	if res := h.PostForm(fresh, nil); res.Status != http.StatusOK {
		t.Errorf("the new link: %d", res.Status)
	}
}

func TestRepeatedSigningDoesNotFloodTheInbox(t *testing.T) {
	h := webtest.New(t)
	sent := 0
	for range 5 {
		h.Sign(webtest.SignForm("victim@example.org"))
		h.Clock.Advance(30 * time.Second)
		sent += h.DrainOutbox()
	}
	if sent != 1 {
		t.Errorf("%d mails for five submissions within the cooldown, want 1", sent)
	}
	h.Clock.Advance(5 * time.Minute)
	h.Sign(webtest.SignForm("victim@example.org"))
	if n := h.DrainOutbox(); n != 1 {
		t.Errorf("after the cooldown: %d mails, want 1", n)
	}
}

func TestEmailIsSealedAtRest(t *testing.T) {
	h := webtest.New(t)
	h.Sign(webtest.SignForm("secret.signer@example.org"))
	var sig store.Signature
	if err := h.App.Store.Read(t.Context()).First(&sig).Error; err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(sig.EmailSealed), "secret.signer") || strings.Contains(sig.EmailHash, "secret.signer") {
		t.Error("email stored in the clear")
	}
	if sig.ConsentVersion == "" || sig.LetterVersion == "" || sig.Locale != "en" {
		t.Errorf("consent %q, letter version %q, locale %q not recorded", sig.ConsentVersion, sig.LetterVersion, sig.Locale)
	}
}

// TestCopiedDatabaseRevealsNoAddress reads the database files as bytes, as
// someone with a copy would, and finds neither the address nor its domain.
func TestCopiedDatabaseRevealsNoAddress(t *testing.T) {
	if os.Getenv(webtest.PostgresEnv) != "" {
		t.Skip("reads the SQLite files; the sealing itself is the same on PostgreSQL")
	}
	h := webtest.New(t)
	signAndConfirm(t, h, orgForm("Open Rights Lab", "https://openrights.example", "secret.contact@hidden-domain.example", "DE"))
	files, _ := filepath.Glob(h.DatabasePath() + "*") // the database, its WAL and shared memory
	if len(files) == 0 {
		t.Fatal("no database files")
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, secret := range []string{"secret.contact", "hidden-domain", "Kim Park"} {
			if bytes.Contains(b, []byte(secret)) {
				t.Errorf("%s contains %q in the clear", filepath.Base(f), secret)
			}
		}
	}
}

// TestSignerWhoLeavesIsNotAServerFault posts the sign form on behalf of a
// client that has already gone (its request's context is cancelled): nothing
// is stored, and the answer is nginx's 499, not a 500 counted as a fault.
func TestSignerWhoLeavesIsNotAServerFault(t *testing.T) {
	h := webtest.New(t)
	h.Get("/letters/" + webtest.LetterSlug) // the letter is loaded and cached
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	req := httptest.NewRequestWithContext(ctx, http.MethodPost, "/letters/"+webtest.LetterSlug+"/sign",
		strings.NewReader(webtest.SignForm("gone@example.org").Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.RemoteAddr = "192.0.2.7:4000"
	rec := httptest.NewRecorder()
	h.App.Web.Handler().ServeHTTP(rec, req)
	if rec.Code != 499 {
		t.Errorf("status %d, want 499", rec.Code)
	}
	if n := countSignatures(t, h); n != 0 {
		t.Errorf("%d signatures stored for a signer who left", n)
	}
}

// writerWork is what the database's writer did for one request: how many
// transactions it ran, and how many INSERTs into each table.
type writerWork struct {
	Transactions int
	Inserts      map[string]int
}

// writerWatch records the writer's transactions and INSERTs.
type writerWatch struct {
	mu           sync.Mutex
	transactions map[gorm.ConnPool]bool // kept, so that no transaction's address is reused
	inserts      map[string]int
}

// watchWriter starts recording what the writer of h's store does. Its
// *gorm.DB is reached through a write, which hands it to the function; the
// hooks added there stay on it.
func watchWriter(t *testing.T, h *webtest.Harness) *writerWatch {
	t.Helper()
	w := &writerWatch{}
	w.take()
	seen := func(insert bool) func(db *gorm.DB) {
		return func(db *gorm.DB) {
			if _, inTx := db.Statement.ConnPool.(*sql.Tx); !inTx {
				return // a read outside a transaction (PostgreSQL shares its pool)
			}
			w.mu.Lock()
			defer w.mu.Unlock()
			w.transactions[db.Statement.ConnPool] = true
			if insert {
				w.inserts[db.Statement.Table]++
			}
		}
	}
	err := h.App.Store.Write(t.Context(), func(tx *gorm.DB) error {
		cb := tx.Callback()
		return errors.Join(
			cb.Create().After("gorm:create").Register("test:writer_create", seen(true)),
			cb.Query().After("gorm:query").Register("test:writer_query", seen(false)),
			cb.Update().After("gorm:update").Register("test:writer_update", seen(false)),
			cb.Delete().After("gorm:delete").Register("test:writer_delete", seen(false)),
		)
	})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// take returns what the writer did since the last take.
func (w *writerWatch) take() writerWork {
	w.mu.Lock()
	defer w.mu.Unlock()
	work := writerWork{Transactions: len(w.transactions), Inserts: w.inserts}
	w.transactions, w.inserts = map[gorm.ConnPool]bool{}, map[string]int{}
	return work
}

// TestSigningAgainCostsOneWriteLikeSigningAnew signs with an address that
// has signed (its mail sent, the resend cooldown past, so that it is
// reminded) and with a new one: the writer runs one transaction for each,
// with one INSERT of the signature (skipped for the known address) and one
// of its mail. The time the form takes must not tell the two apart.
func TestSigningAgainCostsOneWriteLikeSigningAnew(t *testing.T) {
	h := webtest.New(t)
	h.Sign(webtest.SignForm("ada@example.org"))
	h.DrainOutbox()
	h.Clock.Advance(6 * time.Minute)
	watch := watchWriter(t, h)

	h.Sign(webtest.SignForm("bob@example.org"))
	fresh := watch.take()
	h.Sign(webtest.SignForm("ada@example.org"))
	again := watch.take()

	want := writerWork{Transactions: 1, Inserts: map[string]int{"signatures": 1, "mail_jobs": 1}}
	for _, got := range []struct {
		name string
		work writerWork
	}{{"a new address", fresh}, {"an address that signed", again}} {
		if !reflect.DeepEqual(got.work, want) {
			t.Errorf("signing with %s: the writer did %+v, want %+v", got.name, got.work, want)
		}
	}
	h.DrainOutbox()
	msgs := h.SMTP.Messages()
	if last := msgs[len(msgs)-1]; len(msgs) != 3 || !strings.HasPrefix(last.Subject, "You have already signed") {
		t.Errorf("%d mails, the last %q; want 3, the last saying the address has signed", len(msgs), last.Subject)
	}
}
