-- Order lifecycle (modules/orders): staff move confirmed orders through
-- processing, shipped (with tracking) and delivered. The times a status was
-- reached are kept on the order (the return window counts from delivered_at;
-- the dispatch SLA from confirmed_at to shipped_at); the timeline keeps who
-- and why.

-- +goose Up
ALTER TABLE orders
  ADD COLUMN shipped_at      timestamptz,
  ADD COLUMN delivered_at    timestamptz,
  ADD COLUMN tracking_number text NOT NULL DEFAULT '' CHECK (length(tracking_number) <= 100),
  ADD COLUMN tracking_url    text NOT NULL DEFAULT '' CHECK (length(tracking_url) <= 1000),
  ADD COLUMN carrier         text NOT NULL DEFAULT '' CHECK (length(carrier) <= 100);

-- +goose Down
ALTER TABLE orders
  DROP COLUMN shipped_at,
  DROP COLUMN delivered_at,
  DROP COLUMN tracking_number,
  DROP COLUMN tracking_url,
  DROP COLUMN carrier;
