package staff

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/alexedwards/argon2id"
	"golang.org/x/sync/semaphore"
)

// hashWait is how long a login waits for a free hashing slot before it is
// refused with ErrBusy. A check takes about 30 ms on one CPU, so a second is
// a queue some thirty checks deep per slot; longer would only keep goroutines
// of an attack waiting.
const hashWait = time.Second

// passwordParams are argon2id's costs: 19 MiB of memory, two passes (the OWASP
// recommendation), one lane.
func passwordParams() *argon2id.Params {
	return &argon2id.Params{Memory: 19 * 1024, Iterations: 2, Parallelism: 1, SaltLength: 16, KeyLength: 32}
}

// hasher runs argon2id at most as many at once as slots allows. Each run holds
// 19 MiB and a CPU to itself: forty at once would hold 760 MiB and end no
// sooner than forty in turn on the same CPUs.
type hasher struct {
	slots *semaphore.Weighted
	// runs counts argon2id runs, for PasswordsHashed.
	runs atomic.Int64
}

// compare checks password against an encoded hash once a slot is free,
// waiting at most hashWait (ErrBusy).
func (h *hasher) compare(ctx context.Context, password, hash string) (bool, error) {
	if err := h.acquire(ctx, hashWait); err != nil {
		return false, err
	}
	defer h.slots.Release(1)
	h.runs.Add(1)
	match, err := argon2id.ComparePasswordAndHash(password, hash)
	if err != nil {
		return false, fmt.Errorf("staff: compare password: %w", err)
	}
	return match, nil
}

// create hashes a new password. It waits for a slot as long as ctx allows:
// only admins and the command line add accounts.
func (h *hasher) create(ctx context.Context, password string) (string, error) {
	if err := h.slots.Acquire(ctx, 1); err != nil {
		return "", fmt.Errorf("staff: wait to hash a password: %w", err)
	}
	defer h.slots.Release(1)
	h.runs.Add(1)
	hash, err := argon2id.CreateHash(password, passwordParams())
	if err != nil {
		return "", fmt.Errorf("staff: hash password: %w", err)
	}
	return hash, nil
}

// acquire takes a slot, waiting at most wait; ErrBusy when none came free.
func (h *hasher) acquire(ctx context.Context, wait time.Duration) error {
	waitCtx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	err := h.slots.Acquire(waitCtx, 1)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil:
		return ErrBusy
	default:
		return fmt.Errorf("staff: wait to check a password: %w", err)
	}
}
