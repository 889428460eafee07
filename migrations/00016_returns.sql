-- Returns / RMA (modules/returns; docs/returns.md): a customer (WhatsApp, the
-- storefront with the order-lookup proof) or staff asks to return items of a
-- delivered order within the tenant's window; staff decide; an approval
-- refunds through checkout's providers (a job); receiving the parcel puts the
-- items back in stock.
--
-- return_settings: the tenant's window (days after delivery, 0 = no returns
-- accepted) and the RMA counter. last_number is drawn with
-- UPDATE ... RETURNING inside the request's transaction: the row lock makes
-- the numbers gapless (RMA-1001, RMA-1002, …; a rolled-back request gives its
-- number back), at the price of serialising one tenant's new returns, which
-- are rare.
-- returns: one request. Lifecycle (status):
--   requested → approved | rejected (final)
--   approved  → refunded (the refund settled first) | received (the parcel first)
--   refunded  → closed (the parcel arrived); received → closed (the refund settled)
-- An approval without refund (refund_amount 0, refund_status none) closes on
-- receipt. refund_status follows the money: none, pending (the refund job is
-- queued), done (the provider refunded), manual (cash on delivery: staff hand
-- the cash back), failed (the provider refused; approving again retries).
-- return_lines: what comes back, copied from the order's lines (titles,
-- prices): a return outlives its products, so no key to variants.
-- return_media: photos the customer sent (the WhatsApp media id), fetched by
-- a job into data (bytea, at most RETURNS_MAX_MEDIA_BYTES) or rejected with a
-- reason (too large, not an allowed image type). return_id is NULL only for
-- media not yet attached to a return.
-- return_events: the return's own timeline (the order's timeline gets a line
-- too, through modules/orders).
--
-- Like the checkout's tables, the child tables carry no foreign key to
-- tenants (return_settings, written per new return, does: it is one row per
-- tenant and its lock is the numbering's anyway).

-- +goose Up
CREATE TABLE return_settings (
  tenant_id   uuid NOT NULL REFERENCES tenants (id),
  window_days integer NOT NULL DEFAULT 7 CHECK (window_days BETWEEN 0 AND 365),
  last_number bigint NOT NULL DEFAULT 1000 CHECK (last_number >= 1000),
  updated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id)
);

CREATE TABLE returns (
  tenant_id     uuid NOT NULL,
  id            uuid NOT NULL,
  number        bigint NOT NULL CHECK (number > 1000),
  order_id      uuid NOT NULL,
  order_number  bigint NOT NULL,
  customer_id   uuid,
  channel       text NOT NULL CHECK (channel IN ('whatsapp', 'web', 'staff')),
  status        text NOT NULL CHECK (status IN ('requested', 'approved', 'rejected', 'received', 'refunded', 'closed')),
  reason        text NOT NULL CHECK (reason IN ('wrong_size', 'damaged', 'not_as_described', 'changed_mind', 'other')),
  reason_text   text NOT NULL DEFAULT '' CHECK (length(reason_text) <= 500),
  currency      text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  refund_amount bigint NOT NULL DEFAULT 0 CHECK (refund_amount >= 0),
  refund_status text NOT NULL DEFAULT 'none' CHECK (refund_status IN ('none', 'pending', 'done', 'manual', 'failed')),
  refund_error  text NOT NULL DEFAULT '' CHECK (length(refund_error) <= 500),
  refunded_at   timestamptz,
  decision_note text NOT NULL DEFAULT '' CHECK (length(decision_note) <= 1000),
  decided_by    text NOT NULL DEFAULT '',
  decided_at    timestamptz,
  received_at   timestamptz,
  created_by    text NOT NULL,
  created_at    timestamptz NOT NULL,
  updated_at    timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, number),
  FOREIGN KEY (tenant_id, order_id) REFERENCES orders (tenant_id, id),
  FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, id) ON DELETE SET NULL (customer_id),
  CHECK ((status = 'requested') = (decided_at IS NULL)),
  CHECK (status <> 'rejected' OR decision_note <> '')
);
CREATE INDEX returns_by_order ON returns (tenant_id, order_id);
CREATE INDEX returns_by_status ON returns (tenant_id, status, created_at DESC, id);
CREATE INDEX returns_by_created ON returns (tenant_id, created_at DESC, id);

CREATE TABLE return_lines (
  tenant_id  uuid NOT NULL,
  return_id  uuid NOT NULL,
  position   integer NOT NULL CHECK (position >= 0),
  variant_id uuid NOT NULL,
  sku        text NOT NULL CHECK (length(sku) BETWEEN 1 AND 64),
  title_ar   text NOT NULL DEFAULT '',
  title_en   text NOT NULL DEFAULT '',
  quantity   integer NOT NULL CHECK (quantity > 0 AND quantity <= 999),
  unit_price bigint NOT NULL CHECK (unit_price >= 0),
  PRIMARY KEY (tenant_id, return_id, position),
  FOREIGN KEY (tenant_id, return_id) REFERENCES returns (tenant_id, id) ON DELETE CASCADE
);

CREATE TABLE return_media (
  tenant_id  uuid NOT NULL,
  id         uuid NOT NULL,
  return_id  uuid,
  media_id   text NOT NULL CHECK (length(media_id) BETWEEN 1 AND 128),
  mime_type  text NOT NULL DEFAULT '' CHECK (length(mime_type) <= 100),
  size_bytes bigint CHECK (size_bytes >= 0),
  sha256     text NOT NULL DEFAULT '' CHECK (length(sha256) <= 128),
  data       bytea,
  status     text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'stored', 'rejected')),
  reason     text NOT NULL DEFAULT '' CHECK (length(reason) <= 200),
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, return_id) REFERENCES returns (tenant_id, id) ON DELETE CASCADE,
  CHECK ((status = 'stored') = (data IS NOT NULL))
);
CREATE INDEX return_media_by_return ON return_media (tenant_id, return_id, created_at);

CREATE TABLE return_events (
  tenant_id uuid NOT NULL,
  id        uuid NOT NULL,
  return_id uuid NOT NULL,
  kind      text NOT NULL CHECK (length(kind) BETWEEN 1 AND 64),
  actor     text NOT NULL,
  note      text NOT NULL DEFAULT '' CHECK (length(note) <= 1000),
  data      jsonb NOT NULL DEFAULT '{}',
  at        timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, return_id) REFERENCES returns (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX return_events_by_return ON return_events (tenant_id, return_id, at, id);

-- +goose StatementBegin
DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['return_settings', 'returns', 'return_lines', 'return_media', 'return_events'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format($p$CREATE POLICY tenant_isolation ON %I
      USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
      WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)$p$, t);
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %I TO concierge_app', t);
  END LOOP;
END $$;
-- +goose StatementEnd

-- +goose Down
DROP TABLE return_events;
DROP TABLE return_media;
DROP TABLE return_lines;
DROP TABLE returns;
DROP TABLE return_settings;
