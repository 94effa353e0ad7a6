package moderation

import (
	"context"
	"sync"

	"github.com/undersigned/undersigned/pkg/store"
)

// JobKind says what a bulk job does.
type JobKind string

// The bulk jobs the console starts.
const (
	JobInvalidation JobKind = "invalidation" // StartInvalidation
	JobDecision     JobKind = "decision"     // StartDecision
)

// Job is a bulk change the console started, running in the background a
// chunk at a time, as it stands: the console's progress pages show it.
type Job struct {
	ID       int
	Kind     JobKind
	Action   Action // a decision's action
	Total    int64  // signatures matched when it started
	Done     int    // changed so far
	Finished bool
	Err      error // why it stopped early, once Finished
}

// Skipped is how many of the signatures matched when the job started it
// left as they were: they had changed meanwhile (or it stopped early).
func (j Job) Skipped() int { return max(0, int(j.Total)-j.Done) }

// keptJobs is how many jobs a server remembers for the progress pages; the
// audit log keeps every change for good.
const keptJobs = 100

// jobs are the bulk jobs this server runs or ran.
type jobs struct {
	mu      sync.Mutex
	next    int
	byID    map[int]*Job
	running sync.WaitGroup
}

func newJobs() *jobs { return &jobs{byID: map[int]*Job{}} }

// work is a job's body: it reports how many it has changed so far through
// progress, and returns how many it changed in all.
type work func(ctx context.Context, progress func(done int)) (int, error)

// start runs w in the background, on a context that outlives the request
// that asks, and returns the job's id for JobStatus.
func (js *jobs) start(ctx context.Context, job Job, w work) int {
	js.mu.Lock()
	js.next++
	j := &job
	j.ID = js.next
	js.byID[j.ID] = j
	delete(js.byID, j.ID-keptJobs)
	js.mu.Unlock()

	js.running.Go(func() {
		n, err := w(context.WithoutCancel(ctx), func(done int) {
			js.mu.Lock()
			j.Done = done
			js.mu.Unlock()
		})
		js.mu.Lock()
		j.Done, j.Finished, j.Err = n, true, err
		js.mu.Unlock()
	})
	return j.ID
}

// StartInvalidation counts the signatures c matches and rejects them in the
// background, a chunk at a time (see Invalidate), so that the request that
// asks returns at once and staff can follow the progress; it returns the
// job's id for JobStatus.
func (s *Service) StartInvalidation(ctx context.Context, actor *store.Staff, c Criteria) (int, error) {
	total, err := s.PreviewInvalidation(ctx, c)
	if err != nil {
		return 0, err
	}
	return s.jobs.start(ctx, Job{Kind: JobInvalidation, Total: total}, func(ctx context.Context, progress func(int)) (int, error) {
		return s.Invalidate(ctx, actor, c, progress)
	}), nil
}

// JobStatus returns a copy of the job with id, if this server started it
// recently.
func (s *Service) JobStatus(id int) (Job, bool) {
	s.jobs.mu.Lock()
	defer s.jobs.mu.Unlock()
	j, ok := s.jobs.byID[id]
	if !ok {
		return Job{}, false
	}
	return *j, true
}

// WaitJobs returns once every job started has finished; the server waits
// for them when it stops.
func (s *Service) WaitJobs() { s.jobs.running.Wait() }
