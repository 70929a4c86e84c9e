package postgres

import "context"

// SetTokenCentre limits an API token to one centre's tickets; 0 lifts it.
func (s *Store) SetTokenCentre(ctx context.Context, tokenID, centreID int64) error {
	const op = "postgres.SetTokenCentre"
	res, err := s.ext.ExecContext(ctx, `UPDATE api_tokens SET centre_id = NULLIF($2, 0) WHERE id = $1`, tokenID, centreID)
	return affected(op, res, err, "token %d not found", tokenID)
}

// TokenCentre returns the centre an API token is limited to, 0 for none.
func (s *Store) TokenCentre(ctx context.Context, tokenID int64) (int64, error) {
	var c *int64
	if err := getx(ctx, s, &c, `SELECT centre_id FROM api_tokens WHERE id = $1`, tokenID); err != nil {
		return 0, notFound("postgres.TokenCentre", err, "token %d not found", tokenID)
	}
	if c == nil {
		return 0, nil
	}
	return *c, nil
}
