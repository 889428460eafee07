-- Search that can use its indexes under row-level security, on a narrow table,
-- with typo correction against the tenant's vocabulary.
--
-- Postgres evaluates a policy's condition before any user condition whose
-- function is not LEAKPROOF, so it never uses an index for one: full-text @@
-- and pg_trgm's <% are not leakproof, and under the tenant policy every
-- search became a scan of the tenant's whole catalog. The search therefore
-- runs in SECURITY DEFINER functions owned by the migrating role, which reads
-- product_search through a SELECT-only policy of its own and filters by
-- app.tenant_id itself: a caller cannot pass another tenant, and without the
-- setting no row matches (fails closed). They apply every filter of a search
-- and return only ids and scores; the caller ranks, cuts the page, and reads
-- those products under the tenant policy.
--
-- product_search holds one narrow row per product (what matching, ranking and
-- the price and stock filters need), kept by the application in the same
-- transaction as the product: a search reads a few pages instead of the wide
-- product rows. The indexes lead with tenant_id (btree_gin), so one tenant's
-- search never walks another tenant's entries.

-- +goose Up
CREATE EXTENSION IF NOT EXISTS btree_gin;
CREATE EXTENSION IF NOT EXISTS fuzzystrmatch;
DROP INDEX products_search_doc;
DROP INDEX products_search_title;
ALTER TABLE products DROP COLUMN search_doc, DROP COLUMN search_title;

CREATE TABLE product_search (
  tenant_id    uuid NOT NULL REFERENCES tenants (id),
  product_id   uuid NOT NULL,
  status       text NOT NULL,
  in_stock     boolean NOT NULL,
  min_price    bigint NOT NULL,
  max_price    bigint NOT NULL,
  brand        text NOT NULL, -- lower case
  -- The weighted document of normalised text: titles A; brand, categories,
  -- options and SKUs B; the start of the descriptions C.
  doc          tsvector NOT NULL,
  PRIMARY KEY (tenant_id, product_id),
  FOREIGN KEY (tenant_id, product_id) REFERENCES products (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX product_search_doc ON product_search USING gin (tenant_id, doc);
ALTER TABLE product_search ENABLE ROW LEVEL SECURITY;
ALTER TABLE product_search FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON product_search
  USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
  WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
CREATE POLICY search_definer ON product_search FOR SELECT TO CURRENT_USER USING (true);
GRANT SELECT, INSERT, UPDATE, DELETE ON product_search TO concierge_app;

-- +goose StatementBegin
-- catalog_search_words ranks the tenant's products matching q within the
-- filters (price range, in stock, brand ('' any), categories (NULL any)):
-- full-text rank (title weighted) times 2, plus 1 when q_title (every word
-- in the title) matches, plus stock_bonus when in stock.
CREATE FUNCTION catalog_search_words(q tsquery, q_title tsquery, want_status text, stock_bonus float8,
    price_from bigint, price_to bigint, only_in_stock boolean, want_brand text, in_categories uuid[])
RETURNS TABLE (id uuid, score float8)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_catalog AS $$
BEGIN
  RETURN QUERY
  SELECT s.product_id,
         ts_rank(s.doc, q, 1)::float8 * 2
         + CASE WHEN s.doc @@ q_title THEN 1 ELSE 0 END
         + CASE WHEN s.in_stock THEN stock_bonus ELSE 0 END
  FROM product_search s
  WHERE s.tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid
    AND s.doc @@ q AND s.status = want_status
    AND s.max_price >= price_from AND s.min_price <= price_to AND (s.in_stock OR NOT only_in_stock)
    AND (want_brand = '' OR s.brand = want_brand)
    AND (in_categories IS NULL OR EXISTS (SELECT 1 FROM product_categories pc
         WHERE pc.tenant_id = s.tenant_id AND pc.product_id = s.product_id AND pc.category_id = ANY (in_categories)));
END
$$;
-- +goose StatementEnd

-- catalog_terms is the tenant's vocabulary: every normalised word of its
-- product titles (three letters or more), kept by the application. A query
-- whose words match nothing is corrected against it (typos: "iphnoe" →
-- "iphone") and searched again by full text. Words of products that are gone
-- may stay; a correction to one simply finds nothing.
CREATE TABLE catalog_terms (
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  term      text NOT NULL,
  PRIMARY KEY (tenant_id, term)
);
CREATE INDEX catalog_terms_trgm ON catalog_terms USING gin (tenant_id, term gin_trgm_ops);
ALTER TABLE catalog_terms ENABLE ROW LEVEL SECURITY;
ALTER TABLE catalog_terms FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON catalog_terms
  USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
  WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
CREATE POLICY search_definer ON catalog_terms FOR SELECT TO CURRENT_USER USING (true);
GRANT SELECT, INSERT, UPDATE, DELETE ON catalog_terms TO concierge_app;

-- +goose StatementBegin
-- catalog_correct returns words with each word replaced by the tenant's
-- closest term when the word is not a term itself: trigram similarity of at
-- least 0.25 and at most one edit per three letters, most similar first, then
-- the smallest edit distance. Words shorter than three letters, and words
-- with no close term, stay as they are ("بيتزا" is not "بيج").
CREATE FUNCTION catalog_correct(words text[]) RETURNS text[]
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_catalog AS $$
DECLARE
  tenant uuid := NULLIF(current_setting('app.tenant_id', true), '')::uuid;
  out text[] := '{}';
  w text;
  best text;
BEGIN
  PERFORM set_config('pg_trgm.similarity_threshold', '0.25', true);
  FOREACH w IN ARRAY words LOOP
    best := NULL;
    IF length(w) >= 3 AND NOT EXISTS (SELECT 1 FROM catalog_terms t WHERE t.tenant_id = tenant AND t.term = w) THEN
      SELECT t.term INTO best FROM catalog_terms t
       WHERE t.tenant_id = tenant AND t.term % w AND levenshtein(t.term, w) <= greatest(1, length(w) / 3)
       ORDER BY similarity(t.term, w) DESC, levenshtein(t.term, w), t.term
       LIMIT 1;
    END IF;
    out := out || COALESCE(best, w);
  END LOOP;
  RETURN out;
END
$$;
-- +goose StatementEnd

REVOKE ALL ON FUNCTION catalog_search_words(tsquery, tsquery, text, float8, bigint, bigint, boolean, text, uuid[]) FROM PUBLIC;
REVOKE ALL ON FUNCTION catalog_correct(text[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION catalog_search_words(tsquery, tsquery, text, float8, bigint, bigint, boolean, text, uuid[]) TO concierge_app;
GRANT EXECUTE ON FUNCTION catalog_correct(text[]) TO concierge_app;

-- +goose Down
DROP FUNCTION catalog_correct(text[]);
DROP TABLE catalog_terms;
DROP FUNCTION catalog_search_words(tsquery, tsquery, text, float8, bigint, bigint, boolean, text, uuid[]);
DROP TABLE product_search;
ALTER TABLE products ADD COLUMN search_title text NOT NULL DEFAULT '', ADD COLUMN search_doc tsvector NOT NULL DEFAULT ''::tsvector;
CREATE INDEX products_search_doc ON products USING gin (search_doc);
CREATE INDEX products_search_title ON products USING gin (search_title gin_trgm_ops);
