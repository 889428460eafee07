-- Service-level timers (modules/sla; docs/sla.md): per tenant, how long a
-- customer waits for a person after asking for one (handoff_first_reply),
-- a return request for its decision (return_decision) and a confirmed order
-- for its dispatch (order_dispatch).
--
-- sla_settings: the tenant's targets in seconds (no row: the defaults, 15
-- minutes, 48 hours, 48 hours). The bounds the API enforces (60 s to 30
-- days) are the service's; the table only refuses nonsense.
-- sla_timers: one per measured wait. A timer runs (stopped_at NULL) from the
-- event that starts the wait; at most one runs per tenant, kind and subject
-- (a conversation, return or order id), so starting twice is harmless.
-- due_at is started_at plus the target the tenant had then: a later change
-- of targets leaves running timers alone. breached_at is set once, by the
-- sweep (the timer still running past due_at) or by the stop (stopped past
-- due_at before the sweep saw it); a breached timer keeps running until the
-- wait ends.
-- sla_breaches: one row per breached timer (UNIQUE (tenant_id, timer_id)),
-- with the kind, subject and target copied, for the staff list.
--
-- Like the checkout's tables, sla_timers and sla_breaches carry no foreign key
-- to tenants (sla_settings, written rarely, does): timers start inside order
-- confirmations and hand-offs, and such a key would make every insert lock
-- the tenant's row.

-- +goose Up
CREATE TABLE sla_settings (
  tenant_id                   uuid NOT NULL REFERENCES tenants (id),
  handoff_first_reply_seconds integer NOT NULL CHECK (handoff_first_reply_seconds > 0),
  return_decision_seconds     integer NOT NULL CHECK (return_decision_seconds > 0),
  order_dispatch_seconds      integer NOT NULL CHECK (order_dispatch_seconds > 0),
  updated_at                  timestamptz NOT NULL,
  PRIMARY KEY (tenant_id)
);

CREATE TABLE sla_timers (
  tenant_id   uuid NOT NULL,
  id          uuid NOT NULL,
  kind        text NOT NULL CHECK (kind IN ('handoff_first_reply', 'return_decision', 'order_dispatch')),
  subject_id  uuid NOT NULL,
  started_at  timestamptz NOT NULL,
  due_at      timestamptz NOT NULL CHECK (due_at > started_at),
  stopped_at  timestamptz,
  breached_at timestamptz,
  PRIMARY KEY (tenant_id, id)
);
-- One running timer per subject and kind (StartTx's ON CONFLICT target).
CREATE UNIQUE INDEX sla_timers_running ON sla_timers (tenant_id, kind, subject_id) WHERE stopped_at IS NULL;
-- The breach sweep's scan across tenants: running timers not yet breached, by due time.
CREATE INDEX sla_timers_due ON sla_timers (due_at) WHERE stopped_at IS NULL AND breached_at IS NULL;

CREATE TABLE sla_breaches (
  tenant_id      uuid NOT NULL,
  id             uuid NOT NULL,
  timer_id       uuid NOT NULL,
  kind           text NOT NULL CHECK (kind IN ('handoff_first_reply', 'return_decision', 'order_dispatch')),
  subject_id     uuid NOT NULL,
  due_at         timestamptz NOT NULL,
  breached_at    timestamptz NOT NULL,
  target_seconds integer NOT NULL CHECK (target_seconds > 0),
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, timer_id),
  FOREIGN KEY (tenant_id, timer_id) REFERENCES sla_timers (tenant_id, id)
);
-- The staff list, newest first, all kinds or one.
CREATE INDEX sla_breaches_recent ON sla_breaches (tenant_id, breached_at DESC, id DESC);
CREATE INDEX sla_breaches_kind ON sla_breaches (tenant_id, kind, breached_at DESC, id DESC);

-- +goose StatementBegin
DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['sla_settings', 'sla_timers', 'sla_breaches'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format($p$CREATE POLICY tenant_isolation ON %I
      USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
      WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)$p$, t);
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %I TO concierge_app', t);
  END LOOP;
END $$;
-- +goose StatementEnd

-- The breach sweep and the running-timers gauge (platform role, read-only):
-- which timers of which tenant are due, and how many run per kind, never
-- their subjects; each breach is recorded in its tenant's own scoped
-- transaction.
CREATE POLICY platform_sweep ON sla_timers FOR SELECT TO concierge_platform USING (true);
GRANT SELECT (tenant_id, id, kind, due_at, stopped_at, breached_at) ON sla_timers TO concierge_platform;

-- +goose Down
DROP TABLE sla_breaches;
DROP TABLE sla_timers;
DROP TABLE sla_settings;
