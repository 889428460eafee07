-- Tax invoices (modules/invoices, docs/invoices.md): ZATCA phase-1
-- simplified tax invoices, issued when an order is confirmed, and credit
-- notes, issued when its payment is refunded.
--
-- invoice_settings: the seller as the invoices name it (VAT registration
-- number, Arabic and English names) and next_number, the tenant's next
-- document number. Numbering is gapless: the issuing transaction takes the
-- number with UPDATE ... SET next_number = next_number + 1 RETURNING, so the
-- row lock serialises a tenant's issues and a rolled-back issue gives its
-- number back (unlike a sequence). No row: the tenant has not set a VAT
-- number, and no invoice is issued.
-- invoices: one row per document, invoices and credit notes sharing the
-- tenant's one numbering. A snapshot of what was stated (seller, amounts,
-- lines, the QR payload): an invoice outlives every later change of the
-- order, the catalog or the settings, and is never updated or deleted (the
-- app role has no UPDATE or DELETE on it). At most one invoice per order; a
-- credit note refers to its order's invoice and holds the credited amounts
-- as positive numbers, credited_total being the order's refunded total it
-- brings the credits to (one credit note per refunded total, so a replayed
-- refund issues nothing).
--
-- invoices carries no foreign key to tenants (as orders, for the same
-- reason: a key to tenants makes every insert share-lock the tenant's row);
-- its key to orders includes tenant_id.

-- +goose Up
CREATE TABLE invoice_settings (
  tenant_id      uuid NOT NULL PRIMARY KEY REFERENCES tenants (id),
  vat_number     text NOT NULL CHECK (vat_number ~ '^3[0-9]{13}3$'),
  seller_name_ar text NOT NULL CHECK (length(seller_name_ar) BETWEEN 1 AND 200 AND octet_length(seller_name_ar) <= 255),
  seller_name_en text NOT NULL CHECK (length(seller_name_en) BETWEEN 1 AND 200 AND octet_length(seller_name_en) <= 255),
  next_number    bigint NOT NULL DEFAULT 1 CHECK (next_number > 0),
  updated_at     timestamptz NOT NULL
);

CREATE TABLE invoices (
  tenant_id      uuid NOT NULL,
  id             uuid NOT NULL,
  kind           text NOT NULL CHECK (kind IN ('invoice', 'credit_note')),
  number         bigint NOT NULL CHECK (number > 0),
  order_id       uuid NOT NULL,
  order_number   bigint NOT NULL,
  refers_to      uuid,
  issued_at      timestamptz NOT NULL,
  currency       text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  subtotal       bigint NOT NULL CHECK (subtotal >= 0),
  discount       bigint NOT NULL CHECK (discount >= 0),
  shipping       bigint NOT NULL CHECK (shipping >= 0),
  vat            bigint NOT NULL CHECK (vat >= 0),
  total          bigint NOT NULL CHECK (total >= 0),
  vat_rate_bp    integer NOT NULL CHECK (vat_rate_bp BETWEEN 0 AND 10000),
  vat_included   boolean NOT NULL,
  seller_name_ar text NOT NULL,
  seller_name_en text NOT NULL,
  vat_number     text NOT NULL CHECK (vat_number ~ '^3[0-9]{13}3$'),
  lines          jsonb NOT NULL,
  qr_tlv         text NOT NULL,
  credited_total bigint CHECK (credited_total > 0),
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, number),
  FOREIGN KEY (tenant_id, order_id) REFERENCES orders (tenant_id, id),
  FOREIGN KEY (tenant_id, refers_to) REFERENCES invoices (tenant_id, id),
  CHECK ((kind = 'invoice') = (refers_to IS NULL)),
  CHECK ((kind = 'credit_note') = (credited_total IS NOT NULL))
);
CREATE UNIQUE INDEX invoices_one_per_order ON invoices (tenant_id, order_id) WHERE kind = 'invoice';
CREATE UNIQUE INDEX invoices_credit_once ON invoices (tenant_id, order_id, credited_total) WHERE kind = 'credit_note';

-- +goose StatementBegin
DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['invoice_settings', 'invoices'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format($p$CREATE POLICY tenant_isolation ON %I
      USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
      WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)$p$, t);
  END LOOP;
END $$;
-- +goose StatementEnd
-- Issued documents are kept as issued: read and added, never changed.
GRANT SELECT, INSERT, UPDATE ON invoice_settings TO concierge_app;
GRANT SELECT, INSERT ON invoices TO concierge_app;

-- +goose Down
DROP TABLE invoices;
DROP TABLE invoice_settings;
