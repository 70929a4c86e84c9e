package postgres

import "database/sql"

// RawDB exposes the pool to the tests, which query the tables directly to
// prove what was and was not written.
func RawDB(db *DB) *sql.DB { return db.db.DB }

// SetCodeGenerator replaces how s makes ticket codes.
func SetCodeGenerator(s *Store, gen func() string) { s.newCode = gen }
