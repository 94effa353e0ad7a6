package digest_test

import (
	"testing"
	"time"

	"github.com/undersigned/undersigned/pkg/digest"
	"github.com/undersigned/undersigned/pkg/store"
)

func TestDue(t *testing.T) {
	now := time.Date(2026, 12, 10, 12, 0, 0, 0, time.UTC)
	ago := func(d time.Duration) *time.Time { at := now.Add(-d); return &at }
	cases := []struct {
		name     string
		choice   store.Digest
		last     *time.Time // the member's last digest; nil: never
		newest   *time.Time // the latest signature to enter the queue; nil: none awaits
		disabled bool
		due      bool
	}{
		{"nothing awaits review", store.DigestImmediate, nil, nil, false, false},
		{"first digest, at once", store.DigestImmediate, nil, ago(time.Minute), false, true},
		{"first digest, hourly", store.DigestHourly, nil, ago(time.Minute), false, true},
		{"never", store.DigestNever, nil, ago(time.Minute), false, false},
		{"an unknown choice is never", store.Digest("weekly"), nil, ago(time.Minute), false, false},
		{"disabled", store.DigestImmediate, nil, ago(time.Minute), true, false},
		{"at once, 5 minutes after the last", store.DigestImmediate, ago(5 * time.Minute), ago(time.Minute), false, true},
		{"at once, 4 minutes after the last", store.DigestImmediate, ago(4 * time.Minute), ago(time.Minute), false, false},
		{"at once, nothing new since the last", store.DigestImmediate, ago(10 * time.Minute), ago(11 * time.Minute), false, false},
		{"hourly, an hour after the last", store.DigestHourly, ago(time.Hour), ago(time.Minute), false, true},
		{"hourly, 59 minutes after the last", store.DigestHourly, ago(59 * time.Minute), ago(time.Minute), false, false},
		{"hourly, nothing new since the last", store.DigestHourly, ago(2 * time.Hour), ago(3 * time.Hour), false, false},
		{"daily, a day after the last", store.DigestDaily, ago(24 * time.Hour), ago(time.Hour), false, true},
		{"daily, 23 hours after the last", store.DigestDaily, ago(23 * time.Hour), ago(time.Minute), false, false},
		{"entered the queue the moment of the last", store.DigestHourly, ago(2 * time.Hour), ago(2 * time.Hour), false, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			member := store.Staff{Digest: c.choice, LastDigestAt: c.last, Disabled: c.disabled}
			if got := digest.Due(member, c.newest, now); got != c.due {
				t.Errorf("Due = %v, want %v", got, c.due)
			}
		})
	}
}
