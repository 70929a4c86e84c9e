-- +goose Up
-- Twilio's delivery callbacks that arrive before the outbox has saved the
-- message's provider id (the callback beat the answer to the send): kept
-- here, applied when the id is saved, and pruned after a day.
CREATE TABLE early_statuses (
    id           bigserial PRIMARY KEY,
    provider_sid text        NOT NULL,
    status       text        NOT NULL,
    error_code   text        NOT NULL DEFAULT '',
    received_at  timestamptz NOT NULL
);
CREATE INDEX early_statuses_sid_idx ON early_statuses (provider_sid);
CREATE INDEX early_statuses_received_idx ON early_statuses (received_at);

-- +goose Down
DROP TABLE early_statuses;
