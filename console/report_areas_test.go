package console

import (
	"testing"
	"testing/fstest"

	"github.com/kz-volunteers/dispatcher/configs"
	"github.com/kz-volunteers/dispatcher/dispatch"
)

func TestReportAreas(t *testing.T) {
	fsys := fstest.MapFS{"gazetteer.json": {Data: []byte(`{"places":[
		{"names":["Алматы","Алма-Ата","Almaty"],"lat":43.2389,"lon":76.8897,"districts":[
			{"names":["Медеу","Медеуский","Medeu"],"lat":43.24,"lon":76.97}]},
		{"names":["Рудный"],"lat":52.96,"lon":63.12},
		{"names":["Көкшетау","Кокшетау","Kókshetaý","Kokshetau"],"lat":53.28,"lon":69.39}]}`)}}
	got := reportAreas(fsys, dispatch.LangEN)
	want := []dispatch.AreaCentre{
		{Name: "Almaty", Location: dispatch.Location{Lat: 43.2389, Lon: 76.8897}, RadiusKM: cityRadiusKM, Priority: 1},
		{Name: "Almaty · Medeu", Location: dispatch.Location{Lat: 43.24, Lon: 76.97}, RadiusKM: districtRadiusKM},
		{Name: "Рудный", Location: dispatch.Location{Lat: 52.96, Lon: 63.12}, RadiusKM: cityRadiusKM, Priority: 1},
		{Name: "Kokshetau", Location: dispatch.Location{Lat: 53.28, Lon: 69.39}, RadiusKM: cityRadiusKM, Priority: 1},
	}
	if len(got) != len(want) {
		t.Fatalf("areas %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("area %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	if ru := reportAreas(fsys, dispatch.LangRU); ru[0].Name != "Алматы" || ru[1].Name != "Алматы · Медеу" {
		t.Errorf("ru names %q, %q: want the official names, not the old Алма-Ата", ru[0].Name, ru[1].Name)
	}
	if reportAreas(nil, dispatch.LangKK) != nil || reportAreas(fstest.MapFS{}, dispatch.LangKK) != nil {
		t.Error("no gazetteer should give no areas")
	}
}

// The gazetteer the service ships parses, with districts for the big cities.
func TestReportAreasShipped(t *testing.T) {
	areas := reportAreas(configs.Files, dispatch.LangKK)
	var cities, districts int
	for _, a := range areas {
		if a.Priority == 1 {
			cities++
		} else {
			districts++
		}
		if a.Location.Validate() != nil || a.Name == "" {
			t.Errorf("bad area %+v", a)
		}
	}
	if cities < 10 || districts < 5 {
		t.Errorf("%d cities and %d districts from configs/gazetteer.json", cities, districts)
	}
}
