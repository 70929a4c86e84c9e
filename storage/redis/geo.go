package redis

import (
	"context"
	"errors"
	"strconv"

	goredis "github.com/redis/go-redis/v9"

	"github.com/kz-volunteers/dispatcher/dispatch"
)

// Rebuild sends geoBatch volunteers per GEOADD and geoPipeline GEOADDs per
// round trip.
const (
	geoBatch    = 1000
	geoPipeline = 16
)

// nearScript finds the limit nearest members within a radius. GEOSEARCH ASC
// must sort every member in the radius before it can cut to COUNT, which in
// a dense city means thousands; so the script searches circles of 1/64, 1/16,
// 1/4 and all of the radius in turn and stops at the first that holds limit
// members: those are the nearest within the whole radius too, since everyone
// outside the smaller circle is farther than everyone in it.
//
//	KEYS[1] geo set
//	ARGV[1] longitude
//	ARGV[2] latitude
//	ARGV[3] radius in metres
//	ARGV[4] limit
//
// It returns GEOSEARCH's WITHDIST reply: {{member, distance in m}, ...}.
var nearScript = goredis.NewScript(`
local r = tonumber(ARGV[3])
local limit = tonumber(ARGV[4])
local res
for _, f in ipairs({1/64, 1/16, 1/4, 1}) do
  res = redis.call('GEOSEARCH', KEYS[1], 'FROMLONLAT', ARGV[1], ARGV[2],
    'BYRADIUS', tostring(r * f), 'm', 'ASC', 'COUNT', limit, 'WITHDIST')
  if #res >= limit then return res end
end
return res
`)

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
// first, in one round trip (see nearScript).
func (g *GeoIndex) Near(ctx context.Context, loc dispatch.Location, radiusM float64, limit int) ([]dispatch.GeoHit, error) {
	const op = "redis.GeoIndex.Near"
	if err := loc.Validate(); err != nil {
		return nil, dispatch.E(op, err)
	}
	if radiusM <= 0 || limit <= 0 {
		return nil, dispatch.E(op, dispatch.Errorf(dispatch.EINVALID,
			"Search radius %g m and limit %d must both be positive.", radiusM, limit))
	}
	res, err := nearScript.Run(ctx, g.c.rdb, []string{g.c.geoKey()},
		strconv.FormatFloat(loc.Lon, 'f', -1, 64), strconv.FormatFloat(loc.Lat, 'f', -1, 64),
		strconv.FormatFloat(radiusM, 'f', -1, 64), limit).Slice()
	if err != nil {
		return nil, fail(op, err)
	}
	hits := make([]dispatch.GeoHit, 0, len(res))
	for _, r := range res {
		pair, _ := r.([]any)
		if len(pair) != 2 {
			return nil, dispatch.E(op, dispatch.Errorf(dispatch.EINTERNAL, "GEOSEARCH answered %v", r))
		}
		name, _ := pair[0].(string)
		dist, _ := pair[1].(string)
		id, err := strconv.ParseInt(name, 10, 64)
		if err != nil {
			return nil, dispatch.E(op, err)
		}
		d, err := strconv.ParseFloat(dist, 64)
		if err != nil {
			return nil, dispatch.E(op, err)
		}
		hits = append(hits, dispatch.GeoHit{VolunteerID: id, DistanceM: d})
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
	if err := g.fill(ctx, tmp, vols); err != nil {
		g.c.rdb.Del(context.WithoutCancel(ctx), tmp)
		if dispatch.IsCode(err, dispatch.EINVALID) {
			return dispatch.E(op, err)
		}
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

// fill GEOADDs vols into key in batches of geoBatch, pipelining
// geoPipeline batches per round trip.
func (g *GeoIndex) fill(ctx context.Context, key string, vols map[int64]dispatch.Location) error {
	p := g.c.rdb.Pipeline()
	batch := make([]*goredis.GeoLocation, 0, min(len(vols), geoBatch))
	queued := 0
	for id, loc := range vols {
		if err := validGeo(loc); err != nil {
			return dispatch.Errorf(dispatch.EINVALID, "Volunteer %d: %s", id, dispatch.ErrorMessage(err))
		}
		batch = append(batch, geoLocation(id, loc))
		if len(batch) == geoBatch {
			p.GeoAdd(ctx, key, batch...)
			batch = make([]*goredis.GeoLocation, 0, geoBatch)
			if queued++; queued == geoPipeline {
				if _, err := p.Exec(ctx); err != nil {
					return err
				}
				queued = 0
			}
		}
	}
	if len(batch) > 0 {
		p.GeoAdd(ctx, key, batch...)
	}
	if p.Len() > 0 {
		_, err := p.Exec(ctx)
		return err
	}
	return nil
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
