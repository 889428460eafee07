-- Search filters on the variant options a store uses (size, colour, ...):
-- product_search carries each product's option values as filter tokens
-- ("size=m", "colour=black": the option's kind, '=', its normalised value, of
-- the product's variants that are not archived), kept by the application with
-- the rest of the row. A search or list asking for options returns products
-- whose tokens contain every one asked for.
--
-- Rows written before this migration have no tokens until the catalog is
-- reindexed: run `concierge catalog reindex` after migrating (every write
-- refreshes its products' rows anyway).

-- +goose Up
ALTER TABLE product_search ADD COLUMN options text[] NOT NULL DEFAULT '{}';
CREATE INDEX product_search_options ON product_search USING gin (tenant_id, options);

DROP FUNCTION catalog_search_words(tsquery, tsquery, text, float8, bigint, bigint, boolean, text, uuid[]);

-- +goose StatementBegin
-- catalog_search_words ranks the tenant's products matching q within the
-- filters (price range, in stock, brand ('' any), categories (NULL any),
-- option tokens (empty: any)): full-text rank (title weighted) times 2, plus
-- 1 when q_title (every word in the title) matches, plus stock_bonus when in
-- stock.
CREATE FUNCTION catalog_search_words(q tsquery, q_title tsquery, want_status text, stock_bonus float8,
    price_from bigint, price_to bigint, only_in_stock boolean, want_brand text, in_categories uuid[], want_options text[])
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
    AND s.options @> want_options
    AND (in_categories IS NULL OR EXISTS (SELECT 1 FROM product_categories pc
         WHERE pc.tenant_id = s.tenant_id AND pc.product_id = s.product_id AND pc.category_id = ANY (in_categories)));
END
$$;
-- +goose StatementEnd
REVOKE ALL ON FUNCTION catalog_search_words(tsquery, tsquery, text, float8, bigint, bigint, boolean, text, uuid[], text[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION catalog_search_words(tsquery, tsquery, text, float8, bigint, bigint, boolean, text, uuid[], text[]) TO concierge_app;

-- +goose Down
DROP FUNCTION catalog_search_words(tsquery, tsquery, text, float8, bigint, bigint, boolean, text, uuid[], text[]);
-- +goose StatementBegin
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
REVOKE ALL ON FUNCTION catalog_search_words(tsquery, tsquery, text, float8, bigint, bigint, boolean, text, uuid[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION catalog_search_words(tsquery, tsquery, text, float8, bigint, bigint, boolean, text, uuid[]) TO concierge_app;
DROP INDEX product_search_options;
ALTER TABLE product_search DROP COLUMN options;
