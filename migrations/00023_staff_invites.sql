-- Staff invitations (issue 14, the dashboard's staff page; modules/identity
-- invites.go): a one-time link an owner hands to a new member. Only the
-- SHA-256 of the link's token is kept; an invitation is good until
-- expires_at (7 days) and once: accepting stamps accepted_at, revoking
-- revoked_at, and a new invitation to the same email revokes the older one.
--
-- A tenant table: the staff page lists and revokes invitations in the
-- tenant's scoped transaction. The invitee has no session and no tenant yet,
-- so the link is looked up and accepted on the platform path (which also
-- writes the membership), as memberships themselves are.

-- +goose Up
CREATE TABLE staff_invites (
  tenant_id   uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id          uuid NOT NULL,
  email       text NOT NULL CHECK (email = lower(email) AND position('@' IN email) > 1 AND length(email) <= 254),
  role        text NOT NULL CHECK (role IN ('owner', 'manager', 'agent', 'viewer')),
  token_hash  bytea NOT NULL UNIQUE CHECK (length(token_hash) = 32),
  invited_by  text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  expires_at  timestamptz NOT NULL CHECK (expires_at > created_at),
  accepted_at timestamptz,
  accepted_by uuid REFERENCES users (id) ON DELETE SET NULL,
  revoked_at  timestamptz,
  PRIMARY KEY (tenant_id, id)
);
-- The staff page's pending invitations, newest first.
CREATE INDEX staff_invites_pending ON staff_invites (tenant_id, created_at DESC)
  WHERE accepted_at IS NULL AND revoked_at IS NULL;
ALTER TABLE staff_invites ENABLE ROW LEVEL SECURITY;
ALTER TABLE staff_invites FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON staff_invites
  USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
  WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
CREATE POLICY platform_all ON staff_invites TO concierge_platform USING (true) WITH CHECK (true);
GRANT SELECT, INSERT, UPDATE ON staff_invites TO concierge_app;
GRANT SELECT, UPDATE ON staff_invites TO concierge_platform;

-- +goose Down
DROP TABLE staff_invites;
