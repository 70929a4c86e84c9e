package console

import (
	"fmt"
	"html/template"
	"math"
	"strings"

	"github.com/kz-volunteers/dispatcher/dispatch"
)

// The map is drawn without tiles: an equirectangular projection fitted to
// the points, with a graticule for orientation. It works offline and in any
// browser, and prints. Shape tells the kind of point, not only colour
// (WCAG 1.4.1): circle for a ticket, triangle for an urgent ticket, square
// for a volunteer.

const (
	mapW      = 800
	mapMinH   = 320
	mapMaxH   = 640
	mapPad    = 28
	mapTicket = "#1f5fa8"
	mapUrgent = "#b3261e"
	mapVol    = "#1b7a3a"
)

// projection maps degrees to SVG pixels.
type projection struct {
	minLon, maxLat float64
	kx, scale      float64 // kx = cos(mid latitude): a degree of longitude is shorter than one of latitude
	w, h           int
}

// fitProjection fits every point into the drawing, keeping the ground's
// proportions. A single point, or none, gets a box of about 10 km.
func fitProjection(pts []dispatch.Location) projection {
	minLat, maxLat, minLon, maxLon := 90.0, -90.0, 180.0, -180.0
	for _, p := range pts {
		minLat, maxLat = math.Min(minLat, p.Lat), math.Max(maxLat, p.Lat)
		minLon, maxLon = math.Min(minLon, p.Lon), math.Max(maxLon, p.Lon)
	}
	if len(pts) == 0 {
		minLat, maxLat, minLon, maxLon = 51.13, 51.13, 71.43, 71.43 // Astana
	}
	const minSpan = 0.1
	if maxLat-minLat < minSpan {
		c := (maxLat + minLat) / 2
		minLat, maxLat = c-minSpan/2, c+minSpan/2
	}
	kx := math.Cos((minLat + maxLat) / 2 * math.Pi / 180)
	if maxLon-minLon < minSpan/kx {
		c := (maxLon + minLon) / 2
		minLon, maxLon = c-minSpan/kx/2, c+minSpan/kx/2
	}
	spanX := (maxLon - minLon) * kx
	spanY := maxLat - minLat
	inner := float64(mapW - 2*mapPad)
	h := int(inner*spanY/spanX) + 2*mapPad
	h = max(mapMinH, min(mapMaxH, h))
	scale := math.Min(inner/spanX, float64(h-2*mapPad)/spanY)
	// Centre the points in the leftover space.
	p := projection{kx: kx, scale: scale, w: mapW, h: h}
	p.minLon = minLon - (inner/scale-spanX)/2/kx
	p.maxLat = maxLat + (float64(h-2*mapPad)/scale-spanY)/2
	return p
}

func (p projection) xy(l dispatch.Location) (float64, float64) {
	return mapPad + (l.Lon-p.minLon)*p.kx*p.scale, mapPad + (p.maxLat-l.Lat)*p.scale
}

// mapLabels are the translated texts the drawing needs.
type mapLabels struct {
	Title, Desc               string
	Ticket, Urgent, Volunteer string
	LegendTitle               string
	TicketName                func(dispatch.MapTicket) string
	VolunteerName             func(dispatch.MapVolunteer) string
}

// mapSVG draws the tickets with a location and the volunteers, and names
// the cities that fall inside the drawing.
func mapSVG(d *dispatch.MapData, cities []mapCity, l mapLabels) template.HTML {
	var pts []dispatch.Location
	for _, t := range d.Tickets {
		pts = append(pts, *t.Location)
	}
	for _, v := range d.Volunteers {
		pts = append(pts, v.Location)
	}
	p := fitProjection(pts)
	var sb strings.Builder
	chartOpen(&sb, "map", l.Title, l.Desc, p.w, p.h+112)
	fmt.Fprintf(&sb, `<rect x="0" y="0" width="%d" height="%d" fill="#f7f7f4" stroke="%s"></rect>`, p.w, p.h, chartGrid)
	graticule(&sb, p)
	for _, c := range cities {
		x, y := p.xy(c.Location)
		if x < 0 || y < 12 || x > float64(p.w)-40 || y > float64(p.h) {
			continue
		}
		fmt.Fprintf(&sb, `<text class="city" x="%.1f" y="%.1f" font-size="13" font-style="italic" fill="#4a4a4a">%s</text>`,
			x+6, y-6, svgText(c.Name))
	}
	// Volunteers first, so that tickets, what a dispatcher acts on, are on top.
	for _, v := range d.Volunteers {
		x, y := p.xy(v.Location)
		fmt.Fprintf(&sb, `<rect class="vol" x="%.1f" y="%.1f" width="12" height="12" fill="%s" stroke="#fff"><title>%s</title></rect>`,
			x-6, y-6, mapVol, svgText(l.VolunteerName(v)))
	}
	for _, t := range d.Tickets {
		x, y := p.xy(*t.Location)
		name := svgText(l.TicketName(t))
		if t.Urgency == dispatch.UrgencyUrgent {
			fmt.Fprintf(&sb, `<polygon class="ticket urgent" points="%s" fill="%s" stroke="#fff"><title>%s</title></polygon>`,
				triangle(x, y, 10), mapUrgent, name)
		} else {
			fmt.Fprintf(&sb, `<circle class="ticket" cx="%.1f" cy="%.1f" r="7" fill="%s" stroke="#fff"><title>%s</title></circle>`,
				x, y, mapTicket, name)
		}
	}
	// The legend sits under the map, one line per shape, so that long
	// Kazakh and Russian texts never overlap.
	ly := p.h + 28
	fmt.Fprintf(&sb, `<text x="10" y="%d" font-size="15" font-weight="bold" fill="%s">%s</text>`, ly, chartInk, svgText(l.LegendTitle))
	fmt.Fprintf(&sb, `<circle cx="22" cy="%d" r="7" fill="%s"></circle><text x="38" y="%d" font-size="15" fill="%s">%s</text>`,
		ly+22, mapTicket, ly+27, chartInk, svgText(l.Ticket))
	fmt.Fprintf(&sb, `<polygon points="%s" fill="%s"></polygon><text x="38" y="%d" font-size="15" fill="%s">%s</text>`,
		triangle(22, float64(ly+46), 9), mapUrgent, ly+51, chartInk, svgText(l.Urgent))
	fmt.Fprintf(&sb, `<rect x="16" y="%d" width="12" height="12" fill="%s"></rect><text x="38" y="%d" font-size="15" fill="%s">%s</text>`,
		ly+64, mapVol, ly+75, chartInk, svgText(l.Volunteer))
	sb.WriteString(`</svg>`)
	return template.HTML(sb.String()) // safe: every text went through svgText
}

func triangle(x, y, r float64) string {
	return fmt.Sprintf("%.1f,%.1f %.1f,%.1f %.1f,%.1f", x, y-r, x+r*0.87, y+r*0.5, x-r*0.87, y+r*0.5)
}

// graticule draws lines at a round step of degrees, labelled on the edges.
func graticule(sb *strings.Builder, p projection) {
	spanLat := float64(p.h-2*mapPad) / p.scale
	step := niceStep(spanLat / 4)
	minLat := p.maxLat - float64(p.h)/p.scale
	maxLon := p.minLon + float64(p.w)/(p.kx*p.scale)
	for lat := math.Ceil(minLat/step) * step; lat <= p.maxLat+float64(mapPad)/p.scale; lat += step {
		_, y := p.xy(dispatch.Location{Lat: lat, Lon: p.minLon})
		if y < 0 || y > float64(p.h) {
			continue
		}
		fmt.Fprintf(sb, `<line x1="0" y1="%.1f" x2="%d" y2="%.1f" stroke="#c8c8c8" stroke-dasharray="4 4"></line>`, y, p.w, y)
		fmt.Fprintf(sb, `<text x="4" y="%.1f" font-size="11" fill="%s">%s°N</text>`, y-3, chartInk, trimFloat(lat))
	}
	for lon := math.Ceil((p.minLon-float64(mapPad)/(p.kx*p.scale))/step) * step; lon <= maxLon; lon += step {
		x, _ := p.xy(dispatch.Location{Lat: p.maxLat, Lon: lon})
		if x < 0 || x > float64(p.w) {
			continue
		}
		fmt.Fprintf(sb, `<line x1="%.1f" y1="0" x2="%.1f" y2="%d" stroke="#c8c8c8" stroke-dasharray="4 4"></line>`, x, x, p.h)
		fmt.Fprintf(sb, `<text x="%.1f" y="%d" font-size="11" fill="%s">%s°E</text>`, x+3, p.h-4, chartInk, trimFloat(lon))
	}
}

// niceStep rounds a span to 1, 2 or 5 times a power of ten.
func niceStep(x float64) float64 {
	if x <= 0 {
		return 1
	}
	e := math.Pow(10, math.Floor(math.Log10(x)))
	switch f := x / e; {
	case f < 1.5:
		return e
	case f < 3.5:
		return 2 * e
	case f < 7.5:
		return 5 * e
	}
	return 10 * e
}

func trimFloat(f float64) string {
	s := fmt.Sprintf("%.3f", f)
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}
