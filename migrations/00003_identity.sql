-- Staff identity: users (platform table), memberships (user × tenant × role,
-- tenant-isolated) and refresh tokens (stored as SHA-256 hashes).

-- +goose Up
CREATE TABLE users (
  id                uuid PRIMARY KEY,
  email             text NOT NULL CHECK (email = lower(email) AND position('@' IN email) > 1),
  password_hash     text NOT NULL,
  is_platform_admin boolean NOT NULL DEFAULT false,
  status            text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
  created_at        timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now(),
  last_login_at     timestamptz
);
CREATE UNIQUE INDEX users_email_key ON users (email);
GRANT SELECT, INSERT, UPDATE ON users TO concierge_platform;

CREATE TABLE memberships (
  tenant_id  uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  role       text NOT NULL CHECK (role IN ('owner', 'manager', 'agent', 'viewer')),
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, user_id)
);
CREATE INDEX memberships_user_idx ON memberships (user_id);
ALTER TABLE memberships ENABLE ROW LEVEL SECURITY;
ALTER TABLE memberships FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON memberships
  USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
  WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
CREATE POLICY platform_all ON memberships TO concierge_platform USING (true) WITH CHECK (true);
GRANT SELECT ON memberships TO concierge_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON memberships TO concierge_platform;

CREATE TABLE refresh_tokens (
  id          uuid PRIMARY KEY,
  user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  family_id   uuid NOT NULL,
  token_hash  bytea NOT NULL UNIQUE,
  expires_at  timestamptz NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  used_at     timestamptz,
  revoked_at  timestamptz,
  user_agent  text NOT NULL DEFAULT '',
  ip          text NOT NULL DEFAULT ''
);
CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_user_idx ON refresh_tokens (user_id);
GRANT SELECT, INSERT, UPDATE, DELETE ON refresh_tokens TO concierge_platform;

-- +goose Down
DROP TABLE refresh_tokens;
DROP TABLE memberships;
DROP TABLE users;
