-- +goose Up
-- The state of each phone call through the hotline's menu: Twilio sends every
-- step as its own request, maybe to another process, so the state lives here.
CREATE TABLE calls (
    id            bigserial PRIMARY KEY,
    call_sid      text NOT NULL UNIQUE,
    from_phone    text NOT NULL DEFAULT '',
    lang          text NOT NULL DEFAULT '' CHECK (lang IN ('', 'kk', 'ru', 'en')),
    category      text NOT NULL DEFAULT '',
    step          text NOT NULL,
    retries       integer NOT NULL DEFAULT 0,
    ticket_id     bigint REFERENCES tickets (id),
    recording_url text NOT NULL DEFAULT '',
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
-- Old calls are only history: this keeps a clean-up by age cheap.
CREATE INDEX calls_created_idx ON calls (created_at);

-- +goose Down
DROP TABLE calls;
