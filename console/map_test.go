package console

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/kz-volunteers/dispatcher/dispatch"
)

// The projection keeps every point inside the drawing, keeps north up and
// east right, and keeps the ground's proportions: a degree of longitude at
// 51°N is cos(51°) of a degree of latitude.
func TestFitProjection(t *testing.T) {
	pts := []dispatch.Location{{Lat: 51.10, Lon: 71.30}, {Lat: 51.20, Lon: 71.50}, {Lat: 43.25, Lon: 76.95}}
	p := fitProjection(pts)
	for _, l := range pts {
		x, y := p.xy(l)
		if x < mapPad-0.01 || x > float64(p.w-mapPad)+0.01 || y < mapPad-0.01 || y > float64(p.h-mapPad)+0.01 {
			t.Errorf("%v is drawn at %.1f,%.1f, outside %dx%d less the margin", l, x, y, p.w, p.h)
		}
	}
	ax, ay := p.xy(pts[0])
	bx, by := p.xy(pts[1])
	if !(bx > ax && by < ay) {
		t.Errorf("north-east point is not up and right: %.1f,%.1f vs %.1f,%.1f", bx, by, ax, ay)
	}
	// Proportions: 0.1° of latitude vs 0.1° of longitude near the middle.
	mid := (51.20 + 43.25) / 2
	x0, y0 := p.xy(dispatch.Location{Lat: mid, Lon: 74})
	x1, _ := p.xy(dispatch.Location{Lat: mid, Lon: 74.1})
	_, y1 := p.xy(dispatch.Location{Lat: mid + 0.1, Lon: 74})
	got := (x1 - x0) / (y0 - y1)
	if want := math.Cos(mid * math.Pi / 180); math.Abs(got-want) > 0.01 {
		t.Errorf("x/y scale ratio %.3f, want cos(mid latitude) %.3f", got, want)
	}
}

func TestFitProjectionOnePointOrNone(t *testing.T) {
	for _, pts := range [][]dispatch.Location{nil, {{Lat: 51.1, Lon: 71.4}}} {
		p := fitProjection(pts)
		if math.IsNaN(p.scale) || math.IsInf(p.scale, 0) || p.scale <= 0 {
			t.Fatalf("scale %v for %v", p.scale, pts)
		}
		if len(pts) == 1 {
			x, y := p.xy(pts[0])
			if math.Abs(x-float64(p.w)/2) > 1 || math.Abs(y-float64(p.h)/2) > 1 {
				t.Errorf("a single point is drawn at %.1f,%.1f, not in the middle of %dx%d", x, y, p.w, p.h)
			}
		}
	}
}

// The map tells kinds apart by shape, not only colour, names every point,
// and escapes names and addresses.
func TestMapSVG(t *testing.T) {
	d := &dispatch.MapData{
		Tickets: []dispatch.MapTicket{
			{ID: 1, Code: "A1", Urgency: dispatch.UrgencyNormal, Location: &dispatch.Location{Lat: 51.1, Lon: 71.4}, CreatedAt: time.Now()},
			{ID: 2, Code: "B2", Urgency: dispatch.UrgencyUrgent, Location: &dispatch.Location{Lat: 51.2, Lon: 71.5}},
		},
		Volunteers: []dispatch.MapVolunteer{{ID: 3, Name: `<b>Ann</b> & "Bo"`, Location: dispatch.Location{Lat: 51.15, Lon: 71.45}}},
	}
	out := string(mapSVG(d, []mapCity{{Name: "Астана <центр>", Location: dispatch.Location{Lat: 51.13, Lon: 71.43}}, {Name: "Алматы", Location: dispatch.Location{Lat: 43.24, Lon: 76.89}}}, mapLabels{
		Title: "Map", Desc: "2 tickets", Ticket: "Ticket (circle)", Urgent: "Urgent (triangle)", Volunteer: "Volunteer (square)", LegendTitle: "Legend",
		TicketName:    func(t dispatch.MapTicket) string { return "Ticket " + t.Code },
		VolunteerName: func(v dispatch.MapVolunteer) string { return "Volunteer " + v.Name },
	}))
	sd := parseSVG(t, out)
	if sd.Role != "img" || sd.Title.Text != "Map" || sd.Desc.Text != "2 tickets" {
		t.Errorf("role %q title %q desc %q", sd.Role, sd.Title.Text, sd.Desc.Text)
	}
	for _, want := range []string{`<circle class="ticket"`, `<polygon class="ticket urgent"`, `<rect class="vol"`,
		"<title>Ticket A1</title>", "<title>Ticket B2</title>", "Volunteer &lt;b&gt;Ann&lt;/b&gt; &amp; &#34;Bo&#34;",
		"Ticket (circle)", "Urgent (triangle)", "Volunteer (square)", "Астана &lt;центр&gt;"} {
		if !strings.Contains(out, want) {
			t.Errorf("map lacks %q", want)
		}
	}
	if strings.Contains(out, "<b>Ann") {
		t.Error("volunteer name not escaped")
	}
	if strings.Contains(out, "Алматы") {
		t.Error("a city outside the drawing is labelled")
	}
}

func TestNiceStep(t *testing.T) {
	for in, want := range map[float64]float64{0.013: 0.01, 0.03: 0.02, 0.06: 0.05, 0.09: 0.1, 1.2: 1, 2.6: 2} {
		if got := niceStep(in); math.Abs(got-want) > 1e-12 {
			t.Errorf("niceStep(%v) = %v, want %v", in, got, want)
		}
	}
}

func TestMapFocus(t *testing.T) {
	astana := dispatch.Location{Lat: 51.13, Lon: 71.43}
	pavlodar := dispatch.Location{Lat: 52.29, Lon: 76.97}
	d := &dispatch.MapData{
		Tickets: []dispatch.MapTicket{{ID: 1, Location: &dispatch.Location{Lat: 51.15, Lon: 71.45}},
			{ID: 2, Location: &dispatch.Location{Lat: 52.28, Lon: 76.95}}},
		Volunteers: []dispatch.MapVolunteer{{ID: 3, Location: dispatch.Location{Lat: 51.0, Lon: 71.3}},
			{ID: 4, Location: dispatch.Location{Lat: 52.3, Lon: 77.0}}, {ID: 5, Location: dispatch.Location{Lat: 52.31, Lon: 76.9}}},
		NoLocation: []dispatch.MapTicket{{ID: 6}},
	}
	places := []gazetteerPlace{
		{Names: []string{"Астана", "Astana"}, Lat: astana.Lat, Lon: astana.Lon},
		{Names: []string{"Павлодар", "Pavlodar"}, Lat: pavlodar.Lat, Lon: pavlodar.Lon},
		{Names: []string{"Ақтау", "Aktau"}, Lat: 43.65, Lon: 51.16},
	}
	cities := mapCities(places, dispatch.LangKK, d)
	if len(cities) != 3 || cities[0].Key != "astana" || cities[0].Name != "Астана" || cities[0].Points != 2 || cities[1].Points != 3 || cities[2].Points != 0 {
		t.Fatalf("cities %+v", cities)
	}
	f := focus(d, cities[1])
	if len(f.Tickets) != 1 || f.Tickets[0].ID != 2 || len(f.Volunteers) != 2 || len(f.NoLocation) != 1 {
		t.Errorf("Pavlodar focus %+v", f)
	}
	if km := distanceKM(astana, pavlodar); km < 380 || km > 420 {
		t.Errorf("Astana–Pavlodar %.0f km, want about 400", km)
	}
}
