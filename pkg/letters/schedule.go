package letters

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/undersigned/undersigned/pkg/store"
)

// Event is a move staff make a letter take at once, with the buttons of its
// console page.
type Event string

// The moves between a letter's states.
const (
	EventOpen    Event = "open"    // start collecting signatures privately
	EventPublish Event = "publish" // make the list and count public
	EventClose   Event = "close"   // stop collecting
	EventReopen  Event = "reopen"  // collect again after closing or archiving
	EventArchive Event = "archive" // take off the lists of letters
)

// Move is one row of the letters' lifecycle: an event, the states it may
// leave and the state it leads to.
type Move struct {
	Event Event
	From  []store.LetterState
	To    store.LetterState
}

// Lifecycle is the table of moves between a letter's states; the console
// offers the buttons of the moves the letter's state allows.
func Lifecycle() []Move {
	return []Move{
		{EventOpen, []store.LetterState{store.LetterDraft}, store.LetterEmbargo},
		{EventPublish, []store.LetterState{store.LetterDraft, store.LetterEmbargo}, store.LetterPublic},
		{EventClose, []store.LetterState{store.LetterPublic}, store.LetterClosed},
		{EventReopen, []store.LetterState{store.LetterClosed, store.LetterArchived}, store.LetterPublic},
		{EventArchive, []store.LetterState{store.LetterDraft, store.LetterClosed}, store.LetterArchived},
	}
}

// Events lists the moves a letter in state s can make.
func Events(s store.LetterState) []Event {
	var out []Event
	for _, m := range Lifecycle() {
		if slices.Contains(m.From, s) {
			out = append(out, m.Event)
		}
	}
	return out
}

// eventTo is the state each move leads to, as scheduled dates make them.
func eventTo(to store.LetterState) Event {
	switch to {
	case store.LetterEmbargo:
		return EventOpen
	case store.LetterPublic:
		return EventPublish
	default:
		return EventClose
	}
}

// Apply makes the letter with id take the move ev now, and audits it. A
// move its state does not allow fails with *MoveError.
func (c *Console) Apply(ctx context.Context, by store.Actor, id uint, ev Event) error {
	i := slices.IndexFunc(Lifecycle(), func(m Move) bool { return m.Event == ev })
	if i < 0 {
		return &MoveError{Event: ev}
	}
	move := Lifecycle()[i]
	now := c.now()
	err := c.st.Write(ctx, func(tx *gorm.DB) error {
		row, err := c.row(tx, id)
		if err != nil {
			return err
		}
		from := stateOf(row, now)
		if !slices.Contains(move.From, from) {
			return &MoveError{Event: ev, From: from}
		}
		stored := row.State
		setDates(row, ev, now)
		row.State = move.To
		if ok, err := store.MoveLetterState(tx, row, stored, now); err != nil || !ok {
			if err == nil {
				err = &MoveError{Event: ev, From: from}
			}
			return err
		}
		return store.AuditLetter(tx, by, "letter."+string(ev), row, string(from)+" → "+string(move.To), now)
	})
	if err != nil {
		return err
	}
	return c.reg.Reload(ctx)
}

// setDates writes into row the dates a move made at now implies.
func setDates(row *store.Letter, ev Event, now time.Time) {
	at := now.UTC()
	switch ev {
	case EventOpen:
		row.OpensAt = &at
		if row.PublishAt != nil && row.PublishAt.Before(at) {
			row.PublishAt = nil // a date to publish that passed while a draft no longer holds
		}
	case EventPublish:
		if row.OpensAt == nil || row.OpensAt.After(at) {
			row.OpensAt = &at
		}
		row.PublishAt = &at
		if row.ClosesAt != nil && !row.ClosesAt.After(at) {
			row.ClosesAt = nil
		}
	case EventClose:
		row.ClosesAt = &at
	case EventReopen:
		row.ClosesAt, row.ArchivedAt = nil, nil
	case EventArchive:
		row.ArchivedAt = &at
	}
}

// stateOf is the state of row at now, its scheduled dates applied.
func stateOf(row *store.Letter, now time.Time) store.LetterState {
	l := Letter{State: row.State, OpensAt: deref(row.OpensAt), PublishAt: deref(row.PublishAt), ClosesAt: deref(row.ClosesAt)}
	return l.StateAt(now)
}

// Schedule are the dates on which a letter moves on by itself; a zero date
// is none.
type Schedule struct {
	OpensAt   time.Time // draft → collecting privately
	PublishAt time.Time // collecting privately → public
	ClosesAt  time.Time // public → closed
}

// SetSchedule sets the dates of the moves a letter has still to make; the
// dates of moves it made already stay as they are. The dates must come in
// order and lie ahead.
func (c *Console) SetSchedule(ctx context.Context, by store.Actor, id uint, s Schedule) error {
	now := c.now()
	err := c.st.Write(ctx, func(tx *gorm.DB) error {
		row, err := c.row(tx, id)
		if err != nil {
			return err
		}
		state := stateOf(row, now)
		if state == store.LetterClosed || state == store.LetterArchived {
			return &ValidationError{FieldErrors{"closes_at": "error.letter.schedule_closed"}}
		}
		if err := checkSchedule(row, state, s, now); err != nil {
			return err
		}
		before := describeSchedule(row)
		if state == store.LetterDraft {
			row.OpensAt = timePtr(s.OpensAt)
		}
		if state == store.LetterDraft || state == store.LetterEmbargo {
			row.PublishAt = timePtr(s.PublishAt)
		}
		row.ClosesAt = timePtr(s.ClosesAt)
		if err := store.UpdateLetter(tx, row, now); err != nil {
			return err
		}
		return store.AuditLetter(tx, by, "letter.schedule", row, before+" → "+describeSchedule(row), now)
	})
	if err != nil {
		return err
	}
	return c.reg.Reload(ctx)
}

// checkSchedule checks the dates s sets for a letter in state: each date of
// a move still to come lies ahead of now, and opening, publishing and
// closing come in that order, whether already made or still to come.
func checkSchedule(row *store.Letter, state store.LetterState, s Schedule, now time.Time) error {
	errs := FieldErrors{}
	opens, publish := s.OpensAt, s.PublishAt
	if state != store.LetterDraft {
		opens = deref(row.OpensAt)
	}
	if state == store.LetterPublic {
		publish = deref(row.PublishAt)
	}
	// The form gives minutes: a date in the current minute is "now".
	ahead := func(field string, t time.Time, coming bool) {
		if coming && !t.IsZero() && t.Before(now.Truncate(time.Minute)) {
			errs[field] = "error.letter.date_past"
		}
	}
	ahead("opens_at", s.OpensAt, state == store.LetterDraft)
	ahead("publish_at", s.PublishAt, state == store.LetterDraft || state == store.LetterEmbargo)
	ahead("closes_at", s.ClosesAt, true)
	if _, bad := errs["publish_at"]; !bad && !publish.IsZero() && !opens.IsZero() && publish.Before(opens) {
		errs["publish_at"] = "error.letter.publish_before_opens"
	}
	if _, bad := errs["closes_at"]; !bad && !s.ClosesAt.IsZero() {
		switch {
		case !opens.IsZero() && !s.ClosesAt.After(opens):
			errs["closes_at"] = "error.letter.closes_before_opens"
		case !publish.IsZero() && !s.ClosesAt.After(publish):
			errs["closes_at"] = "error.letter.closes_before_publish"
		}
	}
	if len(errs) > 0 {
		return &ValidationError{errs}
	}
	return nil
}

func describeSchedule(row *store.Letter) string {
	date := func(t *time.Time) string {
		if t == nil {
			return "-"
		}
		return t.UTC().Format(time.RFC3339)
	}
	return fmt.Sprintf("opens %s, public %s, closes %s", date(row.OpensAt), date(row.PublishAt), date(row.ClosesAt))
}

// SetGoal sets the number of signatures the letter aims for next, given
// the total it has now. Goals reached stay, as the letter's history; a new
// goal replaces those not reached. 0 removes the goals not reached.
func (c *Console) SetGoal(ctx context.Context, by store.Actor, id uint, goal, total int64) error {
	if goal < 0 || goal > maxGoal {
		return &ValidationError{FieldErrors{"goal": "error.letter.goal_range"}}
	}
	now := c.now()
	err := c.st.Write(ctx, func(tx *gorm.DB) error {
		row, err := c.row(tx, id)
		if err != nil {
			return err
		}
		var reached []string
		for _, g := range splitList(row.Goals) {
			if n, err := strconv.ParseInt(g, 10, 64); err == nil && n <= total {
				reached = append(reached, g)
			}
		}
		if goal > 0 && goal <= total {
			return &ValidationError{FieldErrors{"goal": "error.letter.goal_reached"}}
		}
		if goal > 0 {
			reached = append(reached, strconv.FormatInt(goal, 10))
		}
		before := row.Goals
		row.Goals = strings.Join(reached, ",")
		if err := store.UpdateLetter(tx, row, now); err != nil {
			return err
		}
		return store.AuditLetter(tx, by, "letter.goal", row, "["+before+"] → ["+row.Goals+"]", now)
	})
	if err != nil {
		return err
	}
	return c.reg.Reload(ctx)
}

// ScheduleActor is the console's schedule, moving letters on their dates.
func ScheduleActor() store.Actor { return store.Actor{Name: "schedule"} }

// Advance writes down the moves that letters' dates made since the last
// call, each audited as the schedule's, and reports how many it wrote.
// Pages follow the dates at once (StateAt); Advance keeps the stored state
// and the audit log in step. Servers sharing a database may all call it:
// each move is written once.
func (c *Console) Advance(ctx context.Context) (int, error) {
	now := c.now()
	moved := 0
	for _, l := range c.reg.All() {
		if l.StateAt(now) == l.State {
			continue
		}
		n, err := c.advance(ctx, l.ID, now)
		if err != nil {
			return moved, err
		}
		moved += n
	}
	if moved > 0 {
		return moved, c.reg.Reload(ctx)
	}
	return 0, nil
}

// advance writes the scheduled moves of one letter, one step at a time.
func (c *Console) advance(ctx context.Context, id uint, now time.Time) (int, error) {
	moved := 0
	err := c.st.Write(ctx, func(tx *gorm.DB) error {
		moved = 0
		row, err := c.row(tx, id)
		if err != nil {
			return err
		}
		target := stateOf(row, now)
		for row.State != target {
			stored := row.State
			row.State = stateOf(&store.Letter{State: stored, OpensAt: row.OpensAt, PublishAt: row.PublishAt, ClosesAt: row.ClosesAt}, stepTime(row, stored))
			if row.State == stored {
				return nil
			}
			ok, err := store.MoveLetterState(tx, row, stored, now)
			if err != nil || !ok {
				return err // another server wrote it: nothing left to do
			}
			ev := eventTo(row.State)
			if err := store.AuditLetter(tx, ScheduleActor(), "letter."+string(ev), row, string(stored)+" → "+string(row.State), now); err != nil {
				return err
			}
			moved++
		}
		return nil
	})
	return moved, err
}

// stepTime is the date of the one move a letter in state from makes next:
// stateOf at that time moves it one step only.
func stepTime(row *store.Letter, from store.LetterState) time.Time {
	switch from {
	case store.LetterDraft:
		return deref(row.OpensAt)
	case store.LetterEmbargo:
		return deref(row.PublishAt)
	default:
		return deref(row.ClosesAt)
	}
}
