-- +goose Up
-- Consent to keep a person's data, with when and through which channel it
-- was given. A client gives it by asking for help: the first ticket records
-- it (the hotline's greeting, the form and the SMS reply say that the data is
-- kept to arrange the help). Volunteers give it when they sign up; the
-- registry records it there ('console', 'import', 'sms', 'web').
ALTER TABLE clients ADD COLUMN consent_at timestamptz;
ALTER TABLE clients ADD COLUMN consent_channel text NOT NULL DEFAULT '';
ALTER TABLE volunteers ADD COLUMN consent_at timestamptz;
ALTER TABLE volunteers ADD COLUMN consent_channel text NOT NULL DEFAULT '';

-- +goose StatementBegin
CREATE FUNCTION clients_consent_from_ticket() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE clients SET consent_at = NEW.created_at, consent_channel = NEW.channel
     WHERE id = NEW.client_id AND consent_at IS NULL;
    RETURN NULL;
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER tickets_record_consent AFTER INSERT ON tickets
    FOR EACH ROW EXECUTE FUNCTION clients_consent_from_ticket();

-- Clients from before this migration: their first ticket.
UPDATE clients c SET consent_at = f.created_at, consent_channel = f.channel
  FROM (SELECT DISTINCT ON (client_id) client_id, created_at, channel
          FROM tickets ORDER BY client_id, created_at, id) f
 WHERE f.client_id = c.id AND c.consent_at IS NULL;

-- +goose Down
DROP TRIGGER tickets_record_consent ON tickets;
DROP FUNCTION clients_consent_from_ticket;
ALTER TABLE volunteers DROP COLUMN consent_channel, DROP COLUMN consent_at;
ALTER TABLE clients DROP COLUMN consent_channel, DROP COLUMN consent_at;
