package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"gorm.io/gorm"

	"github.com/undersigned/undersigned/pkg/abuse"
	"github.com/undersigned/undersigned/pkg/config"
	"github.com/undersigned/undersigned/pkg/moderation"
	"github.com/undersigned/undersigned/pkg/store"
	"github.com/undersigned/undersigned/pkg/web/webtest"
)

func TestAdminsBlockDomainsAndNetworks(t *testing.T) {
	h := webtest.New(t)
	admin := h.LoginAs("admin@campaign.example", store.RoleAdmin)
	page := admin.Get("/admin/abuse")
	checkPageBasics(t, "/admin/abuse", page)
	if res := admin.Post("/admin/abuse/blocks", url.Values{"kind": {"domain"}, "value": {"not a domain!"}}); res.Status != http.StatusUnprocessableEntity {
		t.Errorf("bad value: %d", res.Status)
	}
	if res := admin.Post("/admin/abuse/blocks", url.Values{"kind": {"domain"}, "value": {"Spam.Example"}, "note": {"bot farm"}}); res.Status != http.StatusSeeOther {
		t.Fatalf("block domain: %d", res.Status)
	}
	h.Sign(webtest.SignForm("bot@spam.example")) // answered like any signature...
	if n := countSignatures(t, h); n != 0 {
		t.Errorf("...but %d stored from a blocked domain", n)
	}
	if res := admin.Post("/admin/abuse/blocks", url.Values{"kind": {"network"}, "value": {"127.0.0.1"}}); res.Status != http.StatusSeeOther {
		t.Fatalf("block network: %d", res.Status)
	}
	h.Sign(webtest.SignForm("person@example.org"))
	if n := countSignatures(t, h); n != 0 {
		t.Errorf("%d stored from a blocked network", n)
	}
	blocks := admin.Get("/admin/abuse").Doc().Find("table.blocks tbody tr")
	if blocks.Length() != 2 || !strings.Contains(blocks.Text(), "spam.example") || !strings.Contains(blocks.Text(), "127.0.0.1/32") {
		t.Fatalf("block list: %q", blocks.Text())
	}
	id, _ := admin.Get("/admin/abuse").Doc().Find(`form[action="/admin/abuse/blocks/delete"] input[name="id"]`).First().Attr("value")
	if res := admin.Post("/admin/abuse/blocks/delete", url.Values{"id": {id}}); res.Status != http.StatusSeeOther {
		t.Fatalf("unblock: %d", res.Status)
	}
	h.Sign(webtest.SignForm("person@example.org"))
	if n := countSignatures(t, h); n != 1 {
		t.Errorf("after unblocking the network: %d signatures", n)
	}
	if n := len(auditEvents(t, h, "block_add")) + len(auditEvents(t, h, "block_remove")); n != 3 {
		t.Errorf("%d block changes audited, want 3", n)
	}
	mod := h.LoginAs("mod@campaign.example", store.RoleModerator)
	if res := mod.Get("/admin/abuse"); res.Status != http.StatusForbidden {
		t.Errorf("moderator on the abuse page: %d", res.Status)
	}
}

func TestBulkInvalidationWithPreview(t *testing.T) {
	h := webtest.New(t, func(c *config.Config) { c.Letters[0].Review = nil })
	for _, e := range []string{"a@fake.example", "b@fake.example", "c@fake.example"} {
		signAndConfirm(t, h, webtest.SignForm(e))
	}
	signAndConfirm(t, h, webtest.SignForm("honest@example.org"))
	admin := h.LoginAs("admin@campaign.example", store.RoleAdmin)
	form := url.Values{"letter": {webtest.LetterSlug}, "domain": {"fake.example"}}

	if res := admin.Post("/admin/abuse/invalidate", url.Values{"letter": {webtest.LetterSlug}}); res.Status != http.StatusUnprocessableEntity {
		t.Errorf("no criteria: %d", res.Status)
	}
	preview := admin.Post("/admin/abuse/invalidate", form)
	if preview.Status != http.StatusOK || !strings.Contains(preview.Body, "3 signatures match") {
		t.Fatalf("preview: %d", preview.Status)
	}
	if got := totals(t, h); got.Total != 4 {
		t.Fatalf("the preview changed something: total %d", got.Total)
	}
	form.Set("confirm", "yes")
	res := admin.Post("/admin/abuse/invalidate", form)
	if res.Status != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/admin/abuse/invalidations/") {
		t.Fatalf("invalidate: %d %s", res.Status, res.Header.Get("Location"))
	}
	h.App.Moderator.WaitJobs()
	if page := admin.Get(res.Header.Get("Location")); !strings.Contains(page.Body, "Finished. Signatures invalidated: 3.") {
		t.Errorf("progress page after the end: %s", page.Doc().Find("main").Text())
	}
	if got := totals(t, h); got.Total != 1 {
		t.Errorf("total after invalidation: %d, want the honest one", got.Total)
	}
	if n := len(auditEvents(t, h, "invalidate")); n != 3 {
		t.Errorf("%d invalidations audited", n)
	}
	// By network: everything left came from 127.0.0.0/24.
	byNetwork := url.Values{"letter": {webtest.LetterSlug}, "network": {"127.0.0.99"}}
	if res := admin.Post("/admin/abuse/invalidate", byNetwork); !strings.Contains(res.Body, "1 signature matches") {
		t.Errorf("preview by network: %s", res.Doc().Find(".notice").Text())
	}
	outside := url.Values{"letter": {webtest.LetterSlug}, "network": {"198.51.100.0/24"}}
	if res := admin.Post("/admin/abuse/invalidate", outside); !strings.Contains(res.Body, "0 signatures match") {
		t.Errorf("another network matched: %s", res.Doc().Find(".notice").Text())
	}
	window := url.Values{"letter": {webtest.LetterSlug}, "network": {"127.0.0.1"}, "to": {"2026-11-26T11:00"}}
	if res := admin.Post("/admin/abuse/invalidate", window); !strings.Contains(res.Body, "0 signatures match") {
		t.Errorf("a window before the signatures matched: %s", res.Doc().Find(".notice").Text())
	}
}

// TestInvalidationCommitsAChunkAtATime: 2,499 matching signatures are
// invalidated in transactions of at most 1,000, each reported as it
// commits, so that signers are served between them; the counts follow.
func TestInvalidationCommitsAChunkAtATime(t *testing.T) {
	h := webtest.New(t)
	ids := h.SeedPending(2500, "DE")
	domainHash := abuse.DomainHash(h.App.Vault, "flood.example")
	err := h.App.Store.Write(t.Context(), func(tx *gorm.DB) error {
		return tx.Model(&store.Signature{}).Where("id IN ?", ids[:2499]).Update("email_domain_hash", domainHash).Error
	})
	if err != nil {
		t.Fatal(err)
	}
	letter, _ := h.App.Letters.BySlug(webtest.LetterSlug)
	admin := h.AddStaff("admin@campaign.example", store.RoleAdmin)
	var progress []int
	n, err := h.App.Moderator.Invalidate(t.Context(), admin, moderation.Criteria{LetterID: letter.ID, Domain: "flood.example"},
		func(done int) { progress = append(progress, done) })
	if err != nil || n != 2499 {
		t.Fatalf("invalidated %d (%v), want 2499", n, err)
	}
	prev := 0
	for _, done := range progress {
		if done-prev > 1000 || done <= prev {
			t.Errorf("progress %v, want a report after each chunk of at most 1,000", progress)
			break
		}
		prev = done
	}
	if len(progress) < 3 || prev != 2499 {
		t.Errorf("progress %v, want at least 3 chunks ending at 2499", progress)
	}
	var left int64
	h.App.Store.Read(t.Context()).Model(&store.Signature{}).Where("status = ?", store.StatusPendingReview).Count(&left)
	if left != 1 || len(auditEvents(t, h, "invalidate")) != 2499 {
		t.Errorf("%d left pending, %d audited", left, len(auditEvents(t, h, "invalidate")))
	}
}
