-- Indexes for the dashboard's newest-first lists (issue 14). Without them the
-- orders and customers lists read and sort every row of the tenant on each
-- page (a seq scan that grows with the shop), and a customer's consent
-- ledger reads the tenant's whole ledger.

-- +goose Up
CREATE INDEX orders_by_created ON orders (tenant_id, created_at DESC, id DESC);
CREATE INDEX customers_by_created ON customers (tenant_id, created_at DESC, id DESC);
CREATE INDEX consent_records_by_customer ON consent_records (tenant_id, customer_id, at, id);

-- +goose Down
DROP INDEX consent_records_by_customer;
DROP INDEX customers_by_created;
DROP INDEX orders_by_created;
