-- Pictures uploaded through the dashboard (issue 14): the bytes of a
-- product picture whose product_media row points at the public route
-- /uploads/{tenant}/{id}. One row per picture, sharing the picture's id:
-- deleting the picture (or its product) deletes the bytes.

-- +goose Up
CREATE TABLE catalog_images (
  tenant_id    uuid NOT NULL REFERENCES tenants (id),
  id           uuid NOT NULL,
  content_type text NOT NULL CHECK (content_type IN ('image/jpeg', 'image/png', 'image/webp')),
  data         bytea NOT NULL CHECK (length(data) BETWEEN 1 AND 10485760),
  created_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, id) REFERENCES product_media (tenant_id, id) ON DELETE CASCADE
);
ALTER TABLE catalog_images ENABLE ROW LEVEL SECURITY;
ALTER TABLE catalog_images FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON catalog_images
  USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
  WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
GRANT SELECT, INSERT, UPDATE, DELETE ON catalog_images TO concierge_app;

-- +goose Down
DROP TABLE catalog_images;
