package dispatch

import "strings"

// Ring is a closed line of [lon, lat] points, in GeoJSON's order; the last
// point may repeat the first or not.
type Ring [][2]float64

// Polygon is an outer ring followed by any holes.
type Polygon []Ring

// Contains reports whether l lies inside p: inside the outer ring and in
// none of the holes. A point exactly on an edge may fall either way, which
// is fine for districts whose lines are drawn by hand.
func (p Polygon) Contains(l Location) bool {
	if len(p) == 0 || !p[0].contains(l) {
		return false
	}
	for _, hole := range p[1:] {
		if hole.contains(l) {
			return false
		}
	}
	return true
}

// contains casts a ray east from l and counts the edges it crosses: an odd
// count is inside. Districts span a few kilometres, so treating degrees as
// a flat plane is exact enough.
func (r Ring) contains(l Location) bool {
	x, y := l.Lon, l.Lat
	in := false
	for i, j := 0, len(r)-1; i < len(r); j, i = i, i+1 {
		xi, yi, xj, yj := r[i][0], r[i][1], r[j][0], r[j][1]
		if (yi > y) != (yj > y) && x < xi+(y-yi)*(xj-xi)/(yj-yi) {
			in = !in
		}
	}
	return in
}

// Area is one district of a volunteer centre's service area.
type Area struct {
	CentreID int64   `json:"centre_id"`
	Centre   string  `json:"centre"`   // the centre's key, as "astana-esil"
	District string  `json:"district"` // the district's name in Russian
	Polygon  Polygon `json:"polygon"`
}

// RouteArea returns the first area that contains l: the centre a ticket at
// l belongs to. False when l is in no centre's area (the ticket stays with
// every dispatcher).
func RouteArea(areas []Area, l Location) (Area, bool) {
	for _, a := range areas {
		if a.Polygon.Contains(l) {
			return a, true
		}
	}
	return Area{}, false
}

// AreaNamed returns the area whose district name is name, ignoring case.
func AreaNamed(areas []Area, name string) (Area, bool) {
	for _, a := range areas {
		if strings.EqualFold(a.District, name) {
			return a, true
		}
	}
	return Area{}, false
}

// Middle is the mean of the outer ring's corners: inside the rough
// rectangles and convex shapes districts are drawn as, and a point that
// stands for "somewhere in this district". False for an empty polygon.
func (p Polygon) Middle() (Location, bool) {
	if len(p) == 0 || len(p[0]) == 0 {
		return Location{}, false
	}
	ring := p[0]
	if n := len(ring); n > 1 && ring[0] == ring[n-1] {
		ring = ring[:n-1]
	}
	var lat, lon float64
	for _, pt := range ring {
		lon += pt[0]
		lat += pt[1]
	}
	return Location{Lat: lat / float64(len(ring)), Lon: lon / float64(len(ring))}, true
}
