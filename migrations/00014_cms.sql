-- Content a store's staff manage (modules/cms; docs/cms.md).
--
-- quick_replies: canned answers staff insert in the inbox, by shortcut
-- ("/thanks"), in Arabic and English; bodies may name the variables
-- {{customer_name}}, {{order_number}}, ... filled when rendered.
-- message_templates: the tenant's WhatsApp message templates as Meta has
-- them (name, language, category, status, components), mirrored by the
-- cms.sync_templates job; a template Meta no longer lists stays, disabled.
-- Notifications outside the 24-hour window may use only a template approved
-- here. Bot text overrides stay in bot_texts (00005).

-- +goose Up
CREATE TABLE quick_replies (
  tenant_id  uuid NOT NULL REFERENCES tenants (id),
  id         uuid NOT NULL,
  shortcut   text NOT NULL CHECK (shortcut ~ '^[a-z0-9_-]{1,32}$'),
  title      text NOT NULL CHECK (length(title) BETWEEN 1 AND 100),
  body_ar    text NOT NULL CHECK (length(body_ar) BETWEEN 1 AND 4096),
  body_en    text NOT NULL CHECK (length(body_en) BETWEEN 1 AND 4096),
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, shortcut)
);

CREATE TABLE message_templates (
  tenant_id       uuid NOT NULL REFERENCES tenants (id),
  id              uuid NOT NULL,
  -- ^[a-z0-9_]{1,512}$, written so: PostgreSQL's regular expressions
  -- take repetition counts up to 255 only.
  name            text NOT NULL CHECK (name ~ '^[a-z0-9_]+$' AND length(name) <= 512),
  language        text NOT NULL CHECK (language ~ '^[a-z]{2,3}(_[A-Za-z]{2,4})?$'),
  category        text NOT NULL CHECK (category IN ('utility', 'marketing', 'authentication')),
  status          text NOT NULL CHECK (status IN ('pending', 'approved', 'rejected', 'paused', 'disabled')),
  components      jsonb NOT NULL DEFAULT '[]',
  meta_id         text NOT NULL DEFAULT '' CHECK (length(meta_id) <= 64),
  rejected_reason text NOT NULL DEFAULT '' CHECK (length(rejected_reason) <= 500),
  synced_at       timestamptz,
  updated_at      timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, name, language)
);
CREATE INDEX message_templates_by_status ON message_templates (tenant_id, status, name);

-- +goose StatementBegin
DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['quick_replies', 'message_templates'] LOOP
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
DROP TABLE message_templates;
DROP TABLE quick_replies;
