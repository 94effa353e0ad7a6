package web_test

import (
	"net/http"
	"net/url"
	"testing"

	"gorm.io/gorm"

	"github.com/undersigned/undersigned/pkg/store"
	"github.com/undersigned/undersigned/pkg/web/webtest"
)

// TestAChangeIsNotMadeWithoutItsAuditEntry: with the audit log unwritable,
// staff changes fail whole. Each audit entry is written in the transaction
// of the change it records, so no change is ever made unrecorded.
func TestAChangeIsNotMadeWithoutItsAuditEntry(t *testing.T) {
	h := webtest.New(t)
	admin := h.LoginAs("admin@campaign.example", store.RoleAdmin)
	h.AddStaff("mod@campaign.example", store.RoleModerator)
	id := h.SeedPending(1, "DE")[0]
	db := h.App.Store.Read(t.Context())
	var blocks int64
	if err := db.Model(&store.Block{}).Count(&blocks).Error; err != nil {
		t.Fatal(err)
	}
	rename := func(from, to string) {
		t.Helper()
		if err := h.App.Store.Write(t.Context(), func(tx *gorm.DB) error { return tx.Exec("ALTER TABLE " + from + " RENAME TO " + to).Error }); err != nil {
			t.Fatal(err)
		}
	}
	rename("audit_events", "audit_events_away")
	attempts := map[string]*webtest.Response{
		"add staff":     admin.Post("/admin/staff", url.Values{"email": {"new@campaign.example"}, "role": {"moderator"}, "password": {"a long enough password"}}),
		"disable staff": admin.Post("/admin/staff/disable", url.Values{"email": {"mod@campaign.example"}}),
		"block":         admin.Post("/admin/abuse/blocks", url.Values{"kind": {"domain"}, "value": {"spam.example"}}),
		"approve":       decide(t, admin, "approve", []uint64{id}),
	}
	rename("audit_events_away", "audit_events")
	for what, res := range attempts {
		if res.Status != http.StatusInternalServerError {
			t.Errorf("%s without an audit log: %d", what, res.Status)
		}
	}
	var newStaff, disabled, blocksAfter int64
	db.Model(&store.Staff{}).Where("email = ?", "new@campaign.example").Count(&newStaff)
	db.Model(&store.Staff{}).Where("disabled").Count(&disabled)
	db.Model(&store.Block{}).Count(&blocksAfter)
	sig, err := store.SignatureByID(db, id)
	if err != nil {
		t.Fatal(err)
	}
	if newStaff != 0 || disabled != 0 || blocksAfter != blocks || sig.Status != store.StatusPendingReview {
		t.Errorf("changes made unrecorded: %d staff added, %d disabled, %d blocks added, signature %s",
			newStaff, disabled, blocksAfter-blocks, sig.Status)
	}
}
