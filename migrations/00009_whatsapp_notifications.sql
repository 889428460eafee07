-- WhatsApp notifications (whatsapp.Service.Notify): a message a module sends a
-- customer on its own initiative (an order's status, a payment link) is queued
-- once per key. The key is claimed in the caller's transaction, before the
-- message is written: a retried order transition finds it taken and queues
-- nothing, a concurrent one waits for the first and then finds it taken, and a
-- rolled-back change frees it. The message row is inserted after the claim in
-- the same transaction, so its foreign key is checked at commit.

-- +goose Up
CREATE TABLE whatsapp_notifications (
  tenant_id   uuid NOT NULL REFERENCES tenants (id),
  key         text NOT NULL CHECK (length(key) BETWEEN 1 AND 200),
  customer_id uuid NOT NULL,
  message_id  uuid NOT NULL,
  author      text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, key),
  FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, id) ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, message_id) REFERENCES messages (tenant_id, id) ON DELETE CASCADE
    DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX whatsapp_notifications_message ON whatsapp_notifications (tenant_id, message_id);

ALTER TABLE whatsapp_notifications ENABLE ROW LEVEL SECURITY;
ALTER TABLE whatsapp_notifications FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON whatsapp_notifications
  USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
  WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
GRANT SELECT, INSERT, UPDATE, DELETE ON whatsapp_notifications TO concierge_app;

-- +goose Down
DROP TABLE whatsapp_notifications;
