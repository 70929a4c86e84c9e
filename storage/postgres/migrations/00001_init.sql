-- +goose Up
-- The core schema. Later migrations add to it; this file never changes once
-- released.

CREATE TABLE clients (
    id          bigserial PRIMARY KEY,
    phone       text NOT NULL UNIQUE CHECK (phone ~ '^\+[1-9][0-9]{6,14}$'),
    name        text NOT NULL DEFAULT '',
    lang        text NOT NULL DEFAULT 'ru' CHECK (lang IN ('kk', 'ru', 'en')),
    lat         double precision,
    lon         double precision,
    address     text NOT NULL DEFAULT '',
    needs       text[] NOT NULL DEFAULT '{}',
    notes       text NOT NULL DEFAULT '',
    opted_out   boolean NOT NULL DEFAULT false,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CHECK ((lat IS NULL) = (lon IS NULL))
);

CREATE TABLE volunteers (
    id          bigserial PRIMARY KEY,
    phone       text NOT NULL UNIQUE CHECK (phone ~ '^\+[1-9][0-9]{6,14}$'),
    name        text NOT NULL,
    languages   text[] NOT NULL DEFAULT '{ru}',
    skills      text[] NOT NULL DEFAULT '{}',
    lat         double precision,
    lon         double precision,
    available   boolean NOT NULL DEFAULT true,
    max_tasks   integer NOT NULL DEFAULT 1 CHECK (max_tasks BETWEEN 1 AND 20),
    opted_out   boolean NOT NULL DEFAULT false,
    -- weekly windows as JSON: [{"day":1,"start":540,"end":1080}]
    windows     jsonb NOT NULL DEFAULT '[]',
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CHECK ((lat IS NULL) = (lon IS NULL))
);

CREATE TABLE tickets (
    id            bigserial PRIMARY KEY,
    code          text NOT NULL UNIQUE,
    channel       text NOT NULL CHECK (channel IN ('voice', 'sms', 'web', 'api', 'console', 'system')),
    category      text NOT NULL,
    description   text NOT NULL DEFAULT '',
    lang          text NOT NULL CHECK (lang IN ('kk', 'ru', 'en')),
    lat           double precision,
    lon           double precision,
    address       text NOT NULL DEFAULT '',
    urgency       text NOT NULL DEFAULT 'normal' CHECK (urgency IN ('normal', 'urgent')),
    needs         text[] NOT NULL DEFAULT '{}',
    window_start  timestamptz,
    window_end    timestamptz,
    status        text NOT NULL CHECK (status IN ('new', 'queued', 'offered', 'assigned', 'in_progress',
                                                  'completed', 'cancelled', 'escalated', 'expired')),
    reason        text NOT NULL DEFAULT '',
    client_id     bigint NOT NULL REFERENCES clients (id),
    volunteer_id  bigint REFERENCES volunteers (id),
    wave          integer NOT NULL DEFAULT 0,
    callback      boolean NOT NULL DEFAULT false,
    recording_url text NOT NULL DEFAULT '',
    -- CallSid, MessageSid or idempotency key: Twilio retries, one ticket.
    source_id     text UNIQUE,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    assigned_at   timestamptz,
    completed_at  timestamptz,
    -- when the engine must look next; what rebuilds the Redis queue
    due_at        timestamptz,
    CHECK ((lat IS NULL) = (lon IS NULL))
);
CREATE INDEX tickets_open_idx ON tickets (status, created_at)
    WHERE status NOT IN ('completed', 'cancelled', 'expired');
CREATE INDEX tickets_client_idx ON tickets (client_id, created_at DESC);
CREATE INDEX tickets_volunteer_idx ON tickets (volunteer_id) WHERE volunteer_id IS NOT NULL;

-- Append-only: the trigger below refuses UPDATE and DELETE.
CREATE TABLE ticket_events (
    id         bigserial PRIMARY KEY,
    ticket_id  bigint NOT NULL REFERENCES tickets (id),
    from_status text NOT NULL DEFAULT '',
    to_status  text NOT NULL DEFAULT '',
    kind       text NOT NULL,
    actor      text NOT NULL,
    channel    text NOT NULL,
    reason     text NOT NULL DEFAULT '',
    data       jsonb,
    at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ticket_events_ticket_idx ON ticket_events (ticket_id, id);

-- +goose StatementBegin
CREATE FUNCTION ticket_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ticket_events is append-only';
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER ticket_events_no_change BEFORE UPDATE OR DELETE ON ticket_events
    FOR EACH ROW EXECUTE FUNCTION ticket_events_append_only();

CREATE TABLE offers (
    id           bigserial PRIMARY KEY,
    ticket_id    bigint NOT NULL REFERENCES tickets (id),
    volunteer_id bigint NOT NULL REFERENCES volunteers (id),
    wave         integer NOT NULL,
    status       text NOT NULL CHECK (status IN ('pending', 'accepted', 'declined', 'expired', 'withdrawn')),
    score        double precision NOT NULL DEFAULT 0,
    distance_m   double precision NOT NULL DEFAULT 0,
    sent_at      timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    answered_at  timestamptz,
    UNIQUE (ticket_id, volunteer_id)
);
CREATE INDEX offers_pending_idx ON offers (volunteer_id) WHERE status = 'pending';
-- At most one accepted offer per ticket, whatever the code does.
CREATE UNIQUE INDEX offers_one_accept_idx ON offers (ticket_id) WHERE status = 'accepted';

-- The outbox: every outgoing message, written with the event that causes it.
CREATE TABLE notifications (
    id           bigserial PRIMARY KEY,
    key          text NOT NULL UNIQUE,
    ticket_id    bigint REFERENCES tickets (id),
    to_phone     text NOT NULL,
    body         text NOT NULL,
    template     text NOT NULL DEFAULT '',
    lang         text NOT NULL DEFAULT 'ru',
    status       text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'sending', 'sent', 'delivered',
                                                                  'failed', 'undelivered', 'suppressed')),
    provider_sid text UNIQUE,
    attempts     integer NOT NULL DEFAULT 0,
    error        text NOT NULL DEFAULT '',
    next_at      timestamptz NOT NULL DEFAULT now(),
    lease_until  timestamptz,
    created_at   timestamptz NOT NULL DEFAULT now(),
    sent_at      timestamptz
);
CREATE INDEX notifications_due_idx ON notifications (next_at) WHERE status IN ('queued', 'sending');
CREATE INDEX notifications_ticket_idx ON notifications (ticket_id);

CREATE TABLE inbound_messages (
    id          bigserial PRIMARY KEY,
    message_sid text NOT NULL UNIQUE,
    from_phone  text NOT NULL,
    body        text NOT NULL DEFAULT '',
    media_urls  text[] NOT NULL DEFAULT '{}',
    ticket_id   bigint REFERENCES tickets (id),
    received_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE users (
    id            bigserial PRIMARY KEY,
    name          text NOT NULL UNIQUE,
    role          text NOT NULL CHECK (role IN ('admin', 'dispatcher', 'viewer')),
    password_hash text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE api_tokens (
    id         bigserial PRIMARY KEY,
    name       text NOT NULL,
    role       text NOT NULL CHECK (role IN ('admin', 'dispatcher', 'viewer')),
    hash       text NOT NULL UNIQUE,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE sessions (
    id_hash    text PRIMARY KEY,
    user_id    bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf       text NOT NULL,
    expires_at timestamptz NOT NULL
);

-- +goose Down
DROP TABLE sessions, api_tokens, users, inbound_messages, notifications, offers,
    ticket_events, tickets, volunteers, clients;
DROP FUNCTION ticket_events_append_only;
