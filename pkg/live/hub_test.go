package live_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/undersigned/undersigned/pkg/live"
	"github.com/undersigned/undersigned/pkg/store"
)

// fixture is a store with one letter, and a way to publish signatures in it
// as the signing service would: row, count and notification.
type fixture struct {
	st     *store.Store
	hub    *live.Hub
	letter store.Letter
	n      int
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	st, err := store.Open(store.Options{Driver: "sqlite", DataDir: t.TempDir(), Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	if err := st.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	f := &fixture{st: st, letter: store.Letter{Slug: "l", Title: "L", Body: "b", Lang: "en", VersionHash: "v"}}
	if err := st.Write(context.Background(), func(tx *gorm.DB) error { return store.UpsertLetter(tx, &f.letter) }); err != nil {
		t.Fatal(err)
	}
	f.hub = live.NewHub(st, live.HubConfig{Interval: time.Hour, NamesPerCountry: 2}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	return f
}

func (f *fixture) publish(t *testing.T, name, country string) {
	t.Helper()
	f.n++
	sig := store.Signature{LetterID: f.letter.ID, Kind: store.KindIndividual, Name: name, Country: country, ShowName: true,
		EmailSealed: []byte{1}, EmailHash: fmt.Sprint(f.n), Status: store.StatusPublished, TokenHash: fmt.Sprint(f.n),
		Locale: "en", LetterVersion: "v", ConsentVersion: "c"}
	sig.SetDerived(f.st.SortKeys)
	err := f.st.Write(context.Background(), func(tx *gorm.DB) error {
		if err := tx.Create(&sig).Error; err != nil {
			return err
		}
		return store.AddToCount(tx, f.letter.ID, country, store.KindIndividual, true, 1)
	})
	if err != nil {
		t.Fatal(err)
	}
	f.hub.Notify(store.Change{LetterID: f.letter.ID, Countries: []string{country}, Published: []uint64{sig.ID}})
}

func TestBurstIsOneUpdateWithEveryName(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	sub, first, err := f.hub.Subscribe(ctx, f.letter.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	if first.Totals.Total != 0 {
		t.Fatalf("first update: %+v", first)
	}
	for i := range 5 {
		f.publish(t, fmt.Sprintf("Person %d", i), "DE")
	}
	f.hub.Broadcast(ctx)
	select {
	case u := <-sub.C:
		if u.Totals.Total != 5 || len(u.Names) != 5 {
			t.Errorf("update: total %d, %d names; want 5 and 5", u.Totals.Total, len(u.Names))
		}
	default:
		t.Fatal("no update after the broadcast")
	}
	f.hub.Broadcast(ctx)
	select {
	case u := <-sub.C:
		t.Errorf("a second update with nothing new: %+v", u)
	default:
	}
}

func TestReconnectReplaysMissedNames(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.publish(t, "Ada", "GB")
	snap, err := f.hub.Snapshot(ctx, f.letter.ID)
	if err != nil {
		t.Fatal(err)
	}
	seen := snap.Seq
	f.publish(t, "Bob", "GB")
	f.publish(t, "Cem", "TR")
	_, first, err := f.hub.Subscribe(ctx, f.letter.ID, seen)
	if err != nil {
		t.Fatal(err)
	}
	if first.Totals.Total != 3 || len(first.Names) != 2 || first.Names[0].Name != "Bob" || first.Names[1].Name != "Cem" {
		t.Errorf("replay after %d: %+v", seen, first)
	}
}

func TestSnapshotKeepsTheFirstNamesOfEachCountry(t *testing.T) {
	f := newFixture(t)
	for _, n := range []string{"zoe", "Émile", "adam", "Bea"} {
		f.publish(t, n, "FR")
	}
	snap, err := f.hub.Snapshot(context.Background(), f.letter.ID)
	if err != nil {
		t.Fatal(err)
	}
	_, people := snap.Names("FR")
	if len(people) != 2 || people[0].Name != "adam" || people[1].Name != "Bea" {
		t.Errorf("first names: %+v", people)
	}
	c, ok := snap.Country("FR")
	if !ok || c.Total != 4 || c.Named() != 4 {
		t.Errorf("country: %+v", c)
	}
	f.publish(t, "Aaron", "FR")
	snap, _ = f.hub.Snapshot(context.Background(), f.letter.ID)
	if _, people = snap.Names("FR"); people[0].Name != "Aaron" {
		t.Errorf("after a new name: %+v", people)
	}
}

// replayed lists the names a client that saw update seq is sent on
// reconnecting.
func (f *fixture) replayed(t *testing.T, seq uint64) []string {
	t.Helper()
	sub, first, err := f.hub.Subscribe(context.Background(), f.letter.ID, seq)
	if err != nil {
		t.Fatal(err)
	}
	f.hub.Unsubscribe(sub)
	var names []string
	for _, n := range first.Names {
		names = append(names, n.Name)
	}
	return names
}

// TestNameHiddenElsewhereIsNotReplayedWhileBusyHere: another server hides a
// name while this one has changes of its own to read (it is never idle);
// the next rebuild still drops the name from what reconnecting clients are
// sent, and from the snapshot's list, though its country did not change
// here.
func TestNameHiddenElsewhereIsNotReplayedWhileBusyHere(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	sub, first, err := f.hub.Subscribe(ctx, f.letter.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.hub.Unsubscribe(sub)
	f.publish(t, "Ada", "GB")
	if got := f.replayed(t, first.Seq); len(got) != 1 {
		t.Fatalf("before hiding, the replay is %v", got)
	}
	f.publish(t, "Bea", "FR") // a change of this server's own, not read yet

	// Another server hides Ada: the database changes, this hub is not told.
	err = f.st.Write(ctx, func(tx *gorm.DB) error {
		var ada store.Signature
		if err := tx.Where("name = ?", "Ada").Take(&ada).Error; err != nil {
			return err
		}
		now := time.Now()
		ada.ConfirmedAt = &now
		_, err := f.st.MoveSignature(tx, &ada, store.Move{Event: store.EventHide, To: store.StatusHidden, By: store.SignerActor(), At: now})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := f.replayed(t, first.Seq); len(got) != 1 || got[0] != "Bea" {
		t.Errorf("after Ada was hidden elsewhere, the replay is %v, want Bea alone", got)
	}
	snap, err := f.hub.Snapshot(ctx, f.letter.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, individuals := snap.Names("GB"); len(individuals) != 0 {
		t.Errorf("the snapshot still names %v in GB", individuals)
	}
}

// TestNameCommittedLateElsewhereReachesTheStream: another server publishes
// a name stamped before this server's last build began, its commit having
// come after (as under load, when a transaction waits): the next rebuild
// still finds it and streams it.
func TestNameCommittedLateElsewhereReachesTheStream(t *testing.T) {
	f := newFixture(t)
	hub := live.NewHub(f.st, live.HubConfig{Interval: 5 * time.Millisecond, NamesPerCountry: 2}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	sub, _, err := hub.Subscribe(ctx, f.letter.ID, 0) // the build, from now
	if err != nil {
		t.Fatal(err)
	}
	defer hub.Unsubscribe(sub)
	go hub.Run(ctx)

	stamped := time.Now().Add(-2 * time.Second)
	sig := store.Signature{LetterID: f.letter.ID, Kind: store.KindIndividual, Name: "Cid", Country: "DE", ShowName: true,
		EmailSealed: []byte{1}, EmailHash: "cid", Status: store.StatusPublished, TokenHash: "cid", Locale: "en",
		LetterVersion: "v", ConsentVersion: "c", ConfirmedAt: &stamped, PublishedAt: &stamped}
	sig.SetDerived(f.st.SortKeys)
	err = f.st.Write(ctx, func(tx *gorm.DB) error {
		if err := tx.Create(&sig).Error; err != nil {
			return err
		}
		return store.AddToCount(tx, f.letter.ID, "DE", store.KindIndividual, true, 1)
	})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.After(10 * time.Second)
	for {
		select {
		case u := <-sub.C:
			for _, n := range u.Names {
				if n.Name == "Cid" {
					return
				}
			}
		case <-deadline:
			t.Fatal("the name published elsewhere never reached the stream")
		}
	}
}
