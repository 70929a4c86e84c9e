package console

import (
	"fmt"
	"html"
	"html/template"
	"strings"

	"github.com/kz-volunteers/dispatcher/dispatch"
)

// Charts are drawn on the server as inline SVG: no script, no external
// library, and they print. Each is role="img" named by its <title> and
// described by its <desc>, and the page shows the same numbers in a table,
// which is what a screen reader user reads.

// chartBar is one bar: its label as shown and its value.
type chartBar struct {
	Label string
	N     int
}

// Colours meet 4.5:1 against white (text) and 3:1 (bars, WCAG 1.4.11).
const (
	chartInk  = "#1a1a1a"
	chartBarC = "#1f5fa8"
	chartGrid = "#767676"
)

// svgText escapes s for an SVG text node or attribute. html.EscapeString
// covers the five characters XML needs.
func svgText(s string) string { return html.EscapeString(s) }

// barChart draws horizontal bars, one row per entry, with the label on the
// left and the value after the bar. id must be unique on the page: it ties
// the title and description to the image.
func barChart(id, title, desc string, bars []chartBar) template.HTML {
	const (
		rowH   = 26
		labelW = 210
		barMax = 170
		top    = 8
	)
	max := 0
	for _, b := range bars {
		if b.N > max {
			max = b.N
		}
	}
	height := top*2 + rowH*len(bars)
	if len(bars) == 0 {
		height = top*2 + rowH
	}
	width := labelW + barMax + 50
	var sb strings.Builder
	chartOpen(&sb, id, title, desc, width, height)
	for i, b := range bars {
		y := top + i*rowH
		w := 0
		if max > 0 {
			w = b.N * barMax / max
		}
		if b.N > 0 && w < 2 {
			w = 2 // a non-zero value stays visible
		}
		fmt.Fprintf(&sb, `<text x="%d" y="%d" text-anchor="end" font-size="13" fill="%s">%s</text>`,
			labelW-8, y+18, chartInk, svgText(clip(b.Label, 26)))
		fmt.Fprintf(&sb, `<rect x="%d" y="%d" width="%d" height="%d" fill="%s" data-n="%d"></rect>`,
			labelW, y+4, w, rowH-8, chartBarC, b.N)
		fmt.Fprintf(&sb, `<text x="%d" y="%d" font-size="14" fill="%s">%d</text>`,
			labelW+w+6, y+18, chartInk, b.N)
	}
	sb.WriteString(`</svg>`)
	return template.HTML(sb.String()) // safe: every text went through svgText
}

// columnChart draws one column per entry (the days of a period), labelling
// at most about twelve of them so that the labels never overlap.
func columnChart(id, title, desc string, bars []chartBar) template.HTML {
	const (
		colW   = 22
		left   = 44
		top    = 10
		plotH  = 180
		bottom = 46
	)
	max := 0
	for _, b := range bars {
		if b.N > max {
			max = b.N
		}
	}
	width := left + colW*len(bars) + 10
	if width < 320 {
		width = 320
	}
	height := top + plotH + bottom
	var sb strings.Builder
	chartOpen(&sb, id, title, desc, width, height)
	base := top + plotH
	fmt.Fprintf(&sb, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s"></line>`, left, base, width-4, base, chartGrid)
	fmt.Fprintf(&sb, `<text x="%d" y="%d" text-anchor="end" font-size="12" fill="%s">%d</text>`, left-6, top+10, chartInk, max)
	fmt.Fprintf(&sb, `<text x="%d" y="%d" text-anchor="end" font-size="12" fill="%s">0</text>`, left-6, base, chartInk)
	step := (len(bars) + 11) / 12
	if step < 1 {
		step = 1
	}
	for i, b := range bars {
		x := left + i*colW
		h := 0
		if max > 0 {
			h = b.N * plotH / max
		}
		if b.N > 0 && h < 2 {
			h = 2
		}
		fmt.Fprintf(&sb, `<rect x="%d" y="%d" width="%d" height="%d" fill="%s" data-n="%d"></rect>`,
			x+3, base-h, colW-6, h, chartBarC, b.N)
		if i%step == 0 {
			fmt.Fprintf(&sb, `<text x="%d" y="%d" font-size="11" fill="%s" transform="rotate(45 %d %d)">%s</text>`,
				x+4, base+14, chartInk, x+4, base+14, svgText(shortDay(b.Label)))
		}
	}
	sb.WriteString(`</svg>`)
	return template.HTML(sb.String()) // safe: every text went through svgText
}

func chartOpen(sb *strings.Builder, id, title, desc string, width, height int) {
	id = svgText(id)
	// Width 100% and no height: the drawing scales with the page (WCAG
	// 1.4.10 reflow) instead of making a region that scrolls sideways.
	fmt.Fprintf(sb, `<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="%s" role="img" `+
		`aria-labelledby="%s-title %s-desc" viewBox="0 0 %d %d" width="100%%" `+
		`preserveAspectRatio="xMinYMin meet" font-family="system-ui, sans-serif">`,
		id, id, id, width, height)
	fmt.Fprintf(sb, `<title id="%s-title">%s</title><desc id="%s-desc">%s</desc>`, id, svgText(title), id, svgText(desc))
}

// shortDay turns "2026-11-30" into "30.11", the form dispatchers read.
func shortDay(day string) string {
	if len(day) == 10 && day[4] == '-' && day[7] == '-' {
		return day[8:10] + "." + day[5:7]
	}
	return day
}

// clip shortens a label to n runes; the table below the chart has it whole.
func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// countBars turns a breakdown into bars, labelling each key with label (a
// translation of channel or category names; nil keeps the key).
func countBars(counts []dispatch.Count, label func(string) string) []chartBar {
	out := make([]chartBar, 0, len(counts))
	for _, c := range counts {
		l := c.Key
		if label != nil {
			l = label(c.Key)
		}
		out = append(out, chartBar{Label: l, N: c.N})
	}
	return out
}
