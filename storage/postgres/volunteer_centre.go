package postgres

import (
	"context"
	"database/sql"

	"github.com/kz-volunteers/dispatcher/dispatch"
)

// place sets the centres of vs from their homes (dispatch.PlaceVolunteer),
// reading the centres' areas once for all of them, and only when one of
// them is not placed by hand.
func (s *Store) place(ctx context.Context, vs ...*dispatch.Volunteer) error {
	var areas []dispatch.Area
	loaded := false
	for _, v := range vs {
		if v.CentreChosen {
			continue
		}
		if !loaded && v.Location != nil {
			var err error
			if areas, err = s.CentreAreas(ctx); err != nil {
				return err
			}
			loaded = true
		}
		dispatch.PlaceVolunteer(areas, v)
	}
	return nil
}

// placeBatch is how many volunteers PlaceVolunteers reads at once.
const placeBatch = 1000

// PlaceVolunteers puts every volunteer whose centre was not chosen by hand
// in the centre of their home, as CreateVolunteer would: the backfill for
// volunteers entered before centres existed, and the re-placing after a
// centre's districts were redrawn. It changes only rows whose centre
// differs, so running it again changes nothing, and returns how many it
// changed. `dispatcher migrate` runs it after the migrations.
func (s *Store) PlaceVolunteers(ctx context.Context) (int, error) {
	const op = "postgres.PlaceVolunteers"
	areas, err := s.CentreAreas(ctx)
	if err != nil {
		return 0, wrap(op, err)
	}
	changed := 0
	var after int64
	for {
		var rows []struct {
			ID       int64           `db:"id"`
			Lat      sql.NullFloat64 `db:"lat"`
			Lon      sql.NullFloat64 `db:"lon"`
			CentreID sql.NullInt64   `db:"centre_id"`
		}
		err := selectx(ctx, s, &rows, `SELECT id, lat, lon, centre_id FROM volunteers
			WHERE NOT centre_chosen AND id > $1 ORDER BY id LIMIT $2`, after, placeBatch)
		if err != nil {
			return changed, wrap(op, err)
		}
		for _, r := range rows {
			after = r.ID
			v := &dispatch.Volunteer{Location: location(r.Lat, r.Lon)}
			dispatch.PlaceVolunteer(areas, v)
			if v.CentreID == r.CentreID.Int64 {
				continue
			}
			// The guard on centre_chosen keeps a centre a dispatcher chose
			// since the row was read.
			res, err := s.ext.ExecContext(ctx, `UPDATE volunteers SET centre_id = NULLIF($2, 0)
				WHERE id = $1 AND NOT centre_chosen`, r.ID, v.CentreID)
			if err != nil {
				return changed, wrap(op, err)
			}
			if n, _ := res.RowsAffected(); n > 0 {
				changed++
			}
		}
		if len(rows) < placeBatch {
			return changed, nil
		}
	}
}
