package console

import (
	"encoding/json"
	"io/fs"
	"strings"
	"unicode"

	"github.com/kz-volunteers/dispatcher/dispatch"
)

// The reports count tickets by district. Tickets keep coordinates, not a
// district, so the areas come from the offline gazetteer the intake geocodes
// with (configs/gazetteer.json): a ticket counts in the district whose
// centre is within districtRadiusKM, else in the city within cityRadiusKM.
const (
	districtRadiusKM = 6
	cityRadiusKM     = 25
)

type gazetteerPlace struct {
	Names     []string         `json:"names"`
	Lat       float64          `json:"lat"`
	Lon       float64          `json:"lon"`
	Districts []gazetteerPlace `json:"districts"`
}

// loadGazetteer reads gazetteer.json from fsys; nil or an unreadable file
// gives no places.
func loadGazetteer(fsys fs.FS) []gazetteerPlace {
	if fsys == nil {
		return nil
	}
	b, err := fs.ReadFile(fsys, "gazetteer.json")
	if err != nil {
		return nil
	}
	var doc struct {
		Places []gazetteerPlace `json:"places"`
	}
	if json.Unmarshal(b, &doc) != nil {
		return nil
	}
	return doc.Places
}

// reportAreas turns the gazetteer into report areas, naming places in
// lang. No gazetteer gives no areas: the report then groups by address.
func reportAreas(fsys fs.FS, lang dispatch.Lang) []dispatch.AreaCentre {
	var out []dispatch.AreaCentre
	for _, p := range loadGazetteer(fsys) {
		city := placeName(p.Names, lang)
		if city == "" {
			continue
		}
		out = append(out, dispatch.AreaCentre{Name: city, Location: dispatch.Location{Lat: p.Lat, Lon: p.Lon},
			RadiusKM: cityRadiusKM, Priority: 1})
		for _, d := range p.Districts {
			if n := placeName(d.Names, lang); n != "" {
				out = append(out, dispatch.AreaCentre{Name: city + " · " + n,
					Location: dispatch.Location{Lat: d.Lat, Lon: d.Lon}, RadiusKM: districtRadiusKM})
			}
		}
	}
	return out
}

// placeName picks a name from the gazetteer's list, which gives the
// official Kazakh name first and then other spellings (old Russian names
// among them, "Алма-Ата", so the second is not a safe Russian name): the
// first for Cyrillic readers, the first Latin one in English.
func placeName(names []string, lang dispatch.Lang) string {
	if len(names) == 0 {
		return ""
	}
	if lang == dispatch.LangEN {
		// English spelling (plain ASCII, "Kokshetau") before the Kazakh
		// Latin alphabet's ("Kókshetaý").
		for _, n := range names {
			if isASCII(n) {
				return n
			}
		}
		for _, n := range names {
			if isLatin(n) {
				return n
			}
		}
	}
	return names[0]
}

func isASCII(s string) bool {
	for _, r := range s {
		if r > unicode.MaxASCII {
			return false
		}
	}
	return strings.TrimSpace(s) != ""
}

func isLatin(s string) bool {
	for _, r := range s {
		if unicode.IsLetter(r) && !unicode.In(r, unicode.Latin) {
			return false
		}
	}
	return strings.TrimSpace(s) != ""
}
