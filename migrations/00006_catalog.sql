-- The catalog: categories (a tree), products with media and categories, the
-- variants that are sold (SKU, options, price, stock), catalog sources (files
-- and feed URLs) and their sync runs with reports. Search columns are filled
-- by the application from internal/arabic's normaliser (Postgres has no
-- Arabic normaliser of its own): search_title (trigram index, typos and
-- partial words) and search_doc (full-text, title weighted above the rest).
-- API keys let a client name its tenant without a tenant host.

-- +goose Up
CREATE EXTENSION IF NOT EXISTS pg_trgm;

ALTER TABLE tenants ADD COLUMN meta_catalog_id text NOT NULL DEFAULT ''
  CHECK (meta_catalog_id ~ '^[0-9]{0,32}$');

CREATE TABLE categories (
  tenant_id  uuid NOT NULL REFERENCES tenants (id),
  id         uuid NOT NULL,
  parent_id  uuid,
  slug       text NOT NULL CHECK (slug ~ '^[a-z0-9]([a-z0-9-]{0,118}[a-z0-9])?$'),
  name_ar    text NOT NULL DEFAULT '' CHECK (length(name_ar) <= 200),
  name_en    text NOT NULL DEFAULT '' CHECK (length(name_en) <= 200),
  position   integer NOT NULL DEFAULT 0,
  image_url  text NOT NULL DEFAULT '',
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, slug),
  CHECK (name_ar <> '' OR name_en <> ''),
  CHECK (parent_id IS NULL OR parent_id <> id),
  FOREIGN KEY (tenant_id, parent_id) REFERENCES categories (tenant_id, id)
);
CREATE INDEX categories_parent ON categories (tenant_id, parent_id, position);

CREATE TABLE products (
  tenant_id      uuid NOT NULL REFERENCES tenants (id),
  id             uuid NOT NULL,
  slug           text NOT NULL CHECK (slug ~ '^[a-z0-9]([a-z0-9-]{0,158}[a-z0-9])?$'),
  -- external_id is the feed's product key (item_group_id, or the SKU of a
  -- product without variants); empty for products made through the API.
  external_id    text NOT NULL DEFAULT '',
  status         text NOT NULL DEFAULT 'active' CHECK (status IN ('draft', 'active', 'archived')),
  brand          text NOT NULL DEFAULT '' CHECK (length(brand) <= 200),
  title_ar       text NOT NULL DEFAULT '' CHECK (length(title_ar) <= 300),
  title_en       text NOT NULL DEFAULT '' CHECK (length(title_en) <= 300),
  description_ar text NOT NULL DEFAULT '' CHECK (length(description_ar) <= 10000),
  description_en text NOT NULL DEFAULT '' CHECK (length(description_en) <= 10000),
  attributes     jsonb NOT NULL DEFAULT '{}',
  link           text NOT NULL DEFAULT '',
  -- Aggregates of the active variants, kept by the application in the same
  -- transaction as the variants.
  currency       text NOT NULL DEFAULT 'SAR' CHECK (currency ~ '^[A-Z]{3}$'),
  min_price      bigint NOT NULL DEFAULT 0,
  max_price      bigint NOT NULL DEFAULT 0,
  in_stock       boolean NOT NULL DEFAULT false,
  search_title   text NOT NULL DEFAULT '',
  search_doc     tsvector NOT NULL DEFAULT ''::tsvector,
  content_hash   text NOT NULL DEFAULT '',
  created_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, slug),
  CHECK (title_ar <> '' OR title_en <> '')
);
CREATE UNIQUE INDEX products_external_id ON products (tenant_id, external_id) WHERE external_id <> '';
CREATE INDEX products_list ON products (tenant_id, status, in_stock DESC, id);
CREATE INDEX products_search_doc ON products USING gin (search_doc);
CREATE INDEX products_search_title ON products USING gin (search_title gin_trgm_ops);

CREATE TABLE product_categories (
  tenant_id   uuid NOT NULL REFERENCES tenants (id),
  product_id  uuid NOT NULL,
  category_id uuid NOT NULL,
  position    integer NOT NULL DEFAULT 0,
  PRIMARY KEY (tenant_id, product_id, category_id),
  FOREIGN KEY (tenant_id, product_id) REFERENCES products (tenant_id, id) ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, category_id) REFERENCES categories (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX product_categories_category ON product_categories (tenant_id, category_id, product_id);

CREATE TABLE product_media (
  tenant_id  uuid NOT NULL REFERENCES tenants (id),
  id         uuid NOT NULL,
  product_id uuid NOT NULL,
  url        text NOT NULL CHECK (url ~ '^https?://' AND length(url) <= 2048),
  alt_ar     text NOT NULL DEFAULT '' CHECK (length(alt_ar) <= 300),
  alt_en     text NOT NULL DEFAULT '' CHECK (length(alt_en) <= 300),
  position   integer NOT NULL DEFAULT 0,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, product_id) REFERENCES products (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX product_media_product ON product_media (tenant_id, product_id, position);

CREATE TABLE variants (
  tenant_id    uuid NOT NULL REFERENCES tenants (id),
  id           uuid NOT NULL,
  product_id   uuid NOT NULL,
  sku          text NOT NULL CHECK (length(sku) BETWEEN 1 AND 64),
  options      jsonb NOT NULL DEFAULT '[]',
  price        bigint NOT NULL CHECK (price >= 0),
  compare_at   bigint CHECK (compare_at IS NULL OR compare_at > price),
  currency     text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  -- NULL: stock is not tracked (always available).
  stock        integer CHECK (stock IS NULL OR stock >= 0),
  weight_grams integer NOT NULL DEFAULT 0 CHECK (weight_grams >= 0),
  position     integer NOT NULL DEFAULT 0,
  archived     boolean NOT NULL DEFAULT false,
  content_hash text NOT NULL DEFAULT '',
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, sku),
  FOREIGN KEY (tenant_id, product_id) REFERENCES products (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX variants_product ON variants (tenant_id, product_id, position);

CREATE TABLE catalog_sources (
  tenant_id        uuid NOT NULL REFERENCES tenants (id),
  id               uuid NOT NULL,
  name             text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  kind             text NOT NULL CHECK (kind IN ('upload', 'url')),
  url              text NOT NULL DEFAULT '',
  format           text NOT NULL DEFAULT 'auto' CHECK (format IN ('auto', 'csv', 'tsv', 'json', 'google-tsv', 'google-xml')),
  -- full: items missing from a run are archived.
  full_sync        boolean NOT NULL DEFAULT false,
  -- URL sources are pulled every interval_minutes (0: only on request).
  interval_minutes integer NOT NULL DEFAULT 0 CHECK (interval_minutes >= 0),
  next_run_at      timestamptz,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  CHECK (kind = 'upload' OR url ~ '^https?://')
);
CREATE INDEX catalog_sources_due ON catalog_sources (next_run_at) WHERE kind = 'url' AND interval_minutes > 0;

CREATE TABLE catalog_runs (
  tenant_id   uuid NOT NULL REFERENCES tenants (id),
  id          uuid NOT NULL,
  source_id   uuid,
  status      text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'running', 'succeeded', 'failed')),
  format      text NOT NULL DEFAULT 'auto',
  full_sync   boolean NOT NULL DEFAULT false,
  url         text NOT NULL DEFAULT '',
  input_name  text NOT NULL DEFAULT '',
  -- An uploaded file; NULL for URL pulls. Cleared once the run has finished.
  input       bytea,
  report      jsonb,
  error       text NOT NULL DEFAULT '',
  requested_by text NOT NULL DEFAULT '',
  created_at  timestamptz NOT NULL DEFAULT now(),
  started_at  timestamptz,
  finished_at timestamptz,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, source_id) REFERENCES catalog_sources (tenant_id, id) ON DELETE SET NULL (source_id)
);
CREATE INDEX catalog_runs_source ON catalog_runs (tenant_id, source_id, created_at DESC);
CREATE INDEX catalog_runs_recent ON catalog_runs (tenant_id, created_at DESC);

-- +goose StatementBegin
DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['categories', 'products', 'product_categories', 'product_media', 'variants', 'catalog_sources', 'catalog_runs'] LOOP
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
-- The scheduler looks across tenants for URL sources that are due; it sees
-- only those rows (platform role, read-only), then enqueues each run inside
-- that tenant's own scoped transaction.
CREATE POLICY platform_due ON catalog_sources FOR SELECT TO concierge_platform USING (kind = 'url' AND interval_minutes > 0);
GRANT SELECT ON catalog_sources TO concierge_platform;

-- API keys name a tenant for clients that do not come through a tenant host
-- (a platform table, like domains: resolution reads it before any tenant is
-- known). Only a SHA-256 of the key is stored.
CREATE TABLE tenant_api_keys (
  tenant_id  uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id         uuid NOT NULL,
  name       text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  prefix     text NOT NULL,
  key_hash   bytea NOT NULL UNIQUE,
  created_at timestamptz NOT NULL DEFAULT now(),
  revoked_at timestamptz,
  PRIMARY KEY (tenant_id, id)
);
ALTER TABLE tenant_api_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE tenant_api_keys FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON tenant_api_keys
  USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
  WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
CREATE POLICY platform_all ON tenant_api_keys TO concierge_platform USING (true) WITH CHECK (true);
GRANT SELECT ON tenant_api_keys TO concierge_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON tenant_api_keys TO concierge_platform;

-- +goose Down
DROP TABLE tenant_api_keys;
DROP TABLE catalog_runs;
DROP TABLE catalog_sources;
DROP TABLE variants;
DROP TABLE product_media;
DROP TABLE product_categories;
DROP TABLE products;
DROP TABLE categories;
ALTER TABLE tenants DROP COLUMN meta_catalog_id;
