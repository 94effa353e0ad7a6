// Package moderation is the staff's side of the signature lifecycle: the
// review queue, approving, rejecting, hiding, restoring and editing
// signatures, one at a time or in bulk, each change counted and audited in the
// transaction that makes it. It knows nothing of HTTP.
package moderation

import (
	"errors"
	"time"

	"github.com/undersigned/undersigned/pkg/config"
	"github.com/undersigned/undersigned/pkg/letters"
	"github.com/undersigned/undersigned/pkg/store"
	"github.com/undersigned/undersigned/pkg/vault"
)

// Errors the console maps to what staff see.
var (
	ErrNotFound      = errors.New("moderation: no such signature")
	ErrUnknownAction = errors.New("moderation: unknown action")
	ErrUnknownReason = errors.New("moderation: unknown rejection reason")
	ErrForbidden     = errors.New("moderation: not allowed for this role")
	ErrNoSelection   = errors.New("moderation: no signature selected")
	ErrTooMany       = errors.New("moderation: too many signatures selected at once")
)

// MaxBulk is the most signatures one bulk action may change.
const MaxBulk = 1000

// Action is a staff decision on a signature.
type Action string

// The actions staff can take.
const (
	ActionApprove Action = "approve"
	ActionReject  Action = "reject"
	ActionHide    Action = "hide"
	ActionRestore Action = "restore"
)

// Actions lists the actions in the order the console offers them.
func Actions() []Action { return []Action{ActionApprove, ActionReject, ActionHide, ActionRestore} }

// target gives the state an action moves a signature to; the lifecycle
// (store.Lifecycle) says from which states.
func target(a Action) (store.Status, bool) {
	switch a {
	case ActionApprove, ActionRestore:
		return store.StatusPublished, true
	case ActionReject:
		return store.StatusRejected, true
	case ActionHide:
		return store.StatusHidden, true
	}
	return "", false
}

// CanApply reports whether action applies to a signature in status; the
// console shows only the buttons that do.
func CanApply(action Action, status store.Status) bool {
	to, ok := target(action)
	return ok && store.Allowed(store.Event(action), status, to)
}

// Deps are what a Service is built from.
type Deps struct {
	Store        *store.Store
	Vault        *vault.Vault
	Letters      *letters.Registry
	ValidCountry func(string) bool
	Config       config.Moderation
	Now          func() time.Time
	Outbox       interface{ Wake() }
	Live         interface{ Notify(store.Change) }
}

// Service carries out staff decisions.
type Service struct {
	d    Deps
	jobs *jobs
}

// New returns a Service over d.
func New(d Deps) *Service { return &Service{d: d, jobs: newJobs()} }

// Reason returns the configured rejection reason with code.
func (s *Service) Reason(code string) (config.Reason, bool) {
	for _, r := range s.d.Config.Reasons {
		if r.Code == code {
			return r, true
		}
	}
	return config.Reason{}, false
}

// Reasons lists the configured rejection reasons.
func (s *Service) Reasons() []config.Reason { return s.d.Config.Reasons }
