package store

import (
	"context"
	"fmt"
	"testing"
	"time"

	"gorm.io/gorm"
)

// TestHistoryFollowsEveryMove makes every move of the lifecycle's table,
// corrections and edits to another country: after each, the letter's hours
// add up to its public count and to its confirmed signatures that stand or
// were decided, and the move's change is in the hour it was made.
func TestHistoryFollowsEveryMove(t *testing.T) {
	st, letter := openLetterStore(t)
	ctx := context.Background()
	for i, rule := range Lifecycle() {
		sig := seedIn(t, st, letter, rule.From, fmt.Sprintf("H%d", i))
		err := st.Write(ctx, func(tx *gorm.DB) error { // seeded as if its moves had been made an hour before
			return rollUp(tx, &Signature{Status: StatusUnconfirmed, Kind: sig.Kind, Country: sig.Country}, sig, lifecycleNow.Add(-time.Hour))
		})
		if err != nil {
			t.Fatal(err)
		}
		m := Move{Event: rule.Event, To: rule.To, By: SignerActor(), At: lifecycleNow.Add(time.Duration(i) * time.Hour)}
		if rule.Event == EventCorrect || rule.Event == EventEdit {
			m.Public = &PublicFields{Name: sig.Name, Website: sig.Website, OrgType: "ngo", Country: "FR", ShowName: true}
		}
		if _, err := move(st, sig, m); err != nil {
			t.Fatalf("%s from %s: %v", rule.Event, rule.From, err)
		}
		points, err := LetterHistory(st.Read(ctx), letter.ID)
		if err != nil {
			t.Fatal(err)
		}
		var confirmed, published int64
		for _, p := range points {
			confirmed, published = confirmed+p.Confirmed, published+p.Published
		}
		var standing int64
		err = st.Read(ctx).Model(&Signature{}).Where("letter_id = ? AND status IN ?", letter.ID,
			[]Status{StatusPendingReview, StatusPublished, StatusHidden, StatusRejected}).Count(&standing).Error
		if err != nil {
			t.Fatal(err)
		}
		if counted := countedOf(t, st, letter); published != counted || confirmed != standing {
			t.Errorf("%s from %s to %s: the hours add up to %d published, %d confirmed; want %d, %d",
				rule.Event, rule.From, rule.To, published, confirmed, counted, standing)
		}
		if len(points) == 0 {
			continue
		}
		if last := points[len(points)-1]; (rule.From == StatusPublished) != (rule.To == StatusPublished) && !last.At.Equal(m.At) {
			t.Errorf("%s from %s to %s: last change at %s, want %s", rule.Event, rule.From, rule.To, last.At, m.At)
		}
	}
}
