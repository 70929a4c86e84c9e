-- +goose Up
-- Volunteer reads count each volunteer's offers of the last 90 days; without
-- this index that is a scan of all offers per volunteer listed.
CREATE INDEX offers_volunteer_sent_idx ON offers (volunteer_id, sent_at);

-- +goose Down
DROP INDEX offers_volunteer_sent_idx;
