package web_test

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/undersigned/undersigned/pkg/config"
	"github.com/undersigned/undersigned/pkg/store"
	"github.com/undersigned/undersigned/pkg/vault"
	"github.com/undersigned/undersigned/pkg/web/webtest"
)

// signatureSignedBy is the signature signed with the address email.
func signatureSignedBy(t *testing.T, h *webtest.Harness, email string) store.Signature {
	t.Helper()
	var sigs []store.Signature
	if err := h.App.Store.Read(t.Context()).Order("id").Find(&sigs).Error; err != nil {
		t.Fatal(err)
	}
	for _, sig := range sigs {
		if addr, err := h.App.Vault.Open(vault.PurposeEmail, sig.EmailSealed); err == nil && addr == email {
			return sig
		}
	}
	t.Fatalf("no signature of %s", email)
	return store.Signature{}
}

// TestKeepInformedBoxIsUntickedAndRecorded: both kinds' sign forms offer
// an optional "keep me informed" box, unticked; a signer who leaves it
// is not kept informed, one who ticks it is, with the version of its text
// and the time, and the export shows both.
func TestKeepInformedBoxIsUntickedAndRecorded(t *testing.T) {
	h := webtest.New(t, func(c *config.Config) { c.Letters[0].Review = nil })
	for _, path := range []string{"/letters/" + webtest.LetterSlug, "/letters/" + webtest.LetterSlug + "?kind=organisation"} {
		box := h.Get(path).Doc().Find("#f-keep-informed")
		if box.Length() != 1 || box.AttrOr("type", "") != "checkbox" {
			t.Fatalf("%s: no keep-informed checkbox", path)
		}
		if _, ticked := box.Attr("checked"); ticked {
			t.Errorf("%s: the keep-informed box is ticked before the signer ticks it", path)
		}
		if _, required := box.Attr("required"); required {
			t.Errorf("%s: the keep-informed box is required", path)
		}
		if label := h.Get(path).Doc().Find(`label[for="f-keep-informed"]`).Text(); !strings.Contains(label, "Keep me informed about this letter") {
			t.Errorf("%s: the box's label is %q", path, label)
		}
	}
	h.Sign(webtest.SignForm("quiet@example.org"))
	informed := webtest.SignForm("informed@example.org")
	informed.Set("keep_informed", "on")
	h.Sign(informed)

	if quiet := signatureSignedBy(t, h, "quiet@example.org"); quiet.KeepInformed || quiet.KeepInformedVersion != "" || quiet.KeepInformedAt != nil {
		t.Errorf("a signer who left the box: kept informed %v, version %q, at %v", quiet.KeepInformed, quiet.KeepInformedVersion, quiet.KeepInformedAt)
	}
	sig := signatureSignedBy(t, h, "informed@example.org")
	if !sig.KeepInformed || sig.KeepInformedVersion != h.App.Config.Signing.UpdatesConsentVersion || sig.KeepInformedVersion == "" ||
		sig.KeepInformedAt == nil || !sig.KeepInformedAt.Equal(h.Clock.Now()) {
		t.Errorf("a signer who ticked the box: kept informed %v, version %q, at %v", sig.KeepInformed, sig.KeepInformedVersion, sig.KeepInformedAt)
	}

	confirmAll(t, h, []string{"quiet@example.org", "informed@example.org"})
	admin := h.LoginAs("admin@campaign.example", store.RoleAdmin)
	rows := csvRows(t, admin.Post("/admin/export", url.Values{"letter": {webtest.LetterSlug}}))
	column := map[string]int{}
	for i, name := range rows[0] {
		column[name] = i
	}
	byName := map[string]bool{}
	for _, row := range rows[1:] {
		byName[row[column["keep_informed"]]+" "+row[column["keep_informed_version"]]] = true
		if row[column["keep_informed"]] == "true" && row[column["keep_informed_at"]] != h.Clock.Now().Format(time.RFC3339) {
			t.Errorf("exported time of consent %q", row[column["keep_informed_at"]])
		}
	}
	if !byName["true "+sig.KeepInformedVersion] || !byName["false "] {
		t.Errorf("the export's consent columns: %v", rows)
	}
}
