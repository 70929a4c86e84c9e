-- +goose Up
-- A region's coordinator ranks between dispatcher and admin: sees every
-- centre's tickets and moves them between centres.
ALTER TABLE users DROP CONSTRAINT users_role_check;
ALTER TABLE users ADD CONSTRAINT users_role_check CHECK (role IN ('admin', 'coordinator', 'dispatcher', 'viewer'));
ALTER TABLE api_tokens DROP CONSTRAINT api_tokens_role_check;
ALTER TABLE api_tokens ADD CONSTRAINT api_tokens_role_check CHECK (role IN ('admin', 'coordinator', 'dispatcher', 'viewer'));
-- An API token may be limited to one centre's tickets, as a user is.
ALTER TABLE api_tokens ADD COLUMN centre_id bigint REFERENCES centres (id) ON DELETE SET NULL;

-- +goose Down
ALTER TABLE api_tokens DROP COLUMN centre_id;
ALTER TABLE api_tokens DROP CONSTRAINT api_tokens_role_check;
ALTER TABLE api_tokens ADD CONSTRAINT api_tokens_role_check CHECK (role IN ('admin', 'dispatcher', 'viewer'));
ALTER TABLE users DROP CONSTRAINT users_role_check;
ALTER TABLE users ADD CONSTRAINT users_role_check CHECK (role IN ('admin', 'dispatcher', 'viewer'));
