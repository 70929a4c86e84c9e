package postgres

import (
	"context"
	"database/sql"
	"time"

	"github.com/kz-volunteers/dispatcher/dispatch"
)

var _ dispatch.HoursRepo = (*Store)(nil)

// CompletedTasks implements dispatch.HoursRepo.
func (s *Store) CompletedTasks(ctx context.Context, volunteerID int64) ([]dispatch.HoursTask, error) {
	const op = "postgres.CompletedTasks"
	var rows []struct {
		ID          int64     `db:"id"`
		Code        string    `db:"code"`
		Category    string    `db:"category"`
		AssignedAt  time.Time `db:"assigned_at"`
		CompletedAt time.Time `db:"completed_at"`
	}
	err := selectx(ctx, s, &rows, `SELECT id, code, category, assigned_at, completed_at FROM tickets
        WHERE volunteer_id = $1 AND status = 'completed' AND assigned_at IS NOT NULL AND completed_at IS NOT NULL
        ORDER BY completed_at, id`, volunteerID)
	if err != nil {
		return nil, wrap(op, err)
	}
	out := make([]dispatch.HoursTask, len(rows))
	for i, r := range rows {
		m := dispatch.TaskMinutes(r.AssignedAt, r.CompletedAt)
		out[i] = dispatch.HoursTask{TicketID: r.ID, Code: r.Code, Category: dispatch.Category(r.Category),
			AssignedAt: r.AssignedAt, CompletedAt: r.CompletedAt, Minutes: m, Measured: m}
	}
	return out, nil
}

type correctionRow struct {
	ID          int64         `db:"id"`
	VolunteerID int64         `db:"volunteer_id"`
	TicketID    sql.NullInt64 `db:"ticket_id"`
	Month       sql.NullTime  `db:"month"`
	Minutes     int           `db:"minutes"`
	Absolute    bool          `db:"absolute"`
	Reason      string        `db:"reason"`
	Actor       string        `db:"actor"`
	CreatedAt   time.Time     `db:"created_at"`
}

// HoursCorrections lists a volunteer's corrections in the order they were
// made.
func (s *Store) HoursCorrections(ctx context.Context, volunteerID int64) ([]*dispatch.HoursCorrection, error) {
	const op = "postgres.HoursCorrections"
	var rows []correctionRow
	err := selectx(ctx, s, &rows, `SELECT id, volunteer_id, ticket_id, month, minutes, absolute, reason, actor, created_at
        FROM hours_corrections WHERE volunteer_id = $1 ORDER BY id`, volunteerID)
	if err != nil {
		return nil, wrap(op, err)
	}
	out := make([]*dispatch.HoursCorrection, len(rows))
	for i, r := range rows {
		c := &dispatch.HoursCorrection{ID: r.ID, VolunteerID: r.VolunteerID, TicketID: intPtr(r.TicketID),
			Minutes: r.Minutes, Absolute: r.Absolute, Reason: r.Reason, Actor: r.Actor, CreatedAt: r.CreatedAt}
		if r.Month.Valid {
			// A date column reads back as midnight UTC of that day.
			c.Month = r.Month.Time.UTC().Format("2006-01")
		}
		out[i] = c
	}
	return out, nil
}

// AddHoursCorrection implements dispatch.HoursRepo.
func (s *Store) AddHoursCorrection(ctx context.Context, c *dispatch.HoursCorrection) error {
	const op = "postgres.AddHoursCorrection"
	var month sql.NullString
	if c.Month != "" {
		month = sql.NullString{String: c.Month + "-01", Valid: true}
	}
	c.CreatedAt = s.clock()
	err := s.ext.QueryRowxContext(ctx, `INSERT INTO hours_corrections
        (volunteer_id, ticket_id, month, minutes, absolute, reason, actor, created_at)
        VALUES ($1, $2, $3::date, $4, $5, $6, $7, $8) RETURNING id`,
		c.VolunteerID, nullInt(c.TicketID), month, c.Minutes, c.Absolute, c.Reason, c.Actor, c.CreatedAt).Scan(&c.ID)
	return wrap(op, err)
}
