-- Orders (modules/orders) and checkout with payments (modules/checkout,
-- plugins/payments; docs/checkout.md, docs/payments.md).
--
-- orders: one per checkout of a cart. While pending_payment it is the cart's
-- draft (re-priced when the cart changed); at most one order per cart is not
-- cancelled. number is per tenant, sequential and readable (1001, 1002, …),
-- from the tenant's own sequence (next_order_number): a sequence takes no row
-- lock, so checkouts of one tenant never queue on a counter; a rolled-back
-- checkout leaves a gap, never a duplicate (UNIQUE (tenant_id, number)).
-- stock_held: the lines' quantities are taken from the variants' stock (the
-- reservation); released (given back) when the payment fails, expires or is
-- cancelled, or the order is cancelled.
-- order_lines: what was sold, copied from the cart (titles, prices): an
-- order outlives its products, so no foreign key to variants.
-- order_events: the order's timeline (who, when, from, to, note).
-- payment_settings: per tenant and provider, enabled, the provider's
-- settings, and its secrets sealed with the secrets keyring (never returned).
-- payments: one attempt to pay an order through a provider; at most one
-- live (pending, requires_action, authorized) per order.
-- payment_events: every event offered to a payment, with the provider's raw
-- event id (each applied once) and the outcome: applied, no_change, refused
-- (an illegal transition or a mismatched amount: logged, never applied) or
-- deferred (not yet applicable: retried after the payment's next change).
--
-- The checkout's tables carry no foreign key to tenants (payment_settings,
-- written rarely, does): such a key makes every insert lock the tenant's row
-- (FOR KEY SHARE), and concurrent checkouts of one tenant then share that
-- lock through multixacts and queue on the row's page. The child tables
-- reference their parent by (tenant_id, id); orders hold the tenant of the
-- scoped transaction that wrote them (the policy's WITH CHECK pins tenant_id
-- to the resolved tenant, and tenants are suspended, never deleted). For the
-- same reason cart_items loses its direct key to tenants (carts keeps it).

-- +goose Up
-- The tenant of the transaction's next order number: its sequence
-- (order_number_<tenant id hex>, created on first use by the migrating role,
-- which owns this SECURITY DEFINER function). Only the tenant set in
-- app.tenant_id may draw from its own sequence.
-- +goose StatementBegin
CREATE FUNCTION next_order_number(t uuid) RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_catalog AS $$
DECLARE
  seq text := 'order_number_' || replace(t::text, '-', '');
BEGIN
  IF t IS NULL OR t IS DISTINCT FROM NULLIF(current_setting('app.tenant_id', true), '')::uuid THEN
    RAISE EXCEPTION 'next_order_number: % is not the transaction''s tenant', t USING ERRCODE = '42501';
  END IF;
  IF to_regclass(seq) IS NULL THEN
    BEGIN
      EXECUTE format('CREATE SEQUENCE IF NOT EXISTS %I START 1001 MINVALUE 1001', seq);
    EXCEPTION WHEN unique_violation OR duplicate_table THEN
      NULL; -- created meanwhile by another checkout of the tenant
    END;
  END IF;
  RETURN nextval(seq::regclass);
END $$;
-- +goose StatementEnd
REVOKE ALL ON FUNCTION next_order_number(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION next_order_number(uuid) TO concierge_app;

CREATE TABLE orders (
  tenant_id      uuid NOT NULL,
  id             uuid NOT NULL,
  number         bigint NOT NULL CHECK (number > 1000),
  cart_id        text NOT NULL,
  channel        text NOT NULL CHECK (channel IN ('web', 'whatsapp')),
  customer_id    uuid,
  customer_name  text NOT NULL CHECK (length(customer_name) BETWEEN 1 AND 200),
  customer_phone text NOT NULL CHECK (customer_phone ~ '^\+[1-9][0-9]{6,14}$'),
  locale         text NOT NULL CHECK (locale IN ('ar', 'en')),
  status         text NOT NULL CHECK (status IN ('pending_payment', 'confirmed', 'processing', 'shipped', 'delivered', 'cancelled', 'returned')),
  payment_method text NOT NULL,
  currency       text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  subtotal       bigint NOT NULL CHECK (subtotal >= 0),
  discount       bigint NOT NULL DEFAULT 0 CHECK (discount >= 0),
  shipping       bigint NOT NULL CHECK (shipping >= 0),
  vat            bigint NOT NULL CHECK (vat >= 0),
  total          bigint NOT NULL CHECK (total >= 0),
  vat_rate_bp    integer NOT NULL,
  vat_included   boolean NOT NULL,
  city           text NOT NULL CHECK (length(city) BETWEEN 1 AND 100),
  address        jsonb NOT NULL,
  notes          text NOT NULL DEFAULT '' CHECK (length(notes) <= 500),
  stock_held     boolean NOT NULL DEFAULT false,
  cart_version   text NOT NULL DEFAULT '',
  confirmed_at   timestamptz,
  cancelled_at   timestamptz,
  refused_at     timestamptz,
  created_at     timestamptz NOT NULL,
  updated_at     timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, number),
  FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, id) ON DELETE SET NULL (customer_id)
);
CREATE UNIQUE INDEX orders_one_per_cart ON orders (tenant_id, cart_id) WHERE status <> 'cancelled';
CREATE INDEX orders_by_status ON orders (tenant_id, status, created_at DESC, id);
CREATE INDEX orders_by_phone ON orders (tenant_id, customer_phone, created_at DESC);
CREATE INDEX orders_by_customer ON orders (tenant_id, customer_id, created_at DESC) WHERE customer_id IS NOT NULL;

CREATE TABLE order_lines (
  tenant_id  uuid NOT NULL,
  order_id   uuid NOT NULL,
  position   integer NOT NULL CHECK (position >= 0),
  variant_id uuid NOT NULL,
  product_id uuid NOT NULL,
  sku        text NOT NULL CHECK (length(sku) BETWEEN 1 AND 64),
  title_ar   text NOT NULL DEFAULT '',
  title_en   text NOT NULL DEFAULT '',
  options_ar text NOT NULL DEFAULT '',
  options_en text NOT NULL DEFAULT '',
  quantity   integer NOT NULL CHECK (quantity BETWEEN 1 AND 999),
  unit_price bigint NOT NULL CHECK (unit_price >= 0),
  PRIMARY KEY (tenant_id, order_id, position),
  FOREIGN KEY (tenant_id, order_id) REFERENCES orders (tenant_id, id) ON DELETE CASCADE
);

CREATE TABLE order_events (
  tenant_id   uuid NOT NULL,
  id          uuid NOT NULL,
  order_id    uuid NOT NULL,
  kind        text NOT NULL CHECK (length(kind) BETWEEN 1 AND 64),
  from_status text NOT NULL DEFAULT '',
  to_status   text NOT NULL DEFAULT '',
  actor       text NOT NULL,
  note        text NOT NULL DEFAULT '' CHECK (length(note) <= 1000),
  data        jsonb NOT NULL DEFAULT '{}',
  at          timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, order_id) REFERENCES orders (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX order_events_order ON order_events (tenant_id, order_id, at, id);

CREATE TABLE payment_settings (
  tenant_id  uuid NOT NULL REFERENCES tenants (id),
  provider   text NOT NULL CHECK (provider ~ '^[a-z][a-z0-9_]{0,31}$'),
  enabled    boolean NOT NULL DEFAULT false,
  fields     jsonb NOT NULL DEFAULT '{}',
  sealed     jsonb NOT NULL DEFAULT '{}',
  updated_at timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, provider)
);

CREATE TABLE payments (
  tenant_id    uuid NOT NULL,
  id           uuid NOT NULL,
  order_id     uuid NOT NULL,
  provider     text NOT NULL,
  status       text NOT NULL CHECK (status IN ('pending', 'requires_action', 'authorized', 'captured', 'partially_refunded', 'refunded', 'failed', 'cancelled', 'expired')),
  amount       bigint NOT NULL CHECK (amount >= 0),
  currency     text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  captured     bigint NOT NULL DEFAULT 0 CHECK (captured >= 0),
  refunded     bigint NOT NULL DEFAULT 0 CHECK (refunded >= 0 AND refunded <= captured),
  ref          text NOT NULL DEFAULT '',
  payment_ref  text NOT NULL DEFAULT '',
  redirect_url text NOT NULL DEFAULT '',
  expires_at   timestamptz,
  confirmed_at timestamptz,
  created_at   timestamptz NOT NULL,
  updated_at   timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, order_id) REFERENCES orders (tenant_id, id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX payments_one_live ON payments (tenant_id, order_id) WHERE status IN ('pending', 'requires_action', 'authorized');
CREATE INDEX payments_order ON payments (tenant_id, order_id, created_at);
CREATE INDEX payments_ref ON payments (tenant_id, provider, ref) WHERE ref <> '';
CREATE INDEX payments_payment_ref ON payments (tenant_id, provider, payment_ref) WHERE payment_ref <> '';
-- The expiry sweep's scan across tenants: live payments by expiry.
CREATE INDEX payments_due ON payments (expires_at) WHERE status IN ('pending', 'requires_action', 'authorized') AND expires_at IS NOT NULL;

CREATE TABLE payment_events (
  tenant_id   uuid NOT NULL,
  id          uuid NOT NULL,
  payment_id  uuid NOT NULL,
  provider    text NOT NULL,
  event_id    text NOT NULL CHECK (length(event_id) BETWEEN 1 AND 255),
  kind        text NOT NULL,
  amount      bigint NOT NULL DEFAULT 0,
  currency    text NOT NULL DEFAULT '',
  from_status text NOT NULL DEFAULT '',
  to_status   text NOT NULL DEFAULT '',
  outcome     text NOT NULL CHECK (outcome IN ('applied', 'no_change', 'refused', 'deferred')),
  reason      text NOT NULL DEFAULT '' CHECK (length(reason) <= 500),
  at          timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, provider, event_id),
  FOREIGN KEY (tenant_id, payment_id) REFERENCES payments (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX payment_events_payment ON payment_events (tenant_id, payment_id, at);
CREATE INDEX payment_events_deferred ON payment_events (tenant_id, payment_id) WHERE outcome = 'deferred';

ALTER TABLE cart_items DROP CONSTRAINT cart_items_tenant_id_fkey;

-- +goose StatementBegin
DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['orders', 'order_lines', 'order_events', 'payment_settings', 'payments', 'payment_events'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format($p$CREATE POLICY tenant_isolation ON %I
      USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
      WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)$p$, t);
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %I TO concierge_app', t);
  END LOOP;
END $$;
-- +goose StatementEnd

-- The expiry sweep (platform role, read-only): which live payments of which
-- tenant are due, never amounts, references or customers; each is expired in
-- its tenant's own scoped transaction.
CREATE POLICY platform_sweep ON payments FOR SELECT TO concierge_platform USING (true);
GRANT SELECT (tenant_id, id, provider, status, expires_at, confirmed_at) ON payments TO concierge_platform;

-- +goose Down
ALTER TABLE cart_items ADD CONSTRAINT cart_items_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES tenants (id);
DROP TABLE payment_events;
DROP TABLE payments;
DROP TABLE payment_settings;
DROP TABLE order_events;
DROP TABLE order_lines;
DROP TABLE orders;
DROP FUNCTION next_order_number(uuid);
