package store

import (
	"context"
	"strings"
	"testing"

	"gorm.io/gorm"
)

// TestPublicListUsesThePublishedOnlyIndex checks the plans of the public
// list's queries: idx_signatures_wall holds published rows only, and a
// database uses such an index only for a query that implies its condition.
func TestPublicListUsesThePublishedOnlyIndex(t *testing.T) {
	db := openMigratedStore(t).Read(context.Background())
	for _, f := range []SignatoryFilter{
		{},
		{Limit: 50, Offset: 100},
		{Country: "DE"},
		{Kind: KindIndividual},
		{Country: "DE", Kind: KindOrganisation, Limit: 50},
		{Query: "ada"},
	} {
		// Planned as it runs, its values bound, not written into the text.
		stmt := signatoriesQuery(db.Session(&gorm.Session{DryRun: true}), 1, f).Find(&[]PublicSignatory{}).Statement
		var plan []struct{ Detail string }
		if err := db.Raw("EXPLAIN QUERY PLAN "+stmt.SQL.String(), stmt.Vars...).Scan(&plan).Error; err != nil {
			t.Fatalf("%+v: %v", f, err)
		}
		var details []string
		for _, step := range plan {
			details = append(details, step.Detail)
		}
		if got := strings.Join(details, "; "); !strings.Contains(got, "USING INDEX idx_signatures_wall") {
			t.Errorf("%+v: the plan is %q, not a search of idx_signatures_wall", f, got)
		}
	}
}
