package postgres

import (
	"context"
	"fmt"
	"strings"

	"github.com/lib/pq"

	"github.com/kz-volunteers/dispatcher/dispatch"
)

var _ dispatch.VolunteerImporter = (*Store)(nil)

// VolunteerPhones returns which of phones belong to a volunteer already.
func (s *Store) VolunteerPhones(ctx context.Context, phones []string) (map[string]int64, error) {
	var rows []struct {
		Phone string `db:"phone"`
		ID    int64  `db:"id"`
	}
	if err := selectx(ctx, s, &rows, `SELECT phone, id FROM volunteers WHERE phone = ANY($1)`, pq.Array(phones)); err != nil {
		return nil, wrap("postgres.VolunteerPhones", err)
	}
	out := make(map[string]int64, len(rows))
	for _, r := range rows {
		out[r.Phone] = r.ID
	}
	return out, nil
}

// importBatch keeps one INSERT under PostgreSQL's 65535 parameters.
const importBatch = 1000 // 13 parameters a row

// CreateVolunteers inserts vs in multi-row INSERTs, each placed in a
// centre as CreateVolunteer does. Outside a transaction it opens one, so
// that the batches land together or not at all.
func (s *Store) CreateVolunteers(ctx context.Context, vs []*dispatch.Volunteer) error {
	const op = "postgres.CreateVolunteers"
	if s.tx == nil {
		return s.InTx(ctx, func(r dispatch.Repo) error { return r.(*Store).CreateVolunteers(ctx, vs) })
	}
	if err := s.place(ctx, vs...); err != nil {
		return wrap(op, err)
	}
	now := s.clock()
	for start := 0; start < len(vs); start += importBatch {
		batch := vs[start:min(start+importBatch, len(vs))]
		var q strings.Builder
		q.WriteString(`INSERT INTO volunteers (phone, name, languages, skills, lat, lon, available, max_tasks, opted_out,
			windows, created_at, updated_at, centre_id, centre_chosen) VALUES `)
		args := make([]any, 0, len(batch)*13)
		for i, v := range batch {
			if v.MaxTasks == 0 {
				v.MaxTasks = 1
			}
			if len(v.Languages) == 0 {
				v.Languages = []dispatch.Lang{dispatch.LangRU}
			}
			windows, err := windowsJSON(v.Windows)
			if err != nil {
				return wrap(op, err)
			}
			lat, lon := latLon(v.Location)
			if i > 0 {
				q.WriteString(", ")
			}
			n := len(args)
			fmt.Fprintf(&q, "($%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d, NULLIF($%d, 0), $%d)",
				n+1, n+2, n+3, n+4, n+5, n+6, n+7, n+8, n+9, n+10, n+11, n+11, n+12, n+13)
			args = append(args, v.Phone, v.Name, pq.Array(strs(v.Languages)), pq.Array(strs(v.Skills)), lat, lon,
				v.Available, v.MaxTasks, v.OptedOut, windows, now, v.CentreID, v.CentreChosen)
		}
		q.WriteString(" RETURNING id, phone")
		var rows []struct {
			ID    int64  `db:"id"`
			Phone string `db:"phone"`
		}
		if err := selectx(ctx, s, &rows, q.String(), args...); err != nil {
			return wrap(op, err)
		}
		ids := make(map[string]int64, len(rows))
		for _, r := range rows {
			ids[r.Phone] = r.ID
		}
		for _, v := range batch {
			v.ID = ids[v.Phone]
			v.CreatedAt, v.UpdatedAt = now, now
		}
	}
	return nil
}
