// Package history turns a letter's hourly numbers (store.LetterHistory) into
// the series that the console's charts, their CSV download and the public
// API show: one bucket per hour or per day (UTC), each with its change and
// the running total at its end.
package history

import (
	"errors"
	"time"

	"github.com/undersigned/undersigned/pkg/store"
)

// Interval is the width of a series' buckets.
type Interval string

// The intervals a series can be read in.
const (
	Hour Interval = "hour"
	Day  Interval = "day"
)

// ErrBadInterval is what ParseInterval returns for anything but "hour",
// "day" or nothing.
var ErrBadInterval = errors.New("history: interval must be hour or day")

// ParseInterval reads an interval as a query string gives it; nothing means
// a day.
func ParseInterval(s string) (Interval, error) {
	switch Interval(s) {
	case "", Day:
		return Day, nil
	case Hour:
		return Hour, nil
	}
	return "", ErrBadInterval
}

// start is the beginning of the bucket t falls in.
func (iv Interval) start(t time.Time) time.Time {
	t = t.UTC()
	if iv == Day {
		return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	}
	return t.Truncate(time.Hour)
}

// Point is one bucket of a series: when it starts, the net change of the
// confirmed and published signatures in it, and the public count at its end.
type Point struct {
	Start     time.Time
	Confirmed int64
	Published int64
	Total     int64
}

// Series sums a letter's hours into buckets of iv, oldest first, with the
// running total of published signatures. Buckets in which nothing changed
// are left out.
func Series(hours []store.HistoryPoint, iv Interval) []Point {
	var points []Point
	var total int64
	for _, h := range hours {
		start := iv.start(h.At)
		if n := len(points); n == 0 || !points[n-1].Start.Equal(start) {
			points = append(points, Point{Start: start})
		}
		p := &points[len(points)-1]
		p.Confirmed += h.Confirmed
		p.Published += h.Published
		total += h.Published
		p.Total = total
	}
	return points
}

// Changes are the series' published changes, one a bucket.
func Changes(points []Point) []int64 {
	out := make([]int64, len(points))
	for i, p := range points {
		out[i] = p.Published
	}
	return out
}

// Totals are the series' running totals, one a bucket.
func Totals(points []Point) []int64 {
	out := make([]int64, len(points))
	for i, p := range points {
		out[i] = p.Total
	}
	return out
}
