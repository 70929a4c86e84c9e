package dispatch

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
)

// csvAreas are two centres side by side: west of longitude 71.44 and
// east of it.
var csvAreas = []Area{
	{CentreID: 1, Centre: "west", District: "W", Polygon: Polygon{{{71.3, 51.1}, {71.44, 51.1}, {71.44, 51.3}, {71.3, 51.3}, {71.3, 51.1}}}},
	{CentreID: 2, Centre: "east", District: "E", Polygon: Polygon{{{71.44, 51.1}, {71.6, 51.1}, {71.6, 51.3}, {71.44, 51.3}, {71.44, 51.1}}}},
}

// An export imports again to the same volunteers, in the same centres,
// none of them pinned to a centre its home already gives.
func TestVolunteerCSVExportRoundTrips(t *testing.T) {
	vols := []*Volunteer{
		{Name: "Айгерім Сапарова, \"Аяш\"", Phone: "+77011234567", Languages: []Lang{LangKK, LangRU},
			Skills: []Skill{SkillCar, SkillMedical}, Location: &Location{Lat: 51.1694, Lon: 71.4491}, MaxTasks: 2, Available: true,
			CentreID: 2},
		{Name: "John Smith", Phone: "+77017654321", Languages: []Lang{LangEN}, Skills: []Skill{}, MaxTasks: 1, Available: false,
			CentreID: 1, CentreChosen: true},
	}
	var b bytes.Buffer
	if err := WriteVolunteerCSV(&b, vols, map[int64]string{1: "west", 2: "east"}); err != nil {
		t.Fatal(err)
	}
	im, err := ParseVolunteerCSV(&b, nil)
	if err != nil {
		t.Fatal(err)
	}
	ResolveImportCentres(csvAreas, im)
	if len(im.Errors) != 0 || len(im.Rows) != len(vols) {
		t.Fatalf("re-import: %d rows, errors %+v", len(im.Rows), im.Errors)
	}
	for i, row := range im.Rows {
		got, want := row.Volunteer, vols[i]
		if got.Name != want.Name || got.Phone != want.Phone || !reflect.DeepEqual(got.Languages, want.Languages) ||
			len(got.Skills) != len(want.Skills) || got.MaxTasks != want.MaxTasks || got.Available != want.Available ||
			!reflect.DeepEqual(got.Location, want.Location) || got.CentreID != want.CentreID || got.CentreChosen != want.CentreChosen {
			t.Errorf("row %d: got %+v, want %+v", i, got, want)
		}
	}
}

func TestVolunteerCSVExportDefusesFormulas(t *testing.T) {
	var b bytes.Buffer
	if err := WriteVolunteerCSV(&b, []*Volunteer{{Name: "=HYPERLINK(\"x\")", Phone: "+77011234567", MaxTasks: 1}}, nil); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "\n=") || strings.Contains(b.String(), "\"=") {
		t.Fatalf("a formula left live: %q", b.String())
	}
}

// The centre column picks a centre; empty, the home does; an unknown key
// is an error of its line, and a bad one is caught by the parser.
func TestImportCentreColumn(t *testing.T) {
	in := "name,phone,lat,lon,centre\n" +
		"a,+77010000001,51.2,71.35,\n" + // home in west
		"b,+77010000002,51.2,71.35,EAST\n" + // chosen: east
		"c,+77010000003,,,west\n" + // no home, chosen west
		"d,+77010000004,51.2,71.5,nowhere\n" +
		"e,+77010000005,51.2,71.5,Bad Key!\n"
	im, err := ParseVolunteerCSV(strings.NewReader(in), nil)
	if err != nil {
		t.Fatal(err)
	}
	ResolveImportCentres(csvAreas, im)
	type want struct {
		centre int64
		chosen bool
	}
	wants := map[string]want{"a": {1, false}, "b": {2, true}, "c": {1, true}}
	if len(im.Rows) != len(wants) {
		t.Fatalf("%d good rows, want %d; errors %+v", len(im.Rows), len(wants), im.Errors)
	}
	for _, r := range im.Rows {
		if w := wants[r.Volunteer.Name]; r.Volunteer.CentreID != w.centre || r.Volunteer.CentreChosen != w.chosen {
			t.Errorf("row %s: centre %d chosen %v, want %+v", r.Volunteer.Name, r.Volunteer.CentreID, r.Volunteer.CentreChosen, w)
		}
	}
	lines := map[int]string{}
	for _, e := range im.Errors {
		lines[e.Line] = e.Field
	}
	if lines[5] != "centre" || lines[6] != "centre" || len(lines) != 2 {
		t.Errorf("errors %+v, want the centre of lines 5 and 6", im.Errors)
	}
}
