-- Append-only, hash-chained audit log. One chain per tenant (and one for
-- platform-wide actions, tenant_id NULL), so a tenant's scoped transaction can
-- extend its own chain. UPDATE and DELETE are refused by a trigger and not
-- granted; `concierge audit verify` recomputes every chain.

-- +goose Up
CREATE TABLE audit_log (
  id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  tenant_id  uuid REFERENCES tenants (id),
  seq        bigint NOT NULL,
  at         timestamptz NOT NULL,
  actor      text NOT NULL,
  action     text NOT NULL,
  target     text NOT NULL DEFAULT '',
  before     jsonb,
  after      jsonb,
  request_id text NOT NULL DEFAULT '',
  prev_hash  text NOT NULL,
  hash       text NOT NULL
);
CREATE UNIQUE INDEX audit_log_chain_seq ON audit_log (COALESCE(tenant_id, '00000000-0000-0000-0000-000000000000'::uuid), seq);
ALTER TABLE audit_log ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_log FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON audit_log
  USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
  WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
CREATE POLICY platform_all ON audit_log TO concierge_platform USING (true) WITH CHECK (true);
GRANT SELECT, INSERT ON audit_log TO concierge_app, concierge_platform;

-- +goose StatementBegin
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only';
END
$$;
-- +goose StatementEnd
CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();

-- +goose Down
DROP TABLE audit_log;
DROP FUNCTION audit_log_append_only();
