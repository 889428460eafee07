-- Funnel analytics (modules/analytics; docs/analytics.md): one append-only
-- table of events for the whole funnel on both channels (web, whatsapp):
-- product_viewed, search, handoff_clicked, cart_added, checkout_started,
-- order_placed, paid, conversation_started, consent_given, human_handoff.
--
-- analytics_events: one row per event, written in batches by the module's
-- background writer, never updated. session_id is the web's random session
-- id (or the WhatsApp conversation's id), never a person's identifier;
-- customer_id is set only where the person consented (web) or is the
-- WhatsApp customer being served. It carries no foreign key to customers:
-- events are history, and an erased customer's id is a pseudonym already
-- (the customers row is kept, its identity replaced), so there is nothing
-- to cascade to. product_id and order_id carry none either: products are
-- archived and orders kept, and an event must not fail for a row it merely
-- names. amount is integer minor units of currency, both or neither. query
-- is a search's words, capped.
--
-- The table is partitioned by month on occurred_at (UTC months):
-- analytics_events_YYYY_MM, plus analytics_events_default for any row no
-- month partition takes (the partition job late, a clock far off), so an
-- insert never fails for want of a partition. Partitions are created ahead
-- by analytics_ensure_month (the module's periodic job: this month and the
-- next), which also moves rows of that month out of the default partition,
-- and dropped whole by analytics_drop_before (retention). Both are SECURITY
-- DEFINER functions owned by the migrating role, so the tables they create
-- are owned by it, never by the app role.
--
-- Isolation: the parent and every partition have RLS enabled and forced with
-- the tenant policy. Reads and writes through the parent apply the parent's
-- policy; the partitions' own policy covers anyone reading a partition
-- directly. Append-only: the app role holds SELECT and INSERT on the parent
-- and SELECT on the partitions (writes route through the parent, whose
-- privileges are the ones checked); no UPDATE, no DELETE.
--
-- The foreign key to tenants makes each insert take FOR KEY SHARE on the
-- tenant's row (the concern that keeps it off the checkout's tables); here
-- inserts come one statement per tenant per flush (about once a second per
-- process), not one per request, so the lock is not contended.

-- +goose Up
CREATE TABLE analytics_events (
  tenant_id   uuid NOT NULL REFERENCES tenants (id),
  id          uuid NOT NULL,
  occurred_at timestamptz NOT NULL,
  name        text NOT NULL CHECK (name IN ('product_viewed', 'search', 'handoff_clicked', 'cart_added', 'checkout_started',
                                            'order_placed', 'paid', 'conversation_started', 'consent_given', 'human_handoff')),
  channel     text NOT NULL CHECK (channel IN ('web', 'whatsapp')),
  session_id  text CHECK (char_length(session_id) BETWEEN 1 AND 64),
  customer_id uuid,
  product_id  uuid,
  order_id    uuid,
  amount      bigint CHECK (amount BETWEEN 0 AND 1000000000000),
  currency    text CHECK (currency ~ '^[A-Z]{3}$'),
  query       text CHECK (char_length(query) BETWEEN 1 AND 100),
  PRIMARY KEY (tenant_id, occurred_at, id),
  CHECK ((amount IS NULL) = (currency IS NULL))
) PARTITION BY RANGE (occurred_at);
-- The funnel: a tenant's events of some names over a period.
CREATE INDEX analytics_events_funnel ON analytics_events (tenant_id, name, occurred_at);

CREATE TABLE analytics_events_default PARTITION OF analytics_events DEFAULT;

-- +goose StatementBegin
DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['analytics_events', 'analytics_events_default'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format($p$CREATE POLICY tenant_isolation ON %I
      USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
      WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)$p$, t);
  END LOOP;
END $$;
-- +goose StatementEnd
GRANT SELECT, INSERT ON analytics_events TO concierge_app;
GRANT SELECT ON analytics_events_default TO concierge_app;

-- analytics_ensure_month creates the partition of month's UTC month
-- (analytics_events_YYYY_MM) unless it exists, and reports whether it did.
-- Rows the default partition holds for that month move into it first (the
-- default partition's RLS is lifted for the move, inside this transaction
-- only: a forced policy binds the owner too, and the move crosses tenants).
-- The new table is attached (SHARE UPDATE EXCLUSIVE on the parent, so
-- inserts go on; a CHECK on the range spares the validation scan), then gets
-- the tenant policy, forced, and SELECT for the app role. One caller at a
-- time (an advisory lock); the bounds are UTC midnights whatever the
-- session's time zone.
-- +goose StatementBegin
CREATE FUNCTION analytics_ensure_month(month date) RETURNS boolean
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_catalog, pg_temp SET TimeZone = 'UTC' AS $$
DECLARE
  lo   timestamptz;
  hi   timestamptz;
  part text;
BEGIN
  IF month IS NULL THEN
    RAISE EXCEPTION 'analytics_ensure_month: month is required' USING ERRCODE = '22004';
  END IF;
  lo := date_trunc('month', month::timestamp) AT TIME ZONE 'UTC';
  hi := (date_trunc('month', month::timestamp) + interval '1 month') AT TIME ZONE 'UTC';
  part := 'analytics_events_' || to_char(month, 'YYYY_MM');
  PERFORM pg_advisory_xact_lock(hashtext('analytics_events.partitions'));
  IF to_regclass(part) IS NOT NULL THEN
    RETURN false;
  END IF;
  EXECUTE format('CREATE TABLE %I (LIKE analytics_events INCLUDING DEFAULTS INCLUDING CONSTRAINTS)', part);
  EXECUTE format('ALTER TABLE %I ADD CONSTRAINT %I CHECK (occurred_at >= %L AND occurred_at < %L)',
                 part, part || '_month', lo, hi);
  ALTER TABLE analytics_events_default NO FORCE ROW LEVEL SECURITY;
  EXECUTE format('WITH moved AS (DELETE FROM analytics_events_default WHERE occurred_at >= $1 AND occurred_at < $2 RETURNING *)
                  INSERT INTO %I SELECT * FROM moved', part) USING lo, hi;
  ALTER TABLE analytics_events_default FORCE ROW LEVEL SECURITY;
  EXECUTE format('ALTER TABLE analytics_events ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)', part, lo, hi);
  EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', part);
  EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', part);
  EXECUTE format($p$CREATE POLICY tenant_isolation ON %I
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)$p$, part);
  EXECUTE format('GRANT SELECT ON %I TO concierge_app', part);
  RETURN true;
END $$;
-- +goose StatementEnd
REVOKE ALL ON FUNCTION analytics_ensure_month(date) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION analytics_ensure_month(date) TO concierge_app, concierge_platform;

-- analytics_drop_before drops every month partition wholly before month's
-- UTC month and deletes the default partition's rows before it (retention),
-- returning how many partitions it dropped. It refuses a month later than
-- the current one: retention never reaches the month being written. Only
-- the platform path runs it.
-- +goose StatementBegin
CREATE FUNCTION analytics_drop_before(month date) RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_catalog, pg_temp SET TimeZone = 'UTC' AS $$
DECLARE
  cutoff timestamptz;
  r      record;
  n      integer := 0;
BEGIN
  IF month IS NULL THEN
    RAISE EXCEPTION 'analytics_drop_before: month is required' USING ERRCODE = '22004';
  END IF;
  cutoff := date_trunc('month', month::timestamp) AT TIME ZONE 'UTC';
  IF cutoff > date_trunc('month', now()) THEN
    RAISE EXCEPTION 'analytics_drop_before: % is after the current month', month USING ERRCODE = '22023';
  END IF;
  PERFORM pg_advisory_xact_lock(hashtext('analytics_events.partitions'));
  FOR r IN SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
           WHERE i.inhparent = 'analytics_events'::regclass AND c.relname ~ '^analytics_events_[0-9]{4}_[0-9]{2}$'
           ORDER BY c.relname
  LOOP
    IF to_date(right(r.relname, 7), 'YYYY_MM') < cutoff::date THEN
      EXECUTE format('DROP TABLE %I', r.relname);
      n := n + 1;
    END IF;
  END LOOP;
  ALTER TABLE analytics_events_default NO FORCE ROW LEVEL SECURITY;
  DELETE FROM analytics_events_default WHERE occurred_at < cutoff;
  ALTER TABLE analytics_events_default FORCE ROW LEVEL SECURITY;
  RETURN n;
END $$;
-- +goose StatementEnd
REVOKE ALL ON FUNCTION analytics_drop_before(date) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION analytics_drop_before(date) TO concierge_platform;

-- This month and the next, in UTC.
SELECT analytics_ensure_month((now() AT TIME ZONE 'UTC')::date);
SELECT analytics_ensure_month(((now() AT TIME ZONE 'UTC') + interval '1 month')::date);

-- +goose Down
DROP FUNCTION analytics_drop_before(date);
DROP FUNCTION analytics_ensure_month(date);
DROP TABLE analytics_events;
