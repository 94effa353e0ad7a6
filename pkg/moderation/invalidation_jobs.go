package moderation

import (
	"context"
	"sync"

	"github.com/undersigned/undersigned/pkg/store"
)

// Invalidation is a bulk invalidation that the console started, as it
// stands: the console's progress page shows it.
type Invalidation struct {
	ID       int
	Total    int64 // signatures matched when it started
	Done     int   // invalidated so far
	Finished bool
	Err      error // why it stopped early, once Finished
}

// keptInvalidations is how many invalidations a server remembers for the
// progress page; the audit log keeps every change for good.
const keptInvalidations = 100

// invalidations are the bulk invalidations this server runs or ran.
type invalidations struct {
	mu      sync.Mutex
	next    int
	byID    map[int]*Invalidation
	running sync.WaitGroup
}

func newInvalidations() *invalidations { return &invalidations{byID: map[int]*Invalidation{}} }

// StartInvalidation counts the signatures c matches and rejects them in the
// background, a chunk at a time (see Invalidate), so that the request that
// asks returns at once and staff can follow the progress; it returns the
// invalidation's id for InvalidationStatus.
func (s *Service) StartInvalidation(ctx context.Context, actor *store.Staff, c Criteria) (int, error) {
	total, err := s.PreviewInvalidation(ctx, c)
	if err != nil {
		return 0, err
	}
	jobs := s.jobs
	jobs.mu.Lock()
	jobs.next++
	inv := &Invalidation{ID: jobs.next, Total: total}
	jobs.byID[inv.ID] = inv
	delete(jobs.byID, inv.ID-keptInvalidations)
	jobs.mu.Unlock()

	jobs.running.Go(func() {
		n, err := s.Invalidate(context.WithoutCancel(ctx), actor, c, func(done int) {
			jobs.mu.Lock()
			inv.Done = done
			jobs.mu.Unlock()
		})
		jobs.mu.Lock()
		inv.Done, inv.Finished, inv.Err = n, true, err
		jobs.mu.Unlock()
	})
	return inv.ID, nil
}

// InvalidationStatus returns a copy of the invalidation with id, if this
// server started it recently.
func (s *Service) InvalidationStatus(id int) (Invalidation, bool) {
	s.jobs.mu.Lock()
	defer s.jobs.mu.Unlock()
	inv, ok := s.jobs.byID[id]
	if !ok {
		return Invalidation{}, false
	}
	return *inv, true
}

// WaitInvalidations returns once every invalidation started has finished;
// the server waits for them when it stops.
func (s *Service) WaitInvalidations() { s.jobs.running.Wait() }
