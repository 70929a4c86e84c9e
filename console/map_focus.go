package console

import (
	"math"
	"strings"

	"github.com/kz-volunteers/dispatcher/dispatch"
)

// Centres work in several cities hundreds of kilometres apart; drawn
// together, each city's points fall on one spot. The map therefore offers
// each city that has points as a focus, and names the gazetteer's cities on
// the drawing, so that it can be read without any map tiles.

// mapCity is a city of the gazetteer: a focus choice and a label.
type mapCity struct {
	Key      string // the Latin name in lower case: stable across languages
	Name     string
	Location dispatch.Location
	Points   int // open tickets and volunteers within focusRadiusKM
}

const focusRadiusKM = 40

// mapCities lists the gazetteer's cities named in lang, counting the points
// near each.
func mapCities(places []gazetteerPlace, lang dispatch.Lang, d *dispatch.MapData) []mapCity {
	var out []mapCity
	for _, p := range places {
		key := strings.ToLower(placeName(p.Names, dispatch.LangEN))
		if key == "" {
			continue
		}
		c := mapCity{Key: key, Name: placeName(p.Names, lang), Location: dispatch.Location{Lat: p.Lat, Lon: p.Lon}}
		for _, t := range d.Tickets {
			if distanceKM(c.Location, *t.Location) <= focusRadiusKM {
				c.Points++
			}
		}
		for _, v := range d.Volunteers {
			if distanceKM(c.Location, v.Location) <= focusRadiusKM {
				c.Points++
			}
		}
		out = append(out, c)
	}
	return out
}

// focus keeps the located tickets and the volunteers within focusRadiusKM
// of the city; tickets without a location are kept, since they belong to no
// place yet.
func focus(d *dispatch.MapData, c mapCity) *dispatch.MapData {
	out := &dispatch.MapData{NoLocation: d.NoLocation}
	for _, t := range d.Tickets {
		if distanceKM(c.Location, *t.Location) <= focusRadiusKM {
			out.Tickets = append(out.Tickets, t)
		}
	}
	for _, v := range d.Volunteers {
		if distanceKM(c.Location, v.Location) <= focusRadiusKM {
			out.Volunteers = append(out.Volunteers, v)
		}
	}
	return out
}

// distanceKM is the equirectangular distance, exact enough within a region.
func distanceKM(a, b dispatch.Location) float64 {
	kx := math.Cos((a.Lat + b.Lat) / 2 * math.Pi / 180)
	dx := (a.Lon - b.Lon) * kx
	dy := a.Lat - b.Lat
	return 111.2 * math.Sqrt(dx*dx+dy*dy)
}
