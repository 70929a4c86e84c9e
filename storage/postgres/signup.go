package postgres

import (
	"context"
	"database/sql"
	"encoding/json"
	"time"

	"github.com/kz-volunteers/dispatcher/dispatch"
)

var _ dispatch.SignupRepo = (*Store)(nil)

type signupRow struct {
	Phone       string        `db:"phone"`
	Lang        string        `db:"lang"`
	Step        string        `db:"step"`
	Data        []byte        `db:"data"`
	ConsentAt   sql.NullTime  `db:"consent_at"`
	VolunteerID sql.NullInt64 `db:"volunteer_id"`
	CreatedAt   time.Time     `db:"created_at"`
	UpdatedAt   time.Time     `db:"updated_at"`
}

// Signup returns the SMS sign-up of phone, ENOTFOUND if none.
func (s *Store) Signup(ctx context.Context, phone string) (*dispatch.Signup, error) {
	const op = "postgres.Signup"
	var r signupRow
	err := getx(ctx, s, &r, `SELECT phone, lang, step, data, consent_at, volunteer_id, created_at, updated_at
		FROM signups WHERE phone = $1 FOR UPDATE`, phone)
	if err != nil {
		return nil, notFound(op, err, "no sign-up for this phone number")
	}
	su := &dispatch.Signup{}
	if err := json.Unmarshal(r.Data, su); err != nil {
		return nil, wrap(op, err)
	}
	su.Phone, su.Lang, su.Step = r.Phone, dispatch.Lang(r.Lang), dispatch.SignupStep(r.Step)
	if r.ConsentAt.Valid {
		t := r.ConsentAt.Time
		su.ConsentAt = &t
	}
	su.VolunteerID = intPtr(r.VolunteerID)
	su.CreatedAt, su.UpdatedAt = r.CreatedAt, r.UpdatedAt
	return su, nil
}

// SaveSignup inserts or replaces the sign-up of su.Phone.
func (s *Store) SaveSignup(ctx context.Context, su *dispatch.Signup) error {
	const op = "postgres.SaveSignup"
	data, err := json.Marshal(su)
	if err != nil {
		return wrap(op, err)
	}
	now := s.clock()
	var consent sql.NullTime
	if su.ConsentAt != nil {
		consent = sql.NullTime{Time: *su.ConsentAt, Valid: true}
	}
	err = getx(ctx, s, &su.CreatedAt, `
		INSERT INTO signups (phone, lang, step, data, consent_at, volunteer_id, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $7)
		ON CONFLICT (phone) DO UPDATE SET lang = $2, step = $3, data = $4, consent_at = $5,
			volunteer_id = $6, updated_at = $7
		RETURNING created_at`,
		su.Phone, string(su.Lang), string(su.Step), string(data), consent, nullInt(su.VolunteerID), now)
	if err != nil {
		return wrap(op, err)
	}
	su.UpdatedAt = now
	return nil
}

// DeleteSignup forgets the sign-up of phone.
func (s *Store) DeleteSignup(ctx context.Context, phone string) error {
	_, err := s.ext.ExecContext(ctx, `DELETE FROM signups WHERE phone = $1`, phone)
	return wrap("postgres.DeleteSignup", err)
}

// SetRegistry sets a volunteer's registry status.
func (s *Store) SetRegistry(ctx context.Context, volunteerID int64, st dispatch.RegistryStatus) error {
	const op = "postgres.SetRegistry"
	res, err := s.ext.ExecContext(ctx, `UPDATE volunteers SET registry = $2, updated_at = $3 WHERE id = $1`,
		volunteerID, string(st), s.clock())
	return affected(op, res, err, "volunteer %d not found", volunteerID)
}

// Registry returns a volunteer's registry status, locking the row.
func (s *Store) Registry(ctx context.Context, volunteerID int64) (dispatch.RegistryStatus, error) {
	var st string
	err := getx(ctx, s, &st, `SELECT registry FROM volunteers WHERE id = $1 FOR UPDATE`, volunteerID)
	if err != nil {
		return "", notFound("postgres.Registry", err, "volunteer %d not found", volunteerID)
	}
	return dispatch.RegistryStatus(st), nil
}

// PendingVolunteers lists volunteers waiting for approval, oldest first.
func (s *Store) PendingVolunteers(ctx context.Context, limit int) ([]*dispatch.Volunteer, error) {
	if limit <= 0 || limit > 500 {
		limit = 500
	}
	a := s.statsArgs()
	vs, err := s.volunteers(ctx, volunteerSelect+` WHERE v.registry = 'pending' ORDER BY v.created_at, v.id LIMIT `+a.add(limit), a)
	return vs, wrap("postgres.PendingVolunteers", err)
}

// RecordConsent records when and through which channel a volunteer agreed
// that their data is kept.
func (s *Store) RecordConsent(ctx context.Context, volunteerID int64, at time.Time, channel dispatch.Channel) error {
	const op = "postgres.RecordConsent"
	res, err := s.ext.ExecContext(ctx, `UPDATE volunteers SET consent_at = $2, consent_channel = $3 WHERE id = $1`,
		volunteerID, at, string(channel))
	return affected(op, res, err, "volunteer %d not found", volunteerID)
}
