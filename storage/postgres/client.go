package postgres

import (
	"context"
	"database/sql"
	"time"

	"github.com/lib/pq"

	"github.com/kz-volunteers/dispatcher/dispatch"
)

const clientCols = `id, phone, name, lang, lat, lon, address, needs, notes, opted_out, created_at, updated_at`

type clientRow struct {
	ID        int64           `db:"id"`
	Phone     string          `db:"phone"`
	Name      string          `db:"name"`
	Lang      string          `db:"lang"`
	Lat       sql.NullFloat64 `db:"lat"`
	Lon       sql.NullFloat64 `db:"lon"`
	Address   string          `db:"address"`
	Needs     pq.StringArray  `db:"needs"`
	Notes     string          `db:"notes"`
	OptedOut  bool            `db:"opted_out"`
	CreatedAt time.Time       `db:"created_at"`
	UpdatedAt time.Time       `db:"updated_at"`
}

func (r *clientRow) client() *dispatch.Client {
	return &dispatch.Client{
		ID: r.ID, Phone: r.Phone, Name: r.Name, Lang: dispatch.Lang(r.Lang),
		Location: location(r.Lat, r.Lon), Address: r.Address,
		Needs: kinds[dispatch.Need](r.Needs), Notes: r.Notes, OptedOut: r.OptedOut,
		CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt,
	}
}

// Client finds a client by ID.
func (s *Store) Client(ctx context.Context, id int64) (*dispatch.Client, error) {
	var r clientRow
	err := getx(ctx, s, &r, `SELECT `+clientCols+` FROM clients WHERE id = $1`, id)
	if err != nil {
		return nil, notFound("postgres.Client", err, "client %d not found", id)
	}
	return r.client(), nil
}

// ClientByPhone finds a client by E.164 phone.
func (s *Store) ClientByPhone(ctx context.Context, phone string) (*dispatch.Client, error) {
	var r clientRow
	err := getx(ctx, s, &r, `SELECT `+clientCols+` FROM clients WHERE phone = $1`, phone)
	if err != nil {
		return nil, notFound("postgres.ClientByPhone", err, "no client with this phone number")
	}
	return r.client(), nil
}

// Clients lists clients whose name or phone contains f.Query, newest first,
// with the number of all that match.
func (s *Store) Clients(ctx context.Context, f dispatch.ClientFilter) ([]*dispatch.Client, int, error) {
	const op = "postgres.Clients"
	var a args
	var conds []string
	if f.Query != "" {
		p := a.add(likePattern(f.Query))
		conds = append(conds, "(name ILIKE "+p+" OR phone LIKE "+p+")")
	}
	w := where(conds)
	var total int
	if err := getx(ctx, s, &total, `SELECT count(*) FROM clients`+w, a...); err != nil {
		return nil, 0, wrap(op, err)
	}
	limit, offset := page(f.Limit, f.Offset)
	q := `SELECT ` + clientCols + ` FROM clients` + w +
		` ORDER BY id DESC LIMIT ` + a.add(limit) + ` OFFSET ` + a.add(offset)
	var rows []clientRow
	if err := selectx(ctx, s, &rows, q, a...); err != nil {
		return nil, 0, wrap(op, err)
	}
	out := make([]*dispatch.Client, len(rows))
	for i := range rows {
		out[i] = rows[i].client()
	}
	return out, total, nil
}

// CreateClient inserts c and sets its ID and timestamps. An empty language
// is Russian, the language most callers share.
func (s *Store) CreateClient(ctx context.Context, c *dispatch.Client) error {
	if c.Lang == "" {
		c.Lang = dispatch.LangRU
	}
	now := s.clock()
	lat, lon := latLon(c.Location)
	err := getx(ctx, s, &c.ID, `
		INSERT INTO clients (phone, name, lang, lat, lon, address, needs, notes, opted_out, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) RETURNING id`,
		c.Phone, c.Name, c.Lang, lat, lon, c.Address, pq.Array(strs(c.Needs)), c.Notes, c.OptedOut, now)
	if err != nil {
		return wrap("postgres.CreateClient", err)
	}
	c.CreatedAt, c.UpdatedAt = now, now
	return nil
}

// UpdateClient writes every field of c but its ID and creation time.
func (s *Store) UpdateClient(ctx context.Context, c *dispatch.Client) error {
	const op = "postgres.UpdateClient"
	now := s.clock()
	lat, lon := latLon(c.Location)
	res, err := s.ext.ExecContext(ctx, `
		UPDATE clients SET phone = $2, name = $3, lang = $4, lat = $5, lon = $6, address = $7,
			needs = $8, notes = $9, opted_out = $10, updated_at = $11
		WHERE id = $1`,
		c.ID, c.Phone, c.Name, c.Lang, lat, lon, c.Address, pq.Array(strs(c.Needs)), c.Notes, c.OptedOut, now)
	if err := affected(op, res, err, "client %d not found", c.ID); err != nil {
		return err
	}
	c.UpdatedAt = now
	return nil
}

// EnsureClient implements dispatch.ClientRepo in one round trip: the insert
// and, when the phone is taken, the read of the client who has it. A client
// inserted by a transaction that commits while this statement runs is not
// in its snapshot; that rare case reads again.
func (s *Store) EnsureClient(ctx context.Context, c *dispatch.Client) (bool, error) {
	const op = "postgres.EnsureClient"
	if c.Lang == "" {
		c.Lang = dispatch.LangRU
	}
	now := s.clock()
	lat, lon := latLon(c.Location)
	var rows []struct {
		clientRow
		Created bool `db:"created"`
	}
	err := selectx(ctx, s, &rows, `
		WITH ins AS (
			INSERT INTO clients (phone, name, lang, lat, lon, address, needs, notes, opted_out, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)
			ON CONFLICT (phone) DO NOTHING RETURNING `+clientCols+`)
		SELECT `+clientCols+`, true AS created FROM ins
		UNION ALL
		SELECT `+clientCols+`, false AS created FROM clients WHERE phone = $1 AND NOT EXISTS (SELECT 1 FROM ins)`,
		c.Phone, c.Name, c.Lang, lat, lon, c.Address, pq.Array(strs(c.Needs)), c.Notes, c.OptedOut, now)
	if err != nil {
		return false, wrap(op, err)
	}
	if len(rows) == 0 {
		got, err := s.ClientByPhone(ctx, c.Phone)
		if err != nil {
			return false, dispatch.E(op, err)
		}
		*c = *got
		return false, nil
	}
	*c = *rows[0].client()
	return rows[0].Created, nil
}
