-- The storefront's presentation per tenant: display names (empty: the
-- tenant's own), logo and primary colour, edited by staff through
-- GET/PUT /api/v1/settings/storefront.

-- +goose Up
CREATE TABLE storefront_settings (
  tenant_id     uuid NOT NULL REFERENCES tenants (id),
  name_ar       text NOT NULL DEFAULT '' CHECK (length(name_ar) <= 100),
  name_en       text NOT NULL DEFAULT '' CHECK (length(name_en) <= 100),
  logo_url      text NOT NULL DEFAULT '' CHECK (length(logo_url) <= 2048),
  primary_color text NOT NULL DEFAULT '' CHECK (primary_color = '' OR primary_color ~ '^#[0-9a-f]{6}$'),
  updated_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id)
);
ALTER TABLE storefront_settings ENABLE ROW LEVEL SECURITY;
ALTER TABLE storefront_settings FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON storefront_settings
  USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
  WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
GRANT SELECT, INSERT, UPDATE ON storefront_settings TO concierge_app;

-- +goose Down
DROP TABLE storefront_settings;
