package intake

import (
	"context"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"

	"github.com/kz-volunteers/dispatcher/dispatch"
)

func gazetteer(t *testing.T) *Gazetteer {
	t.Helper()
	g, err := LoadGazetteer(os.DirFS("../configs"), "gazetteer.json")
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func near(a dispatch.Location, lat, lon float64) bool {
	return math.Abs(a.Lat-lat) < 0.005 && math.Abs(a.Lon-lon) < 0.005
}

func TestGazetteer(t *testing.T) {
	g := gazetteer(t)
	if n := len(g.places); n < 20 {
		t.Fatalf("gazetteer has %d cities, want at least 20", n)
	}
	for _, tc := range []struct {
		addr     string
		lat, lon float64
	}{
		{"г. Алматы, Медеуский район, ул. Пушкина 5", 43.24, 76.97},
		{"almaty, medeu", 43.24, 76.97},
		{"АЛМАТЫ", 43.2389, 76.8897},
		{"Астана, Алматы ауданы, Кенесары 40", 51.15, 71.50},
		{"Astana, Yesil", 51.11, 71.42},
		{"Нур-Султан", 51.1694, 71.4491},
		{"Усть-Каменогорск, ул. Ленина 1", 49.9483, 82.6275},
		{"Óskemen", 49.9483, 82.6275},
		{"Qaraghandy, Kazybek bi", 49.80, 73.10},
		{"Түрксіб ауданы", 43.34, 76.95},
		{"Шымкент, Тұран", 42.40, 69.55},
	} {
		loc, err := g.Geocode(context.Background(), tc.addr)
		if err != nil || !near(loc, tc.lat, tc.lon) {
			t.Errorf("Geocode(%q) = %v, %v; want %.4f,%.4f", tc.addr, loc, err, tc.lat, tc.lon)
		}
	}
	// Whole words only: a street named after a city's prefix is no city.
	for _, addr := range []string{"Алматыская 5", "Taraztan", "", "somewhere nice"} {
		if _, err := g.Geocode(context.Background(), addr); !dispatch.IsCode(err, dispatch.ENOTFOUND) {
			t.Errorf("Geocode(%q) = %v; want ENOTFOUND", addr, err)
		}
	}
}

func TestNominatimAfterGazetteer(t *testing.T) {
	var asked string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked = r.URL.Query().Get("q")
		if r.URL.Path != "/search" || r.URL.Query().Get("countrycodes") != "kz" {
			http.Error(w, "bad", http.StatusBadRequest)
			return
		}
		if asked == "nowhere" {
			w.Write([]byte(`[]`))
			return
		}
		w.Write([]byte(`[{"lat":"52.1","lon":"70.2"}]`))
	}))
	defer srv.Close()
	g := Geocoders{gazetteer(t), &Nominatim{BaseURL: srv.URL}}
	ctx := context.Background()
	if loc, err := g.Geocode(ctx, "Павлодар"); err != nil || !near(loc, 52.2873, 76.9674) || asked != "" {
		t.Fatalf("gazetteer first: %v %v asked=%q", loc, err, asked)
	}
	if loc, err := g.Geocode(ctx, "село Новое, ул. Абая 3"); err != nil || !near(loc, 52.1, 70.2) {
		t.Fatalf("HTTP geocoder: %v %v", loc, err)
	}
	if _, err := g.Geocode(ctx, "nowhere"); !dispatch.IsCode(err, dispatch.ENOTFOUND) {
		t.Fatalf("nothing found: %v", err)
	}
	srv.Close()
	if _, err := g.Geocode(ctx, "somewhere else"); !dispatch.IsCode(err, dispatch.EUNAVAILABLE) {
		t.Fatalf("geocoder down: %v, want EUNAVAILABLE", err)
	}
}
