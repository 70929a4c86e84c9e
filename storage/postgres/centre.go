package postgres

import (
	"context"
	"encoding/json"

	"github.com/kz-volunteers/dispatcher/dispatch"
)

// CentreAreas returns every centre's districts with their polygons, by
// centre and district ID, for routing tickets.
func (s *Store) CentreAreas(ctx context.Context) ([]dispatch.Area, error) {
	const op = "postgres.CentreAreas"
	var rows []struct {
		CentreID int64  `db:"centre_id"`
		Key      string `db:"key"`
		Name     string `db:"name"`
		Polygon  []byte `db:"polygon"`
	}
	err := selectx(ctx, s, &rows, `SELECT d.centre_id, c.key, d.name, d.polygon
		FROM centre_districts d JOIN centres c ON c.id = d.centre_id ORDER BY d.centre_id, d.id`)
	if err != nil {
		return nil, wrap(op, err)
	}
	out := make([]dispatch.Area, len(rows))
	for i, r := range rows {
		out[i] = dispatch.Area{CentreID: r.CentreID, Centre: r.Key, District: r.Name}
		if err := json.Unmarshal(r.Polygon, &out[i].Polygon); err != nil {
			return nil, wrap(op, err)
		}
	}
	return out, nil
}

// RouteTicket records the centre and district a ticket belongs to.
func (s *Store) RouteTicket(ctx context.Context, ticketID, centreID int64, district string) error {
	const op = "postgres.RouteTicket"
	res, err := s.ext.ExecContext(ctx, `UPDATE tickets SET centre_id = $2, district = $3 WHERE id = $1`,
		ticketID, centreID, district)
	return affected(op, res, err, "ticket %d not found", ticketID)
}

// TicketCentre returns the centre ID (0 for none) and district of a ticket.
func (s *Store) TicketCentre(ctx context.Context, ticketID int64) (int64, string, error) {
	var r struct {
		CentreID *int64 `db:"centre_id"`
		District string `db:"district"`
	}
	err := getx(ctx, s, &r, `SELECT centre_id, district FROM tickets WHERE id = $1`, ticketID)
	if err != nil {
		return 0, "", notFound("postgres.TicketCentre", err, "ticket %d not found", ticketID)
	}
	if r.CentreID == nil {
		return 0, r.District, nil
	}
	return *r.CentreID, r.District, nil
}

// SetUserCentre puts a console user in a centre; 0 takes them out of any.
func (s *Store) SetUserCentre(ctx context.Context, userID, centreID int64) error {
	const op = "postgres.SetUserCentre"
	res, err := s.ext.ExecContext(ctx, `UPDATE users SET centre_id = NULLIF($2, 0) WHERE id = $1`, userID, centreID)
	return affected(op, res, err, "user %d not found", userID)
}

// UserCentre returns a console user's centre, 0 for none.
func (s *Store) UserCentre(ctx context.Context, userID int64) (int64, error) {
	var c *int64
	if err := getx(ctx, s, &c, `SELECT centre_id FROM users WHERE id = $1`, userID); err != nil {
		return 0, notFound("postgres.UserCentre", err, "user %d not found", userID)
	}
	if c == nil {
		return 0, nil
	}
	return *c, nil
}

// centreCond is the SQL condition of a CentreScope on a table's centre_id
// column col ("" when the scope lists every centre), its values added to a.
func centreCond(a *args, col string, s dispatch.CentreScope) string {
	if s.All() {
		return ""
	}
	c := col + " = " + a.add(s.Centre)
	if s.Unrouted {
		c = "(" + c + " OR " + col + " IS NULL)"
	}
	return c
}

// Centres lists the centres by ID with their names.
func (s *Store) Centres(ctx context.Context) ([]dispatch.Centre, error) {
	var rows []struct {
		ID  int64  `db:"id"`
		Key string `db:"key"`
		KK  string `db:"name_kk"`
		RU  string `db:"name_ru"`
		EN  string `db:"name_en"`
	}
	if err := selectx(ctx, s, &rows, `SELECT id, key, name_kk, name_ru, name_en FROM centres ORDER BY id`); err != nil {
		return nil, wrap("postgres.Centres", err)
	}
	out := make([]dispatch.Centre, len(rows))
	for i, r := range rows {
		out[i] = dispatch.Centre{ID: r.ID, Key: r.Key,
			Names: map[dispatch.Lang]string{dispatch.LangKK: r.KK, dispatch.LangRU: r.RU, dispatch.LangEN: r.EN}}
	}
	return out, nil
}

// UnroutedTickets lists, by ID, tickets after afterID with a place and no
// centre.
func (s *Store) UnroutedTickets(ctx context.Context, afterID int64, limit int) ([]int64, error) {
	var ids []int64
	err := selectx(ctx, s, &ids, `SELECT id FROM tickets
		WHERE centre_id IS NULL AND lat IS NOT NULL AND id > $1 ORDER BY id LIMIT $2`, afterID, limit)
	return ids, wrap("postgres.UnroutedTickets", err)
}
