-- +goose Up
-- The volunteer registry. A volunteer who signed up (by SMS or the public
-- form) is pending until a dispatcher approves them; only approved
-- volunteers are put in the geo index, so pending ones are never matched.
-- Existing volunteers, entered by dispatchers, are approved.
ALTER TABLE volunteers ADD COLUMN registry text NOT NULL DEFAULT 'approved'
    CHECK (registry IN ('pending', 'approved', 'rejected'));
CREATE INDEX volunteers_pending_idx ON volunteers (created_at) WHERE registry = 'pending';

-- One SMS sign-up conversation per phone: the step it is at and what it
-- has collected so far (JSON: name, district, languages, skills).
CREATE TABLE signups (
    phone        text PRIMARY KEY CHECK (phone ~ '^\+[1-9][0-9]{6,14}$'),
    lang         text NOT NULL CHECK (lang IN ('kk', 'ru', 'en')),
    step         text NOT NULL,
    data         jsonb NOT NULL DEFAULT '{}',
    consent_at   timestamptz,
    volunteer_id bigint REFERENCES volunteers (id) ON DELETE SET NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);

-- +goose Down
DROP TABLE signups;
ALTER TABLE volunteers DROP COLUMN registry;
