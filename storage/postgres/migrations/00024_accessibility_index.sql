-- +goose Up
-- The barrier reports' sync runs before every list, the public page's too:
-- finding the accessibility tickets without a report must not scan tickets.
CREATE INDEX tickets_accessibility_idx ON tickets (id) WHERE category = 'accessibility';

-- +goose Down
DROP INDEX tickets_accessibility_idx;
