package postgres

import (
	"context"
	"database/sql"
	"time"

	"github.com/lib/pq"

	"github.com/kz-volunteers/dispatcher/dispatch"
)

const ticketCols = `id, code, channel, category, description, lang, lat, lon, address, urgency, needs,
	window_start, window_end, status, reason, client_id, volunteer_id, wave, callback, recording_url,
	source_id, created_at, updated_at, assigned_at, completed_at, due_at`

type ticketRow struct {
	ID           int64           `db:"id"`
	Code         string          `db:"code"`
	Channel      string          `db:"channel"`
	Category     string          `db:"category"`
	Description  string          `db:"description"`
	Lang         string          `db:"lang"`
	Lat          sql.NullFloat64 `db:"lat"`
	Lon          sql.NullFloat64 `db:"lon"`
	Address      string          `db:"address"`
	Urgency      string          `db:"urgency"`
	Needs        pq.StringArray  `db:"needs"`
	WindowStart  sql.NullTime    `db:"window_start"`
	WindowEnd    sql.NullTime    `db:"window_end"`
	Status       string          `db:"status"`
	Reason       string          `db:"reason"`
	ClientID     int64           `db:"client_id"`
	VolunteerID  sql.NullInt64   `db:"volunteer_id"`
	Wave         int             `db:"wave"`
	CallBack     bool            `db:"callback"`
	RecordingURL string          `db:"recording_url"`
	SourceID     sql.NullString  `db:"source_id"`
	CreatedAt    time.Time       `db:"created_at"`
	UpdatedAt    time.Time       `db:"updated_at"`
	AssignedAt   sql.NullTime    `db:"assigned_at"`
	CompletedAt  sql.NullTime    `db:"completed_at"`
	DueAt        sql.NullTime    `db:"due_at"`
}

func (r *ticketRow) ticket() *dispatch.Ticket {
	return &dispatch.Ticket{
		ID: r.ID, Code: r.Code, Channel: dispatch.Channel(r.Channel), Category: dispatch.Category(r.Category),
		Description: r.Description, Lang: dispatch.Lang(r.Lang), Location: location(r.Lat, r.Lon),
		Address: r.Address, Urgency: dispatch.Urgency(r.Urgency), Needs: kinds[dispatch.Skill](r.Needs),
		WindowStart: timePtr(r.WindowStart), WindowEnd: timePtr(r.WindowEnd),
		Status: dispatch.Status(r.Status), Reason: r.Reason, ClientID: r.ClientID,
		VolunteerID: intPtr(r.VolunteerID), Wave: r.Wave, CallBack: r.CallBack,
		RecordingURL: r.RecordingURL, SourceID: r.SourceID.String,
		CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt, AssignedAt: timePtr(r.AssignedAt),
		CompletedAt: timePtr(r.CompletedAt), DueAt: timePtr(r.DueAt),
	}
}

func (s *Store) ticketWhere(ctx context.Context, op, cond string, key any, format string, fa ...any) (*dispatch.Ticket, error) {
	var r ticketRow
	if err := getx(ctx, s, &r, `SELECT `+ticketCols+` FROM tickets WHERE `+cond, key); err != nil {
		return nil, notFound(op, err, format, fa...)
	}
	return r.ticket(), nil
}

// Ticket finds a ticket by ID.
func (s *Store) Ticket(ctx context.Context, id int64) (*dispatch.Ticket, error) {
	return s.ticketWhere(ctx, "postgres.Ticket", "id = $1", id, "ticket %d not found", id)
}

// TicketForUpdate finds a ticket by ID and locks its row until the
// transaction ends, so that two transitions of one ticket run one after the
// other and the second sees the first's result.
func (s *Store) TicketForUpdate(ctx context.Context, id int64) (*dispatch.Ticket, error) {
	return s.ticketWhere(ctx, "postgres.TicketForUpdate", "id = $1 FOR UPDATE", id, "ticket %d not found", id)
}

// TicketByCode finds a ticket by its public code, as a person typed it
// (see dispatch.NormalizeTicketCode).
func (s *Store) TicketByCode(ctx context.Context, code string) (*dispatch.Ticket, error) {
	c := dispatch.NormalizeTicketCode(code)
	return s.ticketWhere(ctx, "postgres.TicketByCode", "code = $1", c, "no ticket with code %q", c)
}

// TicketBySource finds the ticket made from a CallSid, MessageSid or
// idempotency key.
func (s *Store) TicketBySource(ctx context.Context, sourceID string) (*dispatch.Ticket, error) {
	if sourceID == "" {
		return nil, dispatch.E("postgres.TicketBySource", dispatch.Errorf(dispatch.ENOTFOUND, "no ticket from an empty source"))
	}
	return s.ticketWhere(ctx, "postgres.TicketBySource", "source_id = $1", sourceID, "no ticket from this source")
}

// Tickets lists tickets that match f, newest first, with the number of all
// that match.
func (s *Store) Tickets(ctx context.Context, f dispatch.TicketFilter) ([]*dispatch.Ticket, int, error) {
	const op = "postgres.Tickets"
	var a args
	var conds []string
	if len(f.Status) > 0 {
		conds = append(conds, "status = ANY ("+a.add(pq.Array(strs(f.Status)))+")")
	}
	if f.Open {
		conds = append(conds, "status NOT IN ('completed', 'cancelled', 'expired')")
	}
	if f.ClientID != nil {
		conds = append(conds, "client_id = "+a.add(*f.ClientID))
	}
	if f.Volunteer != nil {
		conds = append(conds, "volunteer_id = "+a.add(*f.Volunteer))
	}
	if c := centreCond(&a, "centre_id", f.Centre); c != "" {
		conds = append(conds, c)
	}
	w := where(conds)
	var total int
	if err := getx(ctx, s, &total, `SELECT count(*) FROM tickets`+w, a...); err != nil {
		return nil, 0, wrap(op, err)
	}
	limit, offset := page(f.Limit, f.Offset)
	q := `SELECT ` + ticketCols + ` FROM tickets` + w +
		` ORDER BY created_at DESC, id DESC LIMIT ` + a.add(limit) + ` OFFSET ` + a.add(offset)
	var rows []ticketRow
	if err := selectx(ctx, s, &rows, q, a...); err != nil {
		return nil, 0, wrap(op, err)
	}
	out := make([]*dispatch.Ticket, len(rows))
	for i := range rows {
		out[i] = rows[i].ticket()
	}
	return out, total, nil
}

// codeAttempts bounds the retries on a code collision. With ten million
// codes a second collision in a row means something else is wrong.
const codeAttempts = 5

// CreateTicket inserts t with a fresh public code and sets its ID, Code and
// timestamps. An empty Status is new and an empty Urgency normal. A code
// collision is retried with ON CONFLICT rather than by catching the error,
// since an error would abort the caller's transaction.
func (s *Store) CreateTicket(ctx context.Context, t *dispatch.Ticket) error {
	const op = "postgres.CreateTicket"
	if t.Status == "" {
		t.Status = dispatch.StatusNew
	}
	if t.Urgency == "" {
		t.Urgency = dispatch.UrgencyNormal
	}
	now := s.clock()
	lat, lon := latLon(t.Location)
	for range codeAttempts {
		code := s.newCode()
		var ids []int64
		err := selectx(ctx, s, &ids, `
			INSERT INTO tickets (code, channel, category, description, lang, lat, lon, address, urgency,
				needs, window_start, window_end, status, reason, client_id, volunteer_id, wave, callback,
				recording_url, source_id, created_at, updated_at, assigned_at, completed_at, due_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18,
				$19, $20, $21, $21, $22, $23, $24)
			ON CONFLICT (code) DO NOTHING RETURNING id`,
			code, t.Channel, t.Category, t.Description, t.Lang, lat, lon, t.Address, t.Urgency,
			pq.Array(strs(t.Needs)), nullTime(t.WindowStart), nullTime(t.WindowEnd), t.Status, t.Reason,
			t.ClientID, nullInt(t.VolunteerID), t.Wave, t.CallBack, t.RecordingURL, nullStr(t.SourceID),
			now, nullTime(t.AssignedAt), nullTime(t.CompletedAt), nullTime(t.DueAt))
		if err != nil {
			return wrap(op, err)
		}
		if len(ids) == 1 {
			t.ID, t.Code, t.CreatedAt, t.UpdatedAt = ids[0], code, now, now
			return nil
		}
	}
	return dispatch.E(op, dispatch.Errorf(dispatch.EINTERNAL, "no free ticket code after %d attempts", codeAttempts))
}

// UpdateTicket writes every mutable field of t: all but its ID, code,
// channel, client, source and creation time.
func (s *Store) UpdateTicket(ctx context.Context, t *dispatch.Ticket) error {
	const op = "postgres.UpdateTicket"
	now := s.clock()
	lat, lon := latLon(t.Location)
	res, err := s.ext.ExecContext(ctx, `
		UPDATE tickets SET category = $2, description = $3, lang = $4, lat = $5, lon = $6, address = $7,
			urgency = $8, needs = $9, window_start = $10, window_end = $11, status = $12, reason = $13,
			volunteer_id = $14, wave = $15, callback = $16, recording_url = $17, assigned_at = $18,
			completed_at = $19, due_at = $20, updated_at = $21
		WHERE id = $1`,
		t.ID, t.Category, t.Description, t.Lang, lat, lon, t.Address, t.Urgency, pq.Array(strs(t.Needs)),
		nullTime(t.WindowStart), nullTime(t.WindowEnd), t.Status, t.Reason, nullInt(t.VolunteerID), t.Wave,
		t.CallBack, t.RecordingURL, nullTime(t.AssignedAt), nullTime(t.CompletedAt), nullTime(t.DueAt), now)
	if err := affected(op, res, err, "ticket %d not found", t.ID); err != nil {
		return err
	}
	t.UpdatedAt = now
	return nil
}

// DueTickets lists the tickets the engine owns, most overdue first: queued
// and offered ones always (a missing due time means now), and assigned,
// in-progress or completed ones that have a follow-up due. The reconciler
// compares this with the Redis queue.
func (s *Store) DueTickets(ctx context.Context) ([]dispatch.DueTicket, error) {
	var rows []struct {
		ID      int64     `db:"id"`
		DueAt   time.Time `db:"due"`
		Urgency string    `db:"urgency"`
	}
	err := selectx(ctx, s, &rows, `
		SELECT id, COALESCE(due_at, $1) AS due, urgency FROM tickets
		WHERE status IN ('queued', 'offered')
			OR (status IN ('assigned', 'in_progress', 'completed') AND due_at IS NOT NULL)
		ORDER BY due, id`, s.clock())
	if err != nil {
		return nil, wrap("postgres.DueTickets", err)
	}
	out := make([]dispatch.DueTicket, len(rows))
	for i, r := range rows {
		out[i] = dispatch.DueTicket{ID: r.ID, DueAt: r.DueAt, Urgency: dispatch.Urgency(r.Urgency)}
	}
	return out, nil
}
