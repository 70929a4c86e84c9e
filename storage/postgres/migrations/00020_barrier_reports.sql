-- +goose Up
-- A barrier report is the longer life of an accessibility ticket: the ticket
-- is the request (and its volunteer's visit), this row is what happens to the
-- barrier after it. Only the place is kept here, never the reporter: the
-- public page reads this table alone.
CREATE TABLE barrier_reports (
    ticket_id     bigint PRIMARY KEY REFERENCES tickets (id),
    place_kind    text NOT NULL DEFAULT 'other'
                  CHECK (place_kind IN ('ramp', 'entrance', 'lift', 'toilet', 'crossing', 'other')),
    place_name    text NOT NULL DEFAULT '',
    place_address text NOT NULL DEFAULT '',
    district      text NOT NULL DEFAULT '',
    status        text NOT NULL DEFAULT 'reported'
                  CHECK (status IN ('reported', 'verified', 'sent', 'fixed', 'rejected')),
    reported_at   timestamptz NOT NULL,
    verified_at   timestamptz,
    verify_note   text NOT NULL DEFAULT '',
    sent_at       timestamptz,
    sent_to       text NOT NULL DEFAULT '',
    sent_note     text NOT NULL DEFAULT '',
    closed_at     timestamptz,
    close_note    text NOT NULL DEFAULT '',
    photo_urls    text[] NOT NULL DEFAULT '{}',
    recording_url text NOT NULL DEFAULT '',
    updated_at    timestamptz NOT NULL DEFAULT now(),
    CHECK ((status = 'sent') <= (sent_at IS NOT NULL AND sent_to <> '')),
    CHECK ((status IN ('fixed', 'rejected')) = (closed_at IS NOT NULL))
);
-- The public page lists by district, newest first.
CREATE INDEX barrier_reports_district_idx ON barrier_reports (district, reported_at DESC);

-- +goose Down
DROP TABLE barrier_reports;
