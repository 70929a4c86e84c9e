package redis

import (
	"math"
	"math/rand/v2"
	"strconv"
	"testing"

	goredis "github.com/redis/go-redis/v9"

	"github.com/kz-volunteers/dispatcher/dispatch"
)

// Points around Astana: the centre, then about 1, 5 and 20 km east of it.
var (
	astana = dispatch.Location{Lat: 51.1694, Lon: 71.4491}
	east1  = dispatch.Location{Lat: 51.1694, Lon: 71.4634}
	east5  = dispatch.Location{Lat: 51.1694, Lon: 71.5207}
	east20 = dispatch.Location{Lat: 51.1694, Lon: 71.7355}
)

func TestGeoNear(t *testing.T) {
	ctx := testCtx(t)
	g := NewGeoIndex(testClient(t))
	must(t, g.Set(ctx, 20, east20))
	must(t, g.Set(ctx, 5, east5))
	must(t, g.Set(ctx, 1, east1))

	hits, err := g.Near(ctx, astana, 10_000, 10)
	must(t, err)
	if len(hits) != 2 || hits[0].VolunteerID != 1 || hits[1].VolunteerID != 5 {
		t.Fatalf("Near 10 km = %+v, want 1 then 5", hits)
	}
	if d := hits[0].DistanceM; d < 900 || d > 1100 {
		t.Errorf("distance to volunteer 1 = %.0f m, want about 1 km", d)
	}

	hits, err = g.Near(ctx, astana, 50_000, 2)
	must(t, err)
	if len(hits) != 2 || hits[0].VolunteerID != 1 || hits[1].VolunteerID != 5 {
		t.Fatalf("Near 50 km limit 2 = %+v, want the two nearest", hits)
	}

	// Moving a volunteer replaces the old position; removing takes them out.
	must(t, g.Set(ctx, 20, astana))
	must(t, g.Remove(ctx, 1))
	must(t, g.Remove(ctx, 999)) // not there: no error
	hits, err = g.Near(ctx, astana, 10_000, 10)
	must(t, err)
	if len(hits) != 2 || hits[0].VolunteerID != 20 || hits[1].VolunteerID != 5 {
		t.Fatalf("Near after moves = %+v, want 20 then 5", hits)
	}
}

func TestGeoBadInput(t *testing.T) {
	ctx := testCtx(t)
	g := NewGeoIndex(testClient(t))
	for _, loc := range []dispatch.Location{{}, {Lat: 91, Lon: 10}, {Lat: 89, Lon: 10}} {
		if err := g.Set(ctx, 1, loc); !dispatch.IsCode(err, dispatch.EINVALID) {
			t.Errorf("Set(%v) = %v, want EINVALID", loc, err)
		}
	}
	if _, err := g.Near(ctx, astana, 0, 5); !dispatch.IsCode(err, dispatch.EINVALID) {
		t.Errorf("Near radius 0 = %v, want EINVALID", err)
	}
	if _, err := g.Near(ctx, astana, 1000, 0); !dispatch.IsCode(err, dispatch.EINVALID) {
		t.Errorf("Near limit 0 = %v, want EINVALID", err)
	}
	err := g.Rebuild(ctx, map[int64]dispatch.Location{1: astana, 2: {}})
	if !dispatch.IsCode(err, dispatch.EINVALID) {
		t.Errorf("Rebuild with a bad location = %v, want EINVALID", err)
	}
	if n, _ := g.Size(ctx); n != -1 {
		t.Errorf("Size after a failed Rebuild = %d, want -1 (nothing built)", n)
	}
}

func TestGeoRebuildAndSize(t *testing.T) {
	ctx := testCtx(t)
	c := testClient(t)
	g := NewGeoIndex(c)
	size := func() int64 {
		t.Helper()
		n, err := g.Size(ctx)
		must(t, err)
		return n
	}
	if n := size(); n != -1 {
		t.Fatalf("Size of a never-built index = %d, want -1", n)
	}
	// A Set before the first build does not make the index look built.
	must(t, g.Set(ctx, 1, east1))
	if n := size(); n != -1 {
		t.Fatalf("Size after Set without Rebuild = %d, want -1", n)
	}

	must(t, g.Rebuild(ctx, map[int64]dispatch.Location{5: east5, 20: east20}))
	if n := size(); n != 2 {
		t.Fatalf("Size after Rebuild = %d, want 2", n)
	}
	hits, err := g.Near(ctx, astana, 100_000, 10)
	must(t, err)
	if len(hits) != 2 || hits[0].VolunteerID != 5 {
		t.Fatalf("Near after Rebuild = %+v, want 5 and 20 only (1 was replaced)", hits)
	}

	// Built but empty is 0, not missing, even after the last one leaves.
	must(t, g.Remove(ctx, 5))
	must(t, g.Remove(ctx, 20))
	if n := size(); n != 0 {
		t.Fatalf("Size of a built index emptied by Remove = %d, want 0", n)
	}
	must(t, g.Rebuild(ctx, nil))
	if n := size(); n != 0 {
		t.Fatalf("Size after an empty Rebuild = %d, want 0", n)
	}

	// Redis loses the keys (FLUSHALL, a failover to an empty replica):
	// Size says the index must be rebuilt.
	must(t, g.Rebuild(ctx, map[int64]dispatch.Location{5: east5}))
	must(t, c.rdb.Del(ctx, c.geoKey(), c.geoBuiltKey()).Err())
	if n := size(); n != -1 {
		t.Fatalf("Size after the keys were deleted = %d, want -1", n)
	}
	// No temporary keys are left behind.
	left, err := c.rdb.Keys(ctx, c.prefix+"*").Result()
	must(t, err)
	if len(left) != 0 {
		t.Fatalf("keys left = %v", left)
	}
}

func TestGeoRebuildIsAtomic(t *testing.T) {
	ctx := testCtx(t)
	c := testClient(t)
	g := NewGeoIndex(c)
	old := map[int64]dispatch.Location{}
	for i := range int64(100) {
		old[i+1] = east1
	}
	must(t, g.Rebuild(ctx, old))
	// A new index of 5000 volunteers (five pipelined batches) builds while a
	// reader watches: every read sees the whole old or the whole new index.
	next := map[int64]dispatch.Location{}
	for i := range int64(5000) {
		next[10_000+i] = east5
	}
	done := make(chan error, 1)
	go func() { done <- g.Rebuild(ctx, next) }()
	for finished := false; !finished; {
		select {
		case err := <-done:
			must(t, err)
			finished = true
		default:
		}
		n, err := g.Size(ctx)
		must(t, err)
		if n != 100 && n != 5000 {
			t.Fatalf("Size during Rebuild = %d, want 100 or 5000", n)
		}
	}
	if n, _ := g.Size(ctx); n != 5000 {
		t.Fatalf("Size after Rebuild = %d, want 5000", n)
	}
}

// TestGeoNearMatchesGeoSearch checks nearScript's shortcut (small circles
// first) against one plain GEOSEARCH over the whole radius, on a dense and a
// sparse index.
func TestGeoNearMatchesGeoSearch(t *testing.T) {
	ctx := testCtx(t)
	c := testClient(t)
	g := NewGeoIndex(c)
	rng := rand.New(rand.NewPCG(3, 3))
	for _, n := range []int{30, 20_000} {
		must(t, g.Rebuild(ctx, randomVolunteers(n)))
		for range 50 {
			at := randomPoint(rng)
			for _, radius := range []float64{3_000, 25_000} {
				got, err := g.Near(ctx, at, radius, 10)
				must(t, err)
				want, err := c.rdb.GeoSearchLocation(ctx, c.geoKey(), &goredis.GeoSearchLocationQuery{
					GeoSearchQuery: goredis.GeoSearchQuery{Longitude: at.Lon, Latitude: at.Lat,
						Radius: radius, RadiusUnit: "m", Sort: "ASC", Count: 10},
					WithDist: true,
				}).Result()
				must(t, err)
				if len(got) != len(want) {
					t.Fatalf("%d volunteers, %v, %g m: Near found %d, GEOSEARCH %d", n, at, radius, len(got), len(want))
				}
				for i := range want {
					if strconv.FormatInt(got[i].VolunteerID, 10) != want[i].Name || math.Abs(got[i].DistanceM-want[i].Dist) > 0.01 {
						t.Fatalf("%d volunteers, %v, %g m: hit %d = %+v, GEOSEARCH %+v", n, at, radius, i, got[i], want[i])
					}
				}
			}
		}
	}
}
