-- +goose Up
-- Volunteers are placed in the centre whose district contains their home
-- (dispatch.PlaceVolunteer), unless a dispatcher chose the centre:
-- centre_chosen keeps a chosen centre when the home moves, and tells the
-- backfill (dispatcher migrate) which volunteers it may re-place.
ALTER TABLE volunteers ADD COLUMN centre_chosen boolean NOT NULL DEFAULT false;
CREATE INDEX volunteers_centre_idx ON volunteers (centre_id, id);

-- Only an approved volunteer can be available (and so in the geo index):
-- a pending one goes through the approval step and its audit. Volunteers
-- who were made available around that step (a bug) are paused again.
UPDATE volunteers SET available = false WHERE available AND registry <> 'approved';
ALTER TABLE volunteers ADD CONSTRAINT volunteers_available_approved
    CHECK (NOT available OR registry = 'approved');

-- +goose Down
ALTER TABLE volunteers DROP CONSTRAINT volunteers_available_approved;
DROP INDEX volunteers_centre_idx;
ALTER TABLE volunteers DROP COLUMN centre_chosen;
