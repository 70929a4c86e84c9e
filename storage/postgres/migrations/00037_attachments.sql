-- +goose Up
-- Photos sent with a barrier report through the web form, metadata already
-- stripped (intake/photo.go). They are personal data (a reporter may be in
-- the picture): retention and erasure delete them with the ticket's other
-- personal data, and the public barrier page never reads this table.
CREATE TABLE attachments (
    id           bigserial PRIMARY KEY,
    ticket_id    bigint NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    content_type text NOT NULL CHECK (content_type IN ('image/jpeg', 'image/png')),
    data         bytea NOT NULL,
    size         integer NOT NULL CHECK (size > 0 AND size = octet_length(data)),
    sha256       text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    created_at   timestamptz NOT NULL DEFAULT now()
);
-- JPEG and PNG are compressed already: TOAST's compression would only cost.
ALTER TABLE attachments ALTER COLUMN data SET STORAGE EXTERNAL;
CREATE INDEX attachments_ticket_idx ON attachments (ticket_id, id);

-- +goose Down
DROP TABLE attachments;
