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

// TestBulkMailWalksSignaturesByID checks the plan of the query that finds
// the next chunk of signers to mail in bulk: a walk of the table by id from
// the last chunk, not a search of the letter's signatures sorted anew for
// each chunk, in the one writer.
func TestBulkMailWalksSignaturesByID(t *testing.T) {
	db := openMigratedStore(t).Read(context.Background())
	stmt := standingSigners(db.Session(&gorm.Session{DryRun: true}), 1, 100, 500).Pluck("id", &[]uint64{}).Statement
	var plan []struct{ Detail string }
	if err := db.Raw("EXPLAIN QUERY PLAN "+stmt.SQL.String(), stmt.Vars...).Scan(&plan).Error; err != nil {
		t.Fatal(err)
	}
	var details []string
	for _, step := range plan {
		details = append(details, step.Detail)
	}
	if got := strings.Join(details, "; "); !strings.Contains(got, "INTEGER PRIMARY KEY (rowid>?)") || strings.Contains(got, "TEMP B-TREE") {
		t.Errorf("the plan is %q, not a walk by id", got)
	}
}
