package redis

import (
	"context"
	"errors"
	"strconv"

	goredis "github.com/redis/go-redis/v9"

	"github.com/kz-volunteers/dispatcher/dispatch"
)

// geoBatch is how many volunteers one pipelined GEOADD carries in Rebuild.
const geoBatch = 1000

// GeoIndex is dispatch.GeoIndex on a Redis geo set of the volunteers who can
// take work now, member = volunteer id.
//
// A Set or Remove that races a Rebuild can be undone by it (the rebuild's
// snapshot was read before the change); the periodic rebuild from PostgreSQL
// corrects that, and matching re-checks every candidate in PostgreSQL anyway.
type GeoIndex struct {
	c *Client
}

var _ dispatch.GeoIndex = (*GeoIndex)(nil)

// NewGeoIndex returns the volunteers' geo index.
func NewGeoIndex(c *Client) *GeoIndex { return &GeoIndex{c: c} }

// Set puts the volunteer at loc, replacing any earlier location.
func (g *GeoIndex) Set(ctx context.Context, volunteerID int64, loc dispatch.Location) error {
	const op = "redis.GeoIndex.Set"
	if err := validGeo(loc); err != nil {
		return dispatch.E(op, err)
	}
	err := g.c.rdb.GeoAdd(ctx, g.c.geoKey(), geoLocation(volunteerID, loc)).Err()
	return fail(op, err)
}

// Remove takes the volunteer out; removing one who is not there is no error.
func (g *GeoIndex) Remove(ctx context.Context, volunteerID int64) error {
	err := g.c.rdb.ZRem(ctx, g.c.geoKey(), strconv.FormatInt(volunteerID, 10)).Err()
	return fail("redis.GeoIndex.Remove", err)
}

// Near returns up to limit volunteers within radiusM metres of loc, nearest
// first.
func (g *GeoIndex) Near(ctx context.Context, loc dispatch.Location, radiusM float64, limit int) ([]dispatch.GeoHit, error) {
	const op = "redis.GeoIndex.Near"
	if err := loc.Validate(); err != nil {
		return nil, dispatch.E(op, err)
	}
	if radiusM <= 0 || limit <= 0 {
		return nil, dispatch.E(op, dispatch.Errorf(dispatch.EINVALID,
			"Search radius %g m and limit %d must both be positive.", radiusM, limit))
	}
	res, err := g.c.rdb.GeoSearchLocation(ctx, g.c.geoKey(), &goredis.GeoSearchLocationQuery{
		GeoSearchQuery: goredis.GeoSearchQuery{
			Longitude:  loc.Lon,
			Latitude:   loc.Lat,
			Radius:     radiusM,
			RadiusUnit: "m",
			Sort:       "ASC",
			Count:      limit,
		},
		WithDist: true,
	}).Result()
	if err != nil {
		return nil, fail(op, err)
	}
	hits := make([]dispatch.GeoHit, 0, len(res))
	for _, r := range res {
		id, err := strconv.ParseInt(r.Name, 10, 64)
		if err != nil {
			return nil, dispatch.E(op, err)
		}
		hits = append(hits, dispatch.GeoHit{VolunteerID: id, DistanceM: r.Dist})
	}
	return hits, nil
}

// Rebuild replaces the index with vols: it fills a temporary key in pipelined
// batches, then in one MULTI renames it over the index and sets the marker
// that tells a built index from a lost one. Readers see the old index or the
// new one, never a part.
func (g *GeoIndex) Rebuild(ctx context.Context, vols map[int64]dispatch.Location) error {
	const op = "redis.GeoIndex.Rebuild"
	nonce, err := newToken()
	if err != nil {
		return dispatch.E(op, err)
	}
	tmp := g.c.geoTempKey(nonce)
	batch := make([]*goredis.GeoLocation, 0, min(len(vols), geoBatch))
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		err := g.c.rdb.GeoAdd(ctx, tmp, batch...).Err()
		batch = batch[:0]
		return err
	}
	for id, loc := range vols {
		if err := validGeo(loc); err != nil {
			g.c.rdb.Del(context.WithoutCancel(ctx), tmp)
			return dispatch.E(op, dispatch.Errorf(dispatch.EINVALID, "Volunteer %d: %s", id, dispatch.ErrorMessage(err)))
		}
		batch = append(batch, geoLocation(id, loc))
		if len(batch) == geoBatch {
			if err := flush(); err != nil {
				g.c.rdb.Del(context.WithoutCancel(ctx), tmp)
				return fail(op, err)
			}
		}
	}
	if err := flush(); err != nil {
		g.c.rdb.Del(context.WithoutCancel(ctx), tmp)
		return fail(op, err)
	}
	_, err = g.c.rdb.TxPipelined(ctx, func(p goredis.Pipeliner) error {
		if len(vols) == 0 {
			p.Del(ctx, g.c.geoKey())
		} else {
			p.Rename(ctx, tmp, g.c.geoKey())
		}
		p.Set(ctx, g.c.geoBuiltKey(), "1", 0)
		return nil
	})
	if err != nil {
		g.c.rdb.Del(context.WithoutCancel(ctx), tmp)
	}
	return fail(op, err)
}

// Size is the number of volunteers in the index, or -1 when the index was
// never built or Redis lost it, so that the caller rebuilds it.
func (g *GeoIndex) Size(ctx context.Context) (int64, error) {
	const op = "redis.GeoIndex.Size"
	var built *goredis.IntCmd
	var card *goredis.IntCmd
	_, err := g.c.rdb.TxPipelined(ctx, func(p goredis.Pipeliner) error {
		built = p.Exists(ctx, g.c.geoBuiltKey())
		card = p.ZCard(ctx, g.c.geoKey())
		return nil
	})
	if err != nil && !errors.Is(err, goredis.Nil) {
		return 0, fail(op, err)
	}
	if built.Val() == 0 {
		return -1, nil
	}
	return card.Val(), nil
}

// maxGeoLat is the latitude beyond which Redis geo sets cannot store a
// point (the Web Mercator limit).
const maxGeoLat = 85.05112878

func validGeo(loc dispatch.Location) error {
	if err := loc.Validate(); err != nil {
		return err
	}
	if loc.Lat > maxGeoLat || loc.Lat < -maxGeoLat {
		return dispatch.Errorf(dispatch.EINVALID, "Latitude %g is too close to a pole to index.", loc.Lat)
	}
	return nil
}

func geoLocation(id int64, loc dispatch.Location) *goredis.GeoLocation {
	return &goredis.GeoLocation{Name: strconv.FormatInt(id, 10), Longitude: loc.Lon, Latitude: loc.Lat}
}
