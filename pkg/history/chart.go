package history

import (
	"fmt"
	"strings"
)

// Plot is the geometry of a chart of one row of values, in the units of an
// SVG viewBox Width × Height: a bar per value from the zero line and a line
// through the values. The partial "history_chart" draws it; the numbers
// themselves go in the table beside it.
type Plot struct {
	Width, Height int
	// Zero is the height of the zero line.
	Zero float64
	Bars []Bar
	// Line is the polyline's points through the middle of each bar's top.
	Line string
	// Max and Min are the highest and lowest values the axis reaches
	// (Min is 0 unless a value is negative).
	Max, Min int64
}

// Bar is one value's bar; H is never negative.
type Bar struct {
	X, Y, W, H float64
	Value      int64
}

// The size of every plot's viewBox; the page scales it to its width.
const (
	plotWidth  = 600
	plotHeight = 200
)

// NewPlot lays out values, oldest first, across the plot.
func NewPlot(values []int64) Plot {
	p := Plot{Width: plotWidth, Height: plotHeight}
	for _, v := range values {
		p.Max, p.Min = max(p.Max, v), min(p.Min, v)
	}
	span := float64(max(p.Max-p.Min, 1))
	y := func(v int64) float64 { return float64(plotHeight) * float64(p.Max-v) / span }
	p.Zero = y(0)
	step := float64(plotWidth) / float64(max(len(values), 1))
	points := make([]string, len(values))
	for i, v := range values {
		x, top := float64(i)*step, y(v)
		p.Bars = append(p.Bars, Bar{X: x + step*0.1, Y: min(top, p.Zero), W: step * 0.8, H: max(top, p.Zero) - min(top, p.Zero), Value: v})
		points[i] = fmt.Sprintf("%.1f,%.1f", x+step/2, top)
	}
	p.Line = strings.Join(points, " ")
	return p
}
