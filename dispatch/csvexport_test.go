package dispatch

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
)

// An export imports again to the same volunteers.
func TestVolunteerCSVExportRoundTrips(t *testing.T) {
	vols := []*Volunteer{
		{Name: "Айгерім Сапарова, \"Аяш\"", Phone: "+77011234567", Languages: []Lang{LangKK, LangRU},
			Skills: []Skill{SkillCar, SkillMedical}, Location: &Location{Lat: 51.1694, Lon: 71.4491}, MaxTasks: 2, Available: true},
		{Name: "John Smith", Phone: "+77017654321", Languages: []Lang{LangEN}, Skills: []Skill{}, MaxTasks: 1, Available: false},
	}
	var b bytes.Buffer
	if err := WriteVolunteerCSV(&b, vols); err != nil {
		t.Fatal(err)
	}
	im, err := ParseVolunteerCSV(&b, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(im.Errors) != 0 || len(im.Rows) != len(vols) {
		t.Fatalf("re-import: %d rows, errors %+v", len(im.Rows), im.Errors)
	}
	for i, row := range im.Rows {
		got, want := row.Volunteer, vols[i]
		if got.Name != want.Name || got.Phone != want.Phone || !reflect.DeepEqual(got.Languages, want.Languages) ||
			len(got.Skills) != len(want.Skills) || got.MaxTasks != want.MaxTasks || got.Available != want.Available ||
			!reflect.DeepEqual(got.Location, want.Location) {
			t.Errorf("row %d: got %+v, want %+v", i, got, want)
		}
	}
}

func TestVolunteerCSVExportDefusesFormulas(t *testing.T) {
	var b bytes.Buffer
	if err := WriteVolunteerCSV(&b, []*Volunteer{{Name: "=HYPERLINK(\"x\")", Phone: "+77011234567", MaxTasks: 1}}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "\n=") || strings.Contains(b.String(), "\"=") {
		t.Fatalf("a formula left live: %q", b.String())
	}
}
