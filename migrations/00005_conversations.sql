-- WhatsApp conversations: customers, conversations, every inbound and outbound
-- message (the inbox: unique per WhatsApp message id), consent records, tenant
-- overrides of bot texts, and payloads for numbers no tenant owns.

-- +goose Up
ALTER TABLE tenants
  ADD COLUMN privacy_url text NOT NULL DEFAULT '',
  ADD COLUMN privacy_version text NOT NULL DEFAULT '1';

CREATE TABLE customers (
  tenant_id    uuid NOT NULL REFERENCES tenants (id),
  id           uuid NOT NULL,
  wa_id        text NOT NULL CHECK (wa_id ~ '^[0-9]{5,20}$'),
  profile_name text NOT NULL DEFAULT '',
  locale       text NOT NULL DEFAULT '' CHECK (locale IN ('', 'ar', 'en')),
  consent      text NOT NULL DEFAULT 'unknown' CHECK (consent IN ('unknown', 'granted', 'declined', 'withdrawn')),
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, wa_id)
);

CREATE TABLE conversations (
  tenant_id       uuid NOT NULL REFERENCES tenants (id),
  id              uuid NOT NULL,
  customer_id     uuid NOT NULL,
  number_id       uuid NOT NULL,
  phone_number_id text NOT NULL,
  state           jsonb NOT NULL DEFAULT '{}',
  last_inbound_at timestamptz,
  handoff         text NOT NULL DEFAULT 'bot' CHECK (handoff IN ('bot', 'waiting', 'human')),
  handoff_at      timestamptz,
  assignee_id     uuid REFERENCES users (id) ON DELETE SET NULL,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, customer_id, number_id),
  FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, id) ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, number_id) REFERENCES whatsapp_numbers (tenant_id, id)
);
CREATE INDEX conversations_handoff ON conversations (tenant_id, handoff, updated_at DESC);

CREATE TABLE messages (
  tenant_id       uuid NOT NULL REFERENCES tenants (id),
  id              uuid NOT NULL,
  conversation_id uuid NOT NULL,
  direction       text NOT NULL CHECK (direction IN ('in', 'out')),
  wa_message_id   text,
  kind            text NOT NULL,
  body            text NOT NULL DEFAULT '',
  payload         jsonb NOT NULL DEFAULT '{}',
  author          text NOT NULL DEFAULT '',
  -- inbound: received | processed | held (bot paused) ; outbound: queued | sent | delivered | read | failed
  status          text NOT NULL,
  sent_at         timestamptz NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now(),
  processed_at    timestamptz,
  status_at       timestamptz,
  error_code      integer,
  error_detail    text NOT NULL DEFAULT '',
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, conversation_id) REFERENCES conversations (tenant_id, id) ON DELETE CASCADE
);
-- Redelivered webhooks are harmless: one row per WhatsApp message id.
CREATE UNIQUE INDEX messages_wa_message_id ON messages (tenant_id, wa_message_id) WHERE wa_message_id IS NOT NULL;
CREATE INDEX messages_unprocessed ON messages (tenant_id, conversation_id, sent_at, id) WHERE direction = 'in' AND status = 'received';
CREATE INDEX messages_received_at ON messages (created_at) WHERE direction = 'in' AND status = 'received';
CREATE INDEX messages_conversation ON messages (tenant_id, conversation_id, created_at);

CREATE TABLE consent_records (
  tenant_id      uuid NOT NULL REFERENCES tenants (id),
  id             uuid NOT NULL,
  customer_id    uuid NOT NULL,
  action         text NOT NULL CHECK (action IN ('grant', 'decline', 'withdraw')),
  purpose        text NOT NULL,
  notice_version text NOT NULL,
  channel        text NOT NULL,
  message_id     text NOT NULL DEFAULT '',
  at             timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, id) ON DELETE CASCADE
);

CREATE TABLE bot_texts (
  tenant_id  uuid NOT NULL REFERENCES tenants (id),
  key        text NOT NULL,
  locale     text NOT NULL CHECK (locale IN ('ar', 'en')),
  body       text NOT NULL CHECK (length(body) BETWEEN 1 AND 4096),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, key, locale)
);

-- +goose StatementBegin
DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['customers', 'conversations', 'messages', 'consent_records', 'bot_texts'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format($p$CREATE POLICY tenant_isolation ON %I
      USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
      WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)$p$, t);
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %I TO concierge_app', t);
  END LOOP;
END
$$;
-- +goose StatementEnd
-- The sweeper looks across tenants for messages nobody processed; it sees ids
-- and times only through this policy (platform role, read-only).
CREATE POLICY platform_sweep ON messages FOR SELECT TO concierge_platform USING (direction = 'in' AND status = 'received');
GRANT SELECT ON messages TO concierge_platform;

-- Payloads for a phone_number_id no tenant owns (platform table).
CREATE TABLE whatsapp_unrouted (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  phone_number_id text NOT NULL,
  reason          text NOT NULL,
  payload         jsonb NOT NULL,
  received_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX whatsapp_unrouted_received ON whatsapp_unrouted (received_at DESC);
GRANT SELECT, INSERT, DELETE ON whatsapp_unrouted TO concierge_platform;

-- +goose Down
DROP TABLE whatsapp_unrouted;
DROP TABLE bot_texts;
DROP TABLE consent_records;
DROP TABLE messages;
DROP TABLE conversations;
DROP TABLE customers;
ALTER TABLE tenants DROP COLUMN privacy_url, DROP COLUMN privacy_version;
