package redis

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/kz-volunteers/dispatcher/dispatch"
	"github.com/kz-volunteers/dispatcher/storage/storagetest"
)

// BenchmarkQueuePushClaimAck measures one ticket's trip through the queue:
// Push, Claim (nothing to wait for) and Ack, three round trips.
func BenchmarkQueuePushClaimAck(b *testing.B) {
	ctx := testCtx(b)
	q := NewQueue(testClient(b), 0)
	id := int64(0)
	for b.Loop() {
		id++
		if err := q.Push(ctx, id, time.Now(), dispatch.UrgencyNormal); err != nil {
			b.Fatal(err)
		}
		l, err := q.Claim(ctx, 0)
		if err != nil {
			b.Fatal(err)
		}
		if err := q.Ack(ctx, l); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkQueueClaimBacklog claims from a queue holding 100k due tickets.
func BenchmarkQueueClaimBacklog(b *testing.B) {
	ctx := testCtx(b)
	c := testClient(b)
	q := NewQueue(c, 0)
	now := time.Now()
	p := c.rdb.Pipeline()
	for i := range int64(100_000) {
		p.ZAdd(ctx, c.queueKey(dispatch.UrgencyNormal), zmember(now.UnixMilli()-i, i+1))
	}
	if _, err := p.Exec(ctx); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		l, err := q.Claim(ctx, 0)
		if err != nil {
			b.Fatal(err)
		}
		if err := q.Push(ctx, l.TicketID, now, dispatch.UrgencyNormal); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkGeoNear searches indexes of 1k to 1M volunteers spread over a
// 100 km square around Astana, for the 20 nearest within 3 km (the first
// radius step of matching) and within 25 km (the last). It reports the
// index's Redis memory per volunteer as B/volunteer. Building the 1M index
// takes several seconds and about 100 MB of Redis memory.
func BenchmarkGeoNear(b *testing.B) {
	for _, n := range []int{1_000, 10_000, 100_000, 1_000_000} {
		b.Run(fmt.Sprintf("volunteers=%d", n), func(b *testing.B) {
			ctx := b.Context()
			c := testClient(b)
			g := NewGeoIndex(c)
			if err := g.Rebuild(ctx, randomVolunteers(n)); err != nil {
				b.Fatal(err)
			}
			perVol := bytesPerVolunteer(b, c, n)
			rng := rand.New(rand.NewPCG(2, 2))
			for _, radius := range []float64{3_000, 25_000} {
				b.Run(fmt.Sprintf("radius=%gkm", radius/1000), func(b *testing.B) {
					b.ReportAllocs()
					for b.Loop() {
						if _, err := g.Near(ctx, randomPoint(rng), radius, 20); err != nil {
							b.Fatal(err)
						}
					}
					// After the loop: b.Loop's timer reset drops earlier metrics.
					b.ReportMetric(perVol, "B/volunteer")
				})
			}
		})
	}
}

// TestGeoMemoryPerVolunteer holds the index to its memory budget: at most
// 400 bytes of Redis per indexed volunteer.
func TestGeoMemoryPerVolunteer(t *testing.T) {
	if storagetest.Short() {
		t.Skip("short mode")
	}
	const n = 20_000
	ctx := testCtx(t)
	c := testClient(t)
	must(t, NewGeoIndex(c).Rebuild(ctx, randomVolunteers(n)))
	per := bytesPerVolunteer(t, c, n)
	t.Logf("geo index: %.0f bytes of Redis memory per volunteer (%d volunteers)", per, n)
	if per > 400 {
		t.Fatalf("geo index uses %.0f bytes per volunteer, budget 400", per)
	}
}

func bytesPerVolunteer(t testing.TB, c *Client, n int) float64 {
	t.Helper()
	// SAMPLES 0 measures every element instead of estimating from five.
	used, err := c.rdb.MemoryUsage(testCtx(t), c.geoKey(), 0).Result()
	if err != nil {
		t.Fatal(err)
	}
	return float64(used) / float64(n)
}

func randomVolunteers(n int) map[int64]dispatch.Location {
	rng := rand.New(rand.NewPCG(1, uint64(n)))
	vols := make(map[int64]dispatch.Location, n)
	for i := range int64(n) {
		vols[i+1] = randomPoint(rng)
	}
	return vols
}

// randomPoint is a point in a square of about 100 km around Astana.
func randomPoint(rng *rand.Rand) dispatch.Location {
	return dispatch.Location{Lat: 50.72 + rng.Float64()*0.9, Lon: 70.73 + rng.Float64()*1.44}
}

func zmember(score int64, id int64) goredis.Z {
	return goredis.Z{Score: float64(score), Member: id}
}
