package history

import (
	"slices"
	"testing"
	"time"

	"github.com/undersigned/undersigned/pkg/store"
)

// TestParseInterval: hour, day or nothing (a day); anything else is refused.
func TestParseInterval(t *testing.T) {
	for _, c := range []struct {
		in   string
		want Interval
		ok   bool
	}{{"", Day, true}, {"day", Day, true}, {"hour", Hour, true}, {"week", "", false}, {"Hour", "", false}} {
		got, err := ParseInterval(c.in)
		if got != c.want || (err == nil) != c.ok {
			t.Errorf("ParseInterval(%q) = %q, %v", c.in, got, err)
		}
	}
}

// TestSeriesSumsHoursIntoDays: hours fall into their UTC day, each bucket
// carries the running total, and a negative change lowers it.
func TestSeriesSumsHoursIntoDays(t *testing.T) {
	at := func(day, hour int) time.Time { return time.Date(2026, 12, day, hour, 0, 0, 0, time.UTC) }
	hours := []store.HistoryPoint{{At: at(1, 9), Confirmed: 3, Published: 2}, {At: at(1, 23), Published: 1}, {At: at(3, 0), Confirmed: -1, Published: -2}}
	for _, c := range []struct {
		iv   Interval
		want []Point
	}{
		{Hour, []Point{{at(1, 9), 3, 2, 2}, {at(1, 23), 0, 1, 3}, {at(3, 0), -1, -2, 1}}},
		{Day, []Point{{at(1, 0), 3, 3, 3}, {at(3, 0), -1, -2, 1}}},
	} {
		if got := Series(hours, c.iv); !slices.Equal(got, c.want) {
			t.Errorf("Series by %s = %+v, want %+v", c.iv, got, c.want)
		}
	}
}

// TestPlotDrawsNegativeBarsBelowTheZeroLine: the axis spans the lowest to
// the highest value, a negative value's bar hangs from the zero line.
func TestPlotDrawsNegativeBarsBelowTheZeroLine(t *testing.T) {
	p := NewPlot([]int64{3, -1})
	if p.Max != 3 || p.Min != -1 || p.Zero != 150 {
		t.Fatalf("axis %d to %d, zero at %.1f", p.Min, p.Max, p.Zero)
	}
	up, down := p.Bars[0], p.Bars[1]
	if up.Y != 0 || up.H != 150 || down.Y != 150 || down.H != 50 || up.X >= down.X {
		t.Errorf("bars %+v", p.Bars)
	}
	if p.Line != "150.0,0.0 450.0,200.0" {
		t.Errorf("line %q", p.Line)
	}
}
