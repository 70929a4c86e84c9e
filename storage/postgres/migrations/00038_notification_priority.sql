-- +goose Up
-- Offers and assignments leave before confirmations and replies: under load
-- a volunteer's offer must not wait behind the texts that say "received".
-- The senders claim by priority, then due time (ClaimNotifications).
ALTER TABLE notifications ADD COLUMN priority smallint NOT NULL DEFAULT 0;
CREATE INDEX notifications_claim_idx ON notifications (priority DESC, next_at, id) WHERE status IN ('queued', 'sending');
DROP INDEX notifications_due_idx;

-- +goose Down
CREATE INDEX notifications_due_idx ON notifications (next_at) WHERE status IN ('queued', 'sending');
DROP INDEX notifications_claim_idx;
ALTER TABLE notifications DROP COLUMN priority;
