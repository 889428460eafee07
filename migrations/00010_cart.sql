-- Carts and pricing (modules/cart, docs/cart.md).
--
-- carts: a WhatsApp customer's cart (customer_id set; at most one open —
-- active or abandoned — per customer) or an anonymous web shopper's (no
-- customer; expires_at slides CART_RETENTION past the last change, and the
-- retention job deletes it after that). The id is the bearer of access: 160
-- random bits in base32, never a sequence or a time-ordered UUID. item_count
-- and subtotal are the values at the last change (the staff list shows them
-- without pricing every cart).
-- cart_items: one line per variant, in the order added, with the unit price
-- applied now and, while a price change has not been shown by a read, the
-- price before it.
-- cart_events: what happened to carts, for analytics and recovery (today:
-- "abandoned"); events outlive the cart they name (no foreign key to it).
-- pricing_settings: the tenant's VAT rate, whether catalog prices include
-- VAT, and shipping (zones of cities with a flat fee each, a default fee for
-- other cities, a free-shipping threshold). No row: the defaults (15 %,
-- prices include VAT, free delivery everywhere).
--
-- The abandon and retention sweeps find the tenants with due carts on the
-- platform path: a read-only policy and column grants that show the platform
-- role when carts were touched, never their ids or contents; each tenant's
-- carts are then changed in that tenant's own scoped transaction.

-- +goose Up
CREATE TABLE carts (
  tenant_id    uuid NOT NULL REFERENCES tenants (id),
  id           text NOT NULL CHECK (id ~ '^[a-z2-7]{32}$'),
  channel      text NOT NULL CHECK (channel IN ('web', 'whatsapp')),
  customer_id  uuid,
  status       text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'abandoned', 'converted')),
  currency     text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  city         text NOT NULL DEFAULT '' CHECK (length(city) <= 100),
  item_count   integer NOT NULL DEFAULT 0 CHECK (item_count >= 0),
  subtotal     bigint NOT NULL DEFAULT 0 CHECK (subtotal >= 0),
  expires_at   timestamptz,
  abandoned_at timestamptz,
  converted_at timestamptz,
  created_at   timestamptz NOT NULL,
  updated_at   timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, id),
  CHECK ((channel = 'whatsapp') = (customer_id IS NOT NULL)),
  FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX carts_open_per_customer ON carts (tenant_id, customer_id) WHERE status IN ('active', 'abandoned');
CREATE INDEX carts_by_status ON carts (tenant_id, status, updated_at DESC, id);
-- The sweeps' scans across tenants.
CREATE INDEX carts_stale ON carts (updated_at) WHERE status = 'active' AND item_count > 0;
CREATE INDEX carts_expiry ON carts (expires_at) WHERE channel = 'web';

CREATE TABLE cart_items (
  tenant_id      uuid NOT NULL REFERENCES tenants (id),
  cart_id        text NOT NULL,
  variant_id     uuid NOT NULL,
  product_id     uuid NOT NULL,
  sku            text NOT NULL CHECK (length(sku) BETWEEN 1 AND 64),
  title_ar       text NOT NULL DEFAULT '',
  title_en       text NOT NULL DEFAULT '',
  options_ar     text NOT NULL DEFAULT '',
  options_en     text NOT NULL DEFAULT '',
  quantity       integer NOT NULL CHECK (quantity BETWEEN 1 AND 999),
  unit_price     bigint NOT NULL CHECK (unit_price BETWEEN 0 AND 1000000000000),
  previous_price bigint CHECK (previous_price BETWEEN 0 AND 1000000000000),
  position       integer NOT NULL CHECK (position >= 0),
  added_at       timestamptz NOT NULL,
  updated_at     timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, cart_id, variant_id),
  FOREIGN KEY (tenant_id, cart_id) REFERENCES carts (tenant_id, id) ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, variant_id) REFERENCES variants (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX cart_items_variant ON cart_items (tenant_id, variant_id);

CREATE TABLE cart_events (
  tenant_id   uuid NOT NULL REFERENCES tenants (id),
  id          uuid NOT NULL,
  kind        text NOT NULL CHECK (kind IN ('abandoned')),
  cart_id     text NOT NULL,
  channel     text NOT NULL CHECK (channel IN ('web', 'whatsapp')),
  customer_id uuid,
  item_count  integer NOT NULL CHECK (item_count >= 0),
  value       bigint NOT NULL CHECK (value >= 0),
  currency    text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  at          timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX cart_events_cart ON cart_events (tenant_id, cart_id);

CREATE TABLE pricing_settings (
  tenant_id               uuid NOT NULL REFERENCES tenants (id),
  vat_rate_bp             integer NOT NULL CHECK (vat_rate_bp BETWEEN 0 AND 10000),
  prices_include_vat      boolean NOT NULL,
  default_fee             bigint CHECK (default_fee BETWEEN 0 AND 1000000000000),
  free_shipping_threshold bigint NOT NULL DEFAULT 0 CHECK (free_shipping_threshold BETWEEN 0 AND 1000000000000),
  zones                   jsonb NOT NULL DEFAULT '[]',
  updated_at              timestamptz NOT NULL,
  PRIMARY KEY (tenant_id)
);

-- +goose StatementBegin
DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['carts', 'cart_items', 'cart_events', 'pricing_settings'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format($p$CREATE POLICY tenant_isolation ON %I
      USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
      WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)$p$, t);
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %I TO concierge_app', t);
  END LOOP;
END $$;
-- +goose StatementEnd

-- The sweeps (platform role, read-only): when carts were touched and what
-- kind they are, never their ids, customers or contents.
CREATE POLICY platform_sweep ON carts FOR SELECT TO concierge_platform USING (true);
GRANT SELECT (tenant_id, channel, status, item_count, updated_at, expires_at) ON carts TO concierge_platform;

-- +goose Down
DROP TABLE pricing_settings;
DROP TABLE cart_events;
DROP TABLE cart_items;
DROP TABLE carts;
