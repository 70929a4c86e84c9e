-- +goose Up
-- An incoming text is recorded before it is acted on (Twilio retries), and
-- marked handled after. A text whose handling failed is handled again on
-- Twilio's retry instead of being dropped as "seen".
ALTER TABLE inbound_messages
    ADD COLUMN handled_at    timestamptz,
    ADD COLUMN claimed_until timestamptz;
UPDATE inbound_messages SET handled_at = received_at;

-- +goose Down
ALTER TABLE inbound_messages DROP COLUMN handled_at, DROP COLUMN claimed_until;
