-- +goose Up
-- Retention and erasure. A ticket's personal data is removed once (redacted_at
-- says when); a client is anonymised once (anonymised_at).
ALTER TABLE tickets ADD COLUMN redacted_at timestamptz;
ALTER TABLE clients ADD COLUMN anonymised_at timestamptz;
-- The retention sweep looks for closed tickets not yet redacted.
CREATE INDEX tickets_unredacted_idx ON tickets (updated_at)
    WHERE redacted_at IS NULL AND status IN ('completed', 'cancelled', 'expired');
-- A client's last text is part of "no activity within the period".
CREATE INDEX inbound_messages_from_idx ON inbound_messages (from_phone, received_at);

-- ticket_events stays append-only with one exception: a transaction that
-- sets "SET LOCAL dispatcher.redact = on" may blank reason and data, and
-- change nothing else. DELETE is never allowed.
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION ticket_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE'
       AND current_setting('dispatcher.redact', true) = 'on'
       AND NEW.id = OLD.id AND NEW.ticket_id = OLD.ticket_id
       AND NEW.from_status = OLD.from_status AND NEW.to_status = OLD.to_status
       AND NEW.kind = OLD.kind AND NEW.actor = OLD.actor AND NEW.channel = OLD.channel
       AND NEW.at = OLD.at
       AND NEW.reason = '' AND NEW.data IS NULL THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'ticket_events is append-only';
END;
$$;
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION ticket_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ticket_events is append-only';
END;
$$;
-- +goose StatementEnd
DROP INDEX inbound_messages_from_idx;
DROP INDEX tickets_unredacted_idx;
ALTER TABLE clients DROP COLUMN anonymised_at;
ALTER TABLE tickets DROP COLUMN redacted_at;
