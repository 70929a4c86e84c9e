package intake

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/kz-volunteers/dispatcher/dispatch"
)

// Gazetteer is the offline geocoder: Kazakhstan's cities and their main
// districts, from configs/gazetteer.json. It finds a place whose name is a
// whole word (or words) of the address, in any case and script variant, so
// that "Алматы, Медеуский район" and "almaty medeu" give the same point.
type Gazetteer struct {
	places []place
}

type place struct {
	Names     []string `json:"names"`
	Lat       float64  `json:"lat"`
	Lon       float64  `json:"lon"`
	Districts []place  `json:"districts"`
	folded    []string // Names, folded
}

var _ dispatch.Geocoder = (*Gazetteer)(nil)

// LoadGazetteer reads name (gazetteer.json) from fsys (configs.Files).
func LoadGazetteer(fsys fs.FS, name string) (*Gazetteer, error) {
	b, err := fs.ReadFile(fsys, name)
	if err != nil {
		return nil, fmt.Errorf("gazetteer: %w", err)
	}
	var doc struct {
		Places []place `json:"places"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("gazetteer %s: %w", name, err)
	}
	if len(doc.Places) == 0 {
		return nil, fmt.Errorf("gazetteer %s: no places", name)
	}
	g := &Gazetteer{places: doc.Places}
	for i := range g.places {
		fold(&g.places[i])
		for j := range g.places[i].Districts {
			fold(&g.places[i].Districts[j])
		}
	}
	return g, nil
}

func fold(p *place) {
	for _, n := range p.Names {
		p.folded = append(p.folded, " "+foldText(n)+" ")
	}
}

// foldText lowercases s, folds the Latin Kazakh letters and ё to their plain
// forms, and turns everything that is not a letter or a digit into single
// spaces, so that names compare as sequences of whole words.
func foldText(s string) string {
	var b strings.Builder
	space := true
	for _, r := range strings.ToLower(s) {
		if f, ok := latinFold[r]; ok {
			r = f
		}
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
			space = false
		} else if !space {
			b.WriteByte(' ')
			space = true
		}
	}
	return strings.TrimSpace(b.String())
}

var latinFold = map[rune]rune{'á': 'a', 'ä': 'a', 'ǵ': 'g', 'ğ': 'g', 'ı': 'i', 'ń': 'n', 'ó': 'o', 'ö': 'o',
	'ú': 'u', 'ü': 'u', 'ū': 'u', 'ý': 'y', 'ş': 's', 'ç': 'c', 'ё': 'е'}

func (p *place) matches(addr string) bool {
	for _, n := range p.folded {
		if strings.Contains(addr, n) {
			return true
		}
	}
	return false
}

// Geocode finds the district of a named city, else the city, else a
// district named alone when only one city has it. ENOTFOUND otherwise.
func (g *Gazetteer) Geocode(ctx context.Context, address string) (dispatch.Location, error) {
	addr := " " + foldText(address) + " "
	var city *place
	var lone []*place
	for i := range g.places {
		c := &g.places[i]
		cityHit := c.matches(addr)
		for j := range c.Districts {
			if d := &c.Districts[j]; d.matches(addr) {
				if cityHit {
					return dispatch.Location{Lat: d.Lat, Lon: d.Lon}, nil
				}
				lone = append(lone, d)
			}
		}
		if cityHit && city == nil {
			city = c
		}
	}
	if city != nil {
		return dispatch.Location{Lat: city.Lat, Lon: city.Lon}, nil
	}
	if len(lone) == 1 {
		return dispatch.Location{Lat: lone[0].Lat, Lon: lone[0].Lon}, nil
	}
	return dispatch.Location{}, dispatch.Errorf(dispatch.ENOTFOUND, "address names no known city or district")
}

// Nominatim asks a Nominatim-compatible HTTP service (GEOCODER_URL).
type Nominatim struct {
	BaseURL string
	Client  *http.Client // http.DefaultClient's transport with a 5 s timeout when nil
}

var _ dispatch.Geocoder = (*Nominatim)(nil)

// Geocode asks for the best match within Kazakhstan.
func (n *Nominatim) Geocode(ctx context.Context, address string) (dispatch.Location, error) {
	const op = "nominatim.Geocode"
	client := n.Client
	if client == nil {
		client = &http.Client{Timeout: 5 * time.Second}
	}
	q := url.Values{"q": {address}, "format": {"jsonv2"}, "limit": {"1"}, "countrycodes": {"kz"}}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(n.BaseURL, "/")+"/search?"+q.Encode(), nil)
	if err != nil {
		return dispatch.Location{}, dispatch.E(op, err)
	}
	req.Header.Set("User-Agent", "kz-volunteers-dispatcher/1")
	res, err := client.Do(req)
	if err != nil {
		return dispatch.Location{}, dispatch.E(op, &dispatch.Error{Code: dispatch.EUNAVAILABLE, Message: "geocoder unreachable", Err: err})
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return dispatch.Location{}, dispatch.E(op, dispatch.Errorf(dispatch.EUNAVAILABLE, "geocoder answered %d", res.StatusCode))
	}
	var hits []struct {
		Lat string `json:"lat"`
		Lon string `json:"lon"`
	}
	if err := json.NewDecoder(io.LimitReader(res.Body, 1<<20)).Decode(&hits); err != nil {
		return dispatch.Location{}, dispatch.E(op, &dispatch.Error{Code: dispatch.EUNAVAILABLE, Message: "geocoder answer unreadable", Err: err})
	}
	if len(hits) == 0 {
		return dispatch.Location{}, dispatch.Errorf(dispatch.ENOTFOUND, "geocoder found no place for the address")
	}
	lat, err1 := strconv.ParseFloat(hits[0].Lat, 64)
	lon, err2 := strconv.ParseFloat(hits[0].Lon, 64)
	loc := dispatch.Location{Lat: lat, Lon: lon}
	if err1 != nil || err2 != nil || loc.Validate() != nil {
		return dispatch.Location{}, dispatch.Errorf(dispatch.ENOTFOUND, "geocoder gave no usable point")
	}
	return loc, nil
}

// Geocoders tries each geocoder in turn (the gazetteer, then the HTTP one)
// and returns the first place found. ENOTFOUND when none placed it; when one
// failed and none placed it, that failure.
type Geocoders []dispatch.Geocoder

// Geocode implements dispatch.Geocoder.
func (gs Geocoders) Geocode(ctx context.Context, address string) (dispatch.Location, error) {
	var failed error
	for _, g := range gs {
		loc, err := g.Geocode(ctx, address)
		if err == nil {
			return loc, nil
		}
		if !dispatch.IsCode(err, dispatch.ENOTFOUND) && failed == nil {
			failed = err
		}
	}
	if failed != nil {
		return dispatch.Location{}, failed
	}
	return dispatch.Location{}, dispatch.Errorf(dispatch.ENOTFOUND, "address could not be placed")
}

// NewGeocoder is the gazetteer from fsys, followed by the HTTP geocoder at
// baseURL when it is not empty.
func NewGeocoder(fsys fs.FS, baseURL string) (dispatch.Geocoder, error) {
	g, err := LoadGazetteer(fsys, "gazetteer.json")
	if err != nil {
		return nil, err
	}
	if baseURL == "" {
		return g, nil
	}
	return Geocoders{g, &Nominatim{BaseURL: baseURL}}, nil
}
