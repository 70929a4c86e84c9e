package postgres

import (
	"context"
	"database/sql"
	"encoding/json"
	"time"

	"github.com/lib/pq"

	"github.com/kz-volunteers/dispatcher/dispatch"
)

// Windows of the volunteer stats.
const (
	statsWindow  = 90 * 24 * time.Hour // offers, acceptance and completions
	recentWindow = 7 * 24 * time.Hour  // tasks assigned lately, to spread the work
)

// volunteerSelect reads volunteers with their stats in one statement: the
// two lateral subqueries count over indexed rows of each volunteer, so a
// list of 500 is still one round trip. $1 is the start of the 90-day
// window, $2 of the 7-day one; filters add parameters from $3.
const volunteerSelect = `
SELECT v.id, v.phone, v.name, v.languages, v.skills, v.lat, v.lon, v.available, v.max_tasks,
	v.opted_out, v.windows, v.centre_id, v.centre_chosen, v.registry, v.created_at, v.updated_at,
	t.active, t.completed, t.recent, o.offered, o.accepted
FROM volunteers v
CROSS JOIN LATERAL (
	SELECT count(*) FILTER (WHERE status IN ('assigned', 'in_progress')) AS active,
		count(*) FILTER (WHERE status = 'completed' AND completed_at >= $1) AS completed,
		count(*) FILTER (WHERE assigned_at >= $2) AS recent
	FROM tickets WHERE volunteer_id = v.id
) t
CROSS JOIN LATERAL (
	SELECT count(*) AS offered, count(*) FILTER (WHERE status = 'accepted') AS accepted
	FROM offers WHERE volunteer_id = v.id AND sent_at >= $1
) o`

type volunteerRow struct {
	ID        int64           `db:"id"`
	Phone     string          `db:"phone"`
	Name      string          `db:"name"`
	Languages pq.StringArray  `db:"languages"`
	Skills    pq.StringArray  `db:"skills"`
	Lat       sql.NullFloat64 `db:"lat"`
	Lon       sql.NullFloat64 `db:"lon"`
	Available bool            `db:"available"`
	MaxTasks  int             `db:"max_tasks"`
	OptedOut  bool            `db:"opted_out"`
	Windows   []byte          `db:"windows"`
	CentreID  sql.NullInt64   `db:"centre_id"`
	Chosen    bool            `db:"centre_chosen"`
	Registry  string          `db:"registry"`
	CreatedAt time.Time       `db:"created_at"`
	UpdatedAt time.Time       `db:"updated_at"`
	Active    int             `db:"active"`
	Completed int             `db:"completed"`
	Recent    int             `db:"recent"`
	Offered   int             `db:"offered"`
	Accepted  int             `db:"accepted"`
}

func (r *volunteerRow) volunteer() (*dispatch.Volunteer, error) {
	v := &dispatch.Volunteer{
		ID: r.ID, Name: r.Name, Phone: r.Phone,
		Languages: kinds[dispatch.Lang](r.Languages), Skills: kinds[dispatch.Skill](r.Skills),
		Location: location(r.Lat, r.Lon), Available: r.Available, MaxTasks: r.MaxTasks,
		OptedOut: r.OptedOut, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt,
		ActiveTasks: r.Active, Offered: r.Offered, Accepted: r.Accepted,
		Completed: r.Completed, RecentTasks: r.Recent,
		CentreID: r.CentreID.Int64, CentreChosen: r.Chosen, Registry: dispatch.RegistryStatus(r.Registry),
	}
	if err := json.Unmarshal(r.Windows, &v.Windows); err != nil {
		return nil, err
	}
	if len(v.Windows) == 0 {
		v.Windows = nil
	}
	return v, nil
}

// statsArgs starts the parameters of volunteerSelect.
func (s *Store) statsArgs() args {
	now := s.clock()
	return args{now.Add(-statsWindow), now.Add(-recentWindow)}
}

func (s *Store) volunteers(ctx context.Context, q string, a args) ([]*dispatch.Volunteer, error) {
	var rows []volunteerRow
	if err := selectx(ctx, s, &rows, q, a...); err != nil {
		return nil, err
	}
	out := make([]*dispatch.Volunteer, len(rows))
	for i := range rows {
		v, err := rows[i].volunteer()
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

func (s *Store) volunteerBy(ctx context.Context, cond string, key any) (*dispatch.Volunteer, error) {
	a := s.statsArgs()
	vs, err := s.volunteers(ctx, volunteerSelect+` WHERE `+cond+a.add(key), a)
	if err != nil {
		return nil, err
	}
	if len(vs) == 0 {
		return nil, sql.ErrNoRows
	}
	return vs[0], nil
}

// Volunteer finds a volunteer by ID, with stats.
func (s *Store) Volunteer(ctx context.Context, id int64) (*dispatch.Volunteer, error) {
	v, err := s.volunteerBy(ctx, "v.id = ", id)
	if err != nil {
		return nil, notFound("postgres.Volunteer", err, "volunteer %d not found", id)
	}
	return v, nil
}

// VolunteerByPhone finds a volunteer by E.164 phone, with stats.
func (s *Store) VolunteerByPhone(ctx context.Context, phone string) (*dispatch.Volunteer, error) {
	v, err := s.volunteerBy(ctx, "v.phone = ", phone)
	if err != nil {
		return nil, notFound("postgres.VolunteerByPhone", err, "no volunteer with this phone number")
	}
	return v, nil
}

// Volunteers lists volunteers that match f, by ID, with stats and the number
// of all that match.
func (s *Store) Volunteers(ctx context.Context, f dispatch.VolunteerFilter) ([]*dispatch.Volunteer, int, error) {
	const op = "postgres.Volunteers"
	var ca args
	var total int
	if err := getx(ctx, s, &total, `SELECT count(*) FROM volunteers v`+volunteerWhere(f, &ca), ca...); err != nil {
		return nil, 0, wrap(op, err)
	}
	a := s.statsArgs()
	w := volunteerWhere(f, &a)
	limit, offset := page(f.Limit, f.Offset)
	q := volunteerSelect + w + ` ORDER BY v.id LIMIT ` + a.add(limit) + ` OFFSET ` + a.add(offset)
	vs, err := s.volunteers(ctx, q, a)
	if err != nil {
		return nil, 0, wrap(op, err)
	}
	return vs, total, nil
}

// volunteerWhere is the WHERE clause of f, its parameters added to a.
func volunteerWhere(f dispatch.VolunteerFilter, a *args) string {
	var conds []string
	if f.Query != "" {
		p := a.add(likePattern(f.Query))
		conds = append(conds, "(v.name ILIKE "+p+" OR v.phone LIKE "+p+")")
	}
	if f.Skill != "" {
		conds = append(conds, a.add(string(f.Skill))+" = ANY (v.skills)")
	}
	if f.Lang != "" {
		conds = append(conds, a.add(string(f.Lang))+" = ANY (v.languages)")
	}
	if f.Available != nil {
		conds = append(conds, "v.available = "+a.add(*f.Available))
	}
	if f.IDs != nil {
		conds = append(conds, "v.id = ANY ("+a.add(pq.Array(f.IDs))+")")
	}
	switch {
	case f.CentreID != 0 && f.NoCentre:
		conds = append(conds, "(v.centre_id = "+a.add(f.CentreID)+" OR v.centre_id IS NULL)")
	case f.CentreID != 0:
		conds = append(conds, "v.centre_id = "+a.add(f.CentreID))
	case f.NoCentre:
		conds = append(conds, "v.centre_id IS NULL")
	}
	return where(conds)
}

// indexBatch is how many volunteers VolunteersForIndex hands fn at once.
const indexBatch = 500

// VolunteersForIndex calls fn with every volunteer that CanTakeWork, in
// batches by ID, so that rebuilding the geo index never holds all of them.
func (s *Store) VolunteersForIndex(ctx context.Context, fn func([]*dispatch.Volunteer) error) error {
	const op = "postgres.VolunteersForIndex"
	var after int64
	for {
		a := s.statsArgs()
		q := volunteerSelect + ` WHERE v.available AND NOT v.opted_out AND v.lat IS NOT NULL AND v.id > ` +
			a.add(after) + ` ORDER BY v.id LIMIT ` + a.add(indexBatch)
		vs, err := s.volunteers(ctx, q, a)
		if err != nil {
			return wrap(op, err)
		}
		if len(vs) == 0 {
			return nil
		}
		after = vs[len(vs)-1].ID
		var ok []*dispatch.Volunteer
		for _, v := range vs {
			if v.CanTakeWork() {
				ok = append(ok, v)
			}
		}
		if len(ok) > 0 {
			if err := fn(ok); err != nil {
				return err
			}
		}
		if len(vs) < indexBatch {
			return nil
		}
	}
}

// CreateVolunteer inserts v and sets its ID and timestamps. A zero MaxTasks
// is one task; no languages means Russian. Unless v.CentreChosen, v is
// placed in the centre of its home (dispatch.PlaceVolunteer).
func (s *Store) CreateVolunteer(ctx context.Context, v *dispatch.Volunteer) error {
	if v.MaxTasks == 0 {
		v.MaxTasks = 1
	}
	if len(v.Languages) == 0 {
		v.Languages = []dispatch.Lang{dispatch.LangRU}
	}
	windows, err := windowsJSON(v.Windows)
	if err != nil {
		return wrap("postgres.CreateVolunteer", err)
	}
	if err := s.place(ctx, v); err != nil {
		return wrap("postgres.CreateVolunteer", err)
	}
	now := s.clock()
	lat, lon := latLon(v.Location)
	err = getx(ctx, s, &v.ID, `
		INSERT INTO volunteers (phone, name, languages, skills, lat, lon, available, max_tasks, opted_out,
			windows, created_at, updated_at, centre_id, centre_chosen)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11, NULLIF($12, 0), $13) RETURNING id`,
		v.Phone, v.Name, pq.Array(strs(v.Languages)), pq.Array(strs(v.Skills)), lat, lon,
		v.Available, v.MaxTasks, v.OptedOut, windows, now, v.CentreID, v.CentreChosen)
	if err != nil {
		return wrap("postgres.CreateVolunteer", err)
	}
	v.CreatedAt, v.UpdatedAt = now, now
	if v.Registry == "" {
		v.Registry = dispatch.RegistryApproved
	}
	return nil
}

// UpdateVolunteer writes every field of v but its ID, creation time,
// registry status and stats. Unless v.CentreChosen, v is placed again in
// the centre of its home, which may have moved.
func (s *Store) UpdateVolunteer(ctx context.Context, v *dispatch.Volunteer) error {
	const op = "postgres.UpdateVolunteer"
	windows, err := windowsJSON(v.Windows)
	if err != nil {
		return wrap(op, err)
	}
	if err := s.place(ctx, v); err != nil {
		return wrap(op, err)
	}
	now := s.clock()
	lat, lon := latLon(v.Location)
	res, err := s.ext.ExecContext(ctx, `
		UPDATE volunteers SET phone = $2, name = $3, languages = $4, skills = $5, lat = $6, lon = $7,
			available = $8, max_tasks = $9, opted_out = $10, windows = $11, updated_at = $12,
			centre_id = NULLIF($13, 0), centre_chosen = $14
		WHERE id = $1`,
		v.ID, v.Phone, v.Name, pq.Array(strs(v.Languages)), pq.Array(strs(v.Skills)), lat, lon,
		v.Available, v.MaxTasks, v.OptedOut, windows, now, v.CentreID, v.CentreChosen)
	if err := affected(op, res, err, "volunteer %d not found", v.ID); err != nil {
		return err
	}
	v.UpdatedAt = now
	return nil
}

func windowsJSON(w []dispatch.Window) (string, error) {
	if len(w) == 0 {
		return "[]", nil
	}
	b, err := json.Marshal(w)
	return string(b), err
}
