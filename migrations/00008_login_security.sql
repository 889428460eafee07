-- Login security: failed sign-ins are counted in Postgres, so a lockout
-- survives a Redis restart or flush (Redis keeps a copy as a fast path).
--
-- A platform table like users and refresh_tokens (staff sign in once for every
-- tenant): no tenant_id, so no row-level security; only the platform role
-- (reached through tenants.PlatformTx) holds grants, the app role none.
--
-- One row per counted subject (an email's SHA-256 prefix, or a client IP) and
-- fixed window: the window starts at the first failure and the row counts
-- failures until window_ends. A failure is one upsert of at most two rows (the
-- email's, then the IP's, always in that order, so concurrent upserts cannot
-- deadlock); a locked subject is refused before anything is written, so a
-- flood against it writes nothing. Reads are primary-key lookups. Rows whose
-- window ended are deleted by the hourly identity.purge_tokens job
-- (login_failures_window_idx keeps that delete cheap). The fill factor leaves
-- room on each page for HOT updates of the counter.

-- +goose Up
CREATE TABLE login_failures (
  kind        text NOT NULL CHECK (kind IN ('email', 'ip')),
  subject     text NOT NULL CHECK (length(subject) BETWEEN 1 AND 64),
  failures    integer NOT NULL CHECK (failures > 0),
  window_ends timestamptz NOT NULL,
  PRIMARY KEY (kind, subject)
) WITH (fillfactor = 80);
CREATE INDEX login_failures_window_idx ON login_failures (window_ends);
GRANT SELECT, INSERT, UPDATE, DELETE ON login_failures TO concierge_platform;

-- +goose Down
DROP TABLE login_failures;
