-- Tenants, their web domains and their WhatsApp numbers. These are platform
-- (reference) tables: the platform role reads and writes all rows; a tenant's
-- scoped transaction sees only its own rows.

-- +goose Up
CREATE TABLE tenants (
  id             uuid PRIMARY KEY,
  slug           text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$'),
  name_en        text NOT NULL CHECK (length(name_en) BETWEEN 1 AND 200),
  name_ar        text NOT NULL CHECK (length(name_ar) BETWEEN 1 AND 200),
  default_locale text NOT NULL DEFAULT 'ar' CHECK (default_locale IN ('ar', 'en')),
  currency       text NOT NULL DEFAULT 'SAR' CHECK (currency ~ '^[A-Z]{3}$'),
  timezone       text NOT NULL DEFAULT 'Asia/Riyadh',
  status         text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended')),
  created_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE tenants ENABLE ROW LEVEL SECURITY;
ALTER TABLE tenants FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON tenants
  USING (id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
  WITH CHECK (id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
CREATE POLICY platform_all ON tenants TO concierge_platform USING (true) WITH CHECK (true);
GRANT SELECT ON tenants TO concierge_app;
GRANT SELECT, INSERT, UPDATE ON tenants TO concierge_platform;

CREATE TABLE tenant_domains (
  tenant_id  uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id         uuid NOT NULL,
  host       text NOT NULL UNIQUE CHECK (host = lower(host) AND host ~ '^[a-z0-9.-]+(:[0-9]+)?$'),
  is_primary boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id)
);
ALTER TABLE tenant_domains ENABLE ROW LEVEL SECURITY;
ALTER TABLE tenant_domains FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON tenant_domains
  USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
  WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
CREATE POLICY platform_all ON tenant_domains TO concierge_platform USING (true) WITH CHECK (true);
GRANT SELECT ON tenant_domains TO concierge_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON tenant_domains TO concierge_platform;

CREATE TABLE whatsapp_numbers (
  tenant_id           uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id                  uuid NOT NULL,
  phone_number_id     text NOT NULL UNIQUE CHECK (phone_number_id ~ '^[0-9]{1,32}$'),
  display_phone       text NOT NULL CHECK (display_phone ~ '^\+[1-9][0-9]{6,14}$'),
  waba_id             text NOT NULL DEFAULT '',
  access_token_sealed text NOT NULL,
  app_secret_sealed   text NOT NULL,
  status              text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
  created_at          timestamptz NOT NULL DEFAULT now(),
  updated_at          timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id)
);
ALTER TABLE whatsapp_numbers ENABLE ROW LEVEL SECURITY;
ALTER TABLE whatsapp_numbers FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON whatsapp_numbers
  USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
  WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
CREATE POLICY platform_all ON whatsapp_numbers TO concierge_platform USING (true) WITH CHECK (true);
GRANT SELECT ON whatsapp_numbers TO concierge_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON whatsapp_numbers TO concierge_platform;

-- +goose Down
DROP TABLE whatsapp_numbers;
DROP TABLE tenant_domains;
DROP TABLE tenants;
