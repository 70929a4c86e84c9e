package integration

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kz-volunteers/dispatcher/dispatch"
	"github.com/kz-volunteers/dispatcher/storage/redis"
	"github.com/kz-volunteers/dispatcher/storage/storagetest"
)

// BenchmarkMatch times one match (Engine.Suggest: the ticket, its client and
// offers, the widening geo search, the hits' volunteers with their stats in
// a few queries, filters and scores) with 1k to 1M volunteers in the geo
// index, spread over a city 30 km across. The denser the city, the sooner
// the search stops: it never reads more than a thousand hits. Besides the
// mean (ns/op) it reports the p99 of one match (p99-ms) and the geo hits
// the searches of one match read (scanned/op), which scripts/bench.sh
// quotes.
//
//	go test ./internal/integration -run '^$' -bench Match -benchtime 200x
func BenchmarkMatch(b *testing.B) {
	for _, n := range []int{1_000, 10_000, 100_000, 1_000_000} {
		b.Run(fmt.Sprintf("volunteers=%d", n), func(b *testing.B) {
			if n > 100_000 && storagetest.Short() {
				b.Skip("short: the 1M index takes a while to build")
			}
			g := newEngRig(b, false, dispatch.EngineOptions{})
			tk := engBenchWorld(g, n)
			geo := &countingGeo{GeoIndex: g.geo}
			e := dispatch.NewEngine(g.store, g.queue, geo, redis.NewBus(g.rc), g.msgs, g.opts)
			var cands []dispatch.Candidate
			var took []time.Duration
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				var err error
				start := time.Now()
				if cands, err = e.Suggest(g.ctx, tk.ID); err != nil {
					b.Fatal(err)
				}
				took = append(took, time.Since(start))
			}
			slices.Sort(took)
			p99 := took[max(int(math.Ceil(0.99*float64(len(took))))-1, 0)]
			b.ReportMetric(float64(p99)/1e6, "p99-ms")
			b.ReportMetric(float64(geo.hits.Load())/float64(len(took)), "scanned/op")
			b.ReportMetric(float64(len(cands)), "candidates/op")
		})
	}
}

// countingGeo counts the hits the matcher's geo searches return: what one
// match scans, whatever the density.
type countingGeo struct {
	dispatch.GeoIndex
	hits atomic.Int64
}

func (c *countingGeo) Near(ctx context.Context, loc dispatch.Location, radiusM float64, limit int) ([]dispatch.GeoHit, error) {
	hits, err := c.GeoIndex.Near(ctx, loc, radiusM, limit)
	c.hits.Add(int64(len(hits)))
	return hits, err
}

// engBenchPG is how many of the volunteers nearest the ticket get a
// PostgreSQL row: all a search can return (it stops at a thousand). The rest
// live only in the geo index, which is what the benchmark scales.
const engBenchPG = 1000

// engBenchWorld puts n volunteers at random points within 15 km of the
// centre (the same points every run) and returns a ticket at the centre.
func engBenchWorld(g *engRig, n int) *dispatch.Ticket {
	g.t.Helper()
	rng := rand.New(rand.NewPCG(1, uint64(n)))
	type pt struct {
		loc  dispatch.Location
		dist float64
	}
	pts := make([]pt, n)
	for i := range pts {
		r, a := 15*math.Sqrt(rng.Float64()), 2*math.Pi*rng.Float64()
		pts[i] = pt{engOffset(engAstana, r*math.Sin(a), r*math.Cos(a)), r}
	}
	sort.Slice(pts, func(i, j int) bool { return pts[i].dist < pts[j].dist })
	index := make(map[int64]dispatch.Location, n)
	for i, p := range pts {
		if i < engBenchPG {
			loc := p.loc
			v := &dispatch.Volunteer{Name: "v", Phone: g.phone(), Languages: []dispatch.Lang{dispatch.LangRU, dispatch.LangKK},
				Skills: []dispatch.Skill{dispatch.SkillCar}, Location: &loc, Available: true, MaxTasks: 1}
			if err := g.store.CreateVolunteer(g.ctx, v); err != nil {
				g.t.Fatal(err)
			}
			index[v.ID] = loc
			continue
		}
		index[int64(10_000_000+i)] = p.loc
	}
	if err := g.geo.Rebuild(g.ctx, index); err != nil {
		g.t.Fatal(err)
	}
	return g.ticket(nil)
}
