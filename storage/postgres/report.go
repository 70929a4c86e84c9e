package postgres

import (
	"context"
	"database/sql"
	"math"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/kz-volunteers/dispatcher/dispatch"
)

// The report's period is always "tickets created in [$1, $2)"; $3 is the
// IANA zone whose days the per-day table is cut in. The centre scope
// (dispatch.CentreScope) is the last two parameters of each query: the
// centre (0: every centre) and whether the unrouted tickets are in it.

// reportPerDaySQL lists every day of the period, zero days included, so that
// a chart has no silent gaps.
const reportPerDaySQL = `
SELECT to_char(d, 'YYYY-MM-DD'), count(t.id)
FROM generate_series(($1::timestamptz AT TIME ZONE $3)::date,
                     (($2::timestamptz - interval '1 microsecond') AT TIME ZONE $3)::date,
                     interval '1 day') AS d
LEFT JOIN tickets t
       ON t.created_at >= $1 AND t.created_at < $2
      AND (t.created_at AT TIME ZONE $3)::date = d::date
      AND ($4::bigint = 0 OR t.centre_id = $4 OR ($5::boolean AND t.centre_id IS NULL))
GROUP BY d
ORDER BY d`

// reportBreakdownSQL counts by channel, category and area in one scan.
// GROUPING() tells which of the three a row belongs to: 3 (binary 011) is a
// channel row, 5 (101) a category row, 6 (110) an area row.
//
// $3..$7 are the areas as parallel arrays (name, lat, lon, radius in km,
// priority). Distances are equirectangular, which is exact enough within a
// city: a degree of latitude is 111.2 km, one of longitude that times
// cos(latitude).
const reportBreakdownSQL = `
WITH areas AS (
    SELECT * FROM unnest($3::text[], $4::float8[], $5::float8[], $6::float8[], $7::int[])
        AS a(name, lat, lon, radius_km, priority)
)
SELECT coalesce(channel, ''), coalesce(category, ''), coalesce(area, ''), count(*),
       GROUPING(channel, category, area)
FROM (SELECT channel, category,
             coalesce((SELECT a.name FROM areas a
                       WHERE t.lat IS NOT NULL
                         AND 111.2 * sqrt((a.lat - t.lat)^2 + ((a.lon - t.lon) * cos(radians(t.lat)))^2) <= a.radius_km
                       ORDER BY a.priority, (a.lat - t.lat)^2 + ((a.lon - t.lon) * cos(radians(t.lat)))^2
                       LIMIT 1),
                      btrim(split_part(address, ',', 1))) AS area
      FROM tickets t WHERE created_at >= $1 AND created_at < $2
        AND ($8::bigint = 0 OR t.centre_id = $8 OR ($9::boolean AND t.centre_id IS NULL))) t
GROUP BY GROUPING SETS ((channel), (category), (area))
ORDER BY 5, 4 DESC, 1, 2, 3`

// reportTimesSQL computes the rates and the interpolated percentiles. A
// ticket counts as escalated when it is escalated now or its timeline shows
// it was at any time.
const reportTimesSQL = `
SELECT count(*),
       count(*) FILTER (WHERE status = 'completed'),
       count(*) FILTER (WHERE status = 'escalated' OR EXISTS (
           SELECT 1 FROM ticket_events e WHERE e.ticket_id = t.id AND e.to_status = 'escalated')),
       count(assigned_at),
       percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM assigned_at - created_at)),
       percentile_cont(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM assigned_at - created_at)),
       count(completed_at) FILTER (WHERE status = 'completed'),
       percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM completed_at - created_at))
           FILTER (WHERE status = 'completed'),
       percentile_cont(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM completed_at - created_at))
           FILTER (WHERE status = 'completed')
FROM tickets t
WHERE created_at >= $1 AND created_at < $2
  AND ($3::bigint = 0 OR t.centre_id = $3 OR ($4::boolean AND t.centre_id IS NULL))`

// reportHoursSQL sums assignment-to-completion time per volunteer.
const reportHoursSQL = `
SELECT v.id, v.name, count(*),
       sum(extract(epoch FROM t.completed_at - t.assigned_at)) / 3600
FROM tickets t
JOIN volunteers v ON v.id = t.volunteer_id
WHERE t.created_at >= $1 AND t.created_at < $2
  AND t.status = 'completed' AND t.assigned_at IS NOT NULL AND t.completed_at >= t.assigned_at
  AND ($3::bigint = 0 OR t.centre_id = $3 OR ($4::boolean AND t.centre_id IS NULL))
GROUP BY v.id, v.name
ORDER BY 4 DESC, v.name`

// reportSplitSQL computes the summary's numbers per centre and per district
// of a centre in one scan; GROUPING(district) is 1 on a centre's row. Each
// number is counted as in reportTimesSQL and reportHoursSQL, so that the
// rows of either split add up to the totals.
const reportSplitSQL = `
WITH t AS (
    SELECT t.centre_id, t.district, t.status, t.created_at, t.assigned_at, t.completed_at, t.volunteer_id,
           t.status = 'escalated' OR EXISTS (
               SELECT 1 FROM ticket_events e WHERE e.ticket_id = t.id AND e.to_status = 'escalated') AS escalated
    FROM tickets t
    WHERE t.created_at >= $1 AND t.created_at < $2
      AND ($3::bigint = 0 OR t.centre_id = $3 OR ($4::boolean AND t.centre_id IS NULL))
)
SELECT coalesce(t.centre_id, 0), coalesce(c.key, ''), t.district, GROUPING(t.district),
       count(*),
       count(*) FILTER (WHERE t.status = 'completed'),
       count(*) FILTER (WHERE t.escalated),
       count(t.assigned_at),
       percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM t.assigned_at - t.created_at)),
       percentile_cont(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM t.assigned_at - t.created_at)),
       count(t.completed_at) FILTER (WHERE t.status = 'completed'),
       percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM t.completed_at - t.created_at))
           FILTER (WHERE t.status = 'completed'),
       percentile_cont(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM t.completed_at - t.created_at))
           FILTER (WHERE t.status = 'completed'),
       coalesce(sum(extract(epoch FROM t.completed_at - t.assigned_at)) FILTER (
           WHERE t.status = 'completed' AND t.volunteer_id IS NOT NULL
             AND t.assigned_at IS NOT NULL AND t.completed_at >= t.assigned_at), 0) / 3600
FROM t LEFT JOIN centres c ON c.id = t.centre_id
GROUP BY GROUPING SETS ((t.centre_id, c.key), (t.centre_id, c.key, t.district))
ORDER BY 4 DESC, 2, 3`

var (
	_ dispatch.ReportRepo = (*Store)(nil)
	_ dispatch.MapRepo    = (*Store)(nil)
)

// Report implements dispatch.ReportRepo.
func (s *Store) Report(ctx context.Context, f dispatch.ReportFilter) (*dispatch.Report, error) {
	return queryReport(ctx, s.ext, f)
}

// MapPoints implements dispatch.MapRepo.
func (s *Store) MapPoints(ctx context.Context, sc dispatch.CentreScope) (*dispatch.MapData, error) {
	return queryMapPoints(ctx, s.ext, sc)
}

// queryReport runs the report's four queries. They are not in one
// transaction: a report is a summary that may be a second stale.
func queryReport(ctx context.Context, db sqlx.QueryerContext, f dispatch.ReportFilter) (*dispatch.Report, error) {
	const op = "postgres.Report"
	if err := f.Validate(); err != nil {
		return nil, dispatch.E(op, err)
	}
	zone := "UTC"
	if f.Zone != nil {
		zone = f.Zone.String()
	}
	r := &dispatch.Report{From: f.From, To: f.To}

	cs, cu := f.Centre.Centre, f.Centre.Unrouted
	rows, err := db.QueryContext(ctx, reportPerDaySQL, f.From, f.To, zone, cs, cu)
	if err != nil {
		return nil, wrap(op, err)
	}
	for rows.Next() {
		var c dispatch.Count
		if err := rows.Scan(&c.Key, &c.N); err != nil {
			rows.Close()
			return nil, wrap(op, err)
		}
		r.PerDay = append(r.PerDay, c)
	}
	if err := closeRows(rows); err != nil {
		return nil, wrap(op, err)
	}

	names, lats, lons, radii, prio := areaArrays(f.Areas)
	rows, err = db.QueryContext(ctx, reportBreakdownSQL, f.From, f.To,
		pq.Array(names), pq.Array(lats), pq.Array(lons), pq.Array(radii), pq.Array(prio), cs, cu)
	if err != nil {
		return nil, wrap(op, err)
	}
	for rows.Next() {
		var channel, category, area string
		var n, grouping int
		if err := rows.Scan(&channel, &category, &area, &n, &grouping); err != nil {
			rows.Close()
			return nil, wrap(op, err)
		}
		switch grouping {
		case 3:
			r.ByChannel = append(r.ByChannel, dispatch.Count{Key: channel, N: n})
		case 5:
			r.ByCategory = append(r.ByCategory, dispatch.Count{Key: category, N: n})
		case 6:
			r.ByArea = append(r.ByArea, dispatch.Count{Key: area, N: n})
		}
	}
	if err := closeRows(rows); err != nil {
		return nil, wrap(op, err)
	}

	var aMed, aP90, cMed, cP90 sql.NullFloat64
	err = db.QueryRowxContext(ctx, reportTimesSQL, f.From, f.To, cs, cu).Scan(&r.Total, &r.Completed, &r.Escalated,
		&r.ToAssign.N, &aMed, &aP90, &r.ToComplete.N, &cMed, &cP90)
	if err != nil {
		return nil, wrap(op, err)
	}
	r.ToAssign.Median, r.ToAssign.P90 = seconds(aMed), seconds(aP90)
	r.ToComplete.Median, r.ToComplete.P90 = seconds(cMed), seconds(cP90)

	rows, err = db.QueryContext(ctx, reportHoursSQL, f.From, f.To, cs, cu)
	if err != nil {
		return nil, wrap(op, err)
	}
	for rows.Next() {
		var v dispatch.VolunteerHours
		if err := rows.Scan(&v.VolunteerID, &v.Name, &v.Tasks, &v.Hours); err != nil {
			rows.Close()
			return nil, wrap(op, err)
		}
		r.Volunteers = append(r.Volunteers, v)
		r.VolunteerHours += v.Hours
	}
	if err := closeRows(rows); err != nil {
		return nil, wrap(op, err)
	}
	if err := querySplits(ctx, db, f, r); err != nil {
		return nil, wrap(op, err)
	}
	return r, nil
}

// querySplits fills the report's ByCentre and ByDistrict.
func querySplits(ctx context.Context, db sqlx.QueryerContext, f dispatch.ReportFilter, r *dispatch.Report) error {
	rows, err := db.QueryContext(ctx, reportSplitSQL, f.From, f.To, f.Centre.Centre, f.Centre.Unrouted)
	if err != nil {
		return err
	}
	for rows.Next() {
		var (
			sp                     dispatch.Split
			district               sql.NullString
			centreRow              int
			aMed, aP90, cMed, cP90 sql.NullFloat64
		)
		if err := rows.Scan(&sp.CentreID, &sp.Centre, &district, &centreRow, &sp.Total, &sp.Completed, &sp.Escalated,
			&sp.ToAssign.N, &aMed, &aP90, &sp.ToComplete.N, &cMed, &cP90, &sp.VolunteerHours); err != nil {
			rows.Close()
			return err
		}
		sp.ToAssign.Median, sp.ToAssign.P90 = seconds(aMed), seconds(aP90)
		sp.ToComplete.Median, sp.ToComplete.P90 = seconds(cMed), seconds(cP90)
		if centreRow == 1 {
			r.ByCentre = append(r.ByCentre, sp)
			continue
		}
		sp.District = district.String
		r.ByDistrict = append(r.ByDistrict, sp)
	}
	return closeRows(rows)
}

// areaArrays passes the areas as parallel arrays: one parameter each, however
// many areas there are.
func areaArrays(areas []dispatch.AreaCentre) (names []string, lats, lons, radii []float64, prio []int64) {
	for _, a := range areas {
		names = append(names, a.Name)
		lats = append(lats, a.Location.Lat)
		lons = append(lons, a.Location.Lon)
		radii = append(radii, a.RadiusKM)
		prio = append(prio, int64(a.Priority))
	}
	return names, lats, lons, radii, prio
}

// seconds turns an epoch difference into a Duration rounded to the
// millisecond: PostgreSQL's interpolation gives float noise below that.
func seconds(s sql.NullFloat64) time.Duration {
	if !s.Valid {
		return 0
	}
	return time.Duration(math.Round(s.Float64*1000)) * time.Millisecond
}

func closeRows(rows *sql.Rows) error {
	if err := rows.Err(); err != nil {
		rows.Close()
		return err
	}
	return rows.Close()
}

// mapTicketsSQL lists open tickets, urgent and oldest first; the limit keeps
// a runaway queue from making a page of megabytes.
// $1 is the scope's centre (0: every centre), $2 whether the unrouted
// tickets (and volunteers in no centre) are in it.
const mapTicketsSQL = `
SELECT id, code, status, urgency, category, address, lat, lon, created_at
FROM tickets
WHERE status NOT IN ('completed', 'cancelled', 'expired')
  AND ($1::bigint = 0 OR centre_id = $1 OR ($2::boolean AND centre_id IS NULL))
ORDER BY urgency = 'urgent' DESC, created_at
LIMIT 2000`

// mapVolunteersSQL lists volunteers who can take work, as the geo index
// holds them, with their current load.
const mapVolunteersSQL = `
SELECT v.id, v.name, v.lat, v.lon, v.max_tasks, v.skills,
       (SELECT count(*) FROM tickets t
         WHERE t.volunteer_id = v.id AND t.status IN ('assigned', 'in_progress'))
FROM volunteers v
WHERE v.available AND NOT v.opted_out AND v.lat IS NOT NULL
  AND ($1::bigint = 0 OR v.centre_id = $1 OR ($2::boolean AND v.centre_id IS NULL))
ORDER BY v.name, v.id
LIMIT 2000`

func queryMapPoints(ctx context.Context, db sqlx.QueryerContext, sc dispatch.CentreScope) (*dispatch.MapData, error) {
	const op = "postgres.MapPoints"
	m := &dispatch.MapData{}
	rows, err := db.QueryContext(ctx, mapTicketsSQL, sc.Centre, sc.Unrouted)
	if err != nil {
		return nil, wrap(op, err)
	}
	for rows.Next() {
		var t dispatch.MapTicket
		var lat, lon sql.NullFloat64
		if err := rows.Scan(&t.ID, &t.Code, &t.Status, &t.Urgency, &t.Category, &t.Address, &lat, &lon, &t.CreatedAt); err != nil {
			rows.Close()
			return nil, wrap(op, err)
		}
		if lat.Valid && lon.Valid {
			t.Location = &dispatch.Location{Lat: lat.Float64, Lon: lon.Float64}
			m.Tickets = append(m.Tickets, t)
		} else {
			m.NoLocation = append(m.NoLocation, t)
		}
	}
	if err := closeRows(rows); err != nil {
		return nil, wrap(op, err)
	}

	rows, err = db.QueryContext(ctx, mapVolunteersSQL, sc.Centre, sc.Unrouted)
	if err != nil {
		return nil, wrap(op, err)
	}
	for rows.Next() {
		var v dispatch.MapVolunteer
		var skills pq.StringArray
		if err := rows.Scan(&v.ID, &v.Name, &v.Location.Lat, &v.Location.Lon, &v.MaxTasks, &skills, &v.ActiveTasks); err != nil {
			rows.Close()
			return nil, wrap(op, err)
		}
		for _, s := range skills {
			v.Skills = append(v.Skills, dispatch.Skill(s))
		}
		m.Volunteers = append(m.Volunteers, v)
	}
	if err := closeRows(rows); err != nil {
		return nil, wrap(op, err)
	}
	return m, nil
}
