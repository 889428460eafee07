-- A cart's hand-off code (modules/cart/handoff.go, docs/chat-to-order.md):
-- the short code a web cart's "Chat to order" link carries into WhatsApp
-- ("[#C-7K3M9QXDAB]"), so the bot can copy the cart's lines into the
-- customer's WhatsApp cart. Made on first ask and kept for the cart's life
-- (it goes with the cart when the retention job deletes it). Unique per
-- tenant: the index includes tenant_id, and the lookup runs in the tenant's
-- scoped transaction, so a code means nothing on another tenant's number.
-- The platform role's column grants on carts do not include it.

-- +goose Up
ALTER TABLE carts ADD COLUMN handoff_code text CHECK (handoff_code ~ '^C-[0-9A-HJKMNP-TV-Z]{10}$');
CREATE UNIQUE INDEX carts_handoff_code ON carts (tenant_id, handoff_code) WHERE handoff_code IS NOT NULL;

-- +goose Down
DROP INDEX carts_handoff_code;
ALTER TABLE carts DROP COLUMN handoff_code;
