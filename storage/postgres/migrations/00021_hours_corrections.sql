-- +goose Up
-- A dispatcher's correction of a volunteer's hours, for one task or for one
-- calendar month. Rows are never changed: a later correction supersedes an
-- earlier one (absolute) or adds to it (delta), so the audit is the table.
CREATE TABLE hours_corrections (
    id           bigserial PRIMARY KEY,
    volunteer_id bigint NOT NULL REFERENCES volunteers (id),
    ticket_id    bigint REFERENCES tickets (id),
    -- first day of the month corrected, when the correction is for a month
    month        date,
    minutes      integer NOT NULL,
    absolute     boolean NOT NULL DEFAULT false,
    reason       text NOT NULL CHECK (reason <> ''),
    actor        text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    CHECK ((ticket_id IS NULL) <> (month IS NULL)),
    CHECK (month IS NULL OR extract(day FROM month) = 1),
    CHECK (NOT absolute OR minutes >= 0)
);
CREATE INDEX hours_corrections_volunteer_idx ON hours_corrections (volunteer_id, id);

-- +goose StatementBegin
CREATE FUNCTION hours_corrections_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'hours_corrections is append-only';
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER hours_corrections_no_change BEFORE UPDATE OR DELETE ON hours_corrections
    FOR EACH ROW EXECUTE FUNCTION hours_corrections_append_only();

-- +goose Down
DROP TABLE hours_corrections;
DROP FUNCTION hours_corrections_append_only;
