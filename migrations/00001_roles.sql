-- Roles. concierge_app runs all tenant work: no SUPERUSER, no BYPASSRLS, owns
-- nothing, NOINHERIT so it holds only its own grants. concierge_platform is the
-- explicit cross-tenant path (platform administration, resolution, sweeps): it
-- cannot log in; code reaches it only through tenants.PlatformTx (SET LOCAL ROLE).
-- Roles are cluster-wide, so creation is idempotent.

-- +goose Up
-- +goose StatementBegin
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'concierge_app') THEN
    CREATE ROLE concierge_app LOGIN NOINHERIT NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
  END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'concierge_platform') THEN
    CREATE ROLE concierge_platform NOLOGIN NOINHERIT NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
  END IF;
END
$$;
-- +goose StatementEnd
GRANT concierge_platform TO concierge_app;
-- Lets a non-superuser migration owner switch to both roles in scoped transactions.
GRANT concierge_app TO CURRENT_USER;
GRANT concierge_platform TO CURRENT_USER;
GRANT USAGE ON SCHEMA public TO concierge_app, concierge_platform;
-- readiness checks compare the applied version with the embedded files
GRANT SELECT ON goose_db_version TO concierge_app, concierge_platform;

-- +goose Down
REVOKE USAGE ON SCHEMA public FROM concierge_app, concierge_platform;
