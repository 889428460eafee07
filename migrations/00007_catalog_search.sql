-- Search that can use its indexes under row-level security.
--
-- Postgres evaluates a policy's condition before any user condition whose
-- function is not LEAKPROOF, so it never uses an index for one: full-text @@
-- and pg_trgm's <% are not leakproof, and under the tenant policy every
-- search became a scan of the tenant's whole catalog. The search therefore
-- runs in SECURITY DEFINER functions owned by the migrating role, which reads
-- products through a SELECT-only policy of its own and filters by
-- app.tenant_id itself: a caller cannot pass another tenant, and without the
-- setting no row matches (fails closed). They return only ids and scores; the
-- caller joins them back to products under the tenant policy.
--
-- The indexes lead with tenant_id (btree_gin), so one tenant's search never
-- walks another tenant's entries.

-- +goose Up
CREATE EXTENSION IF NOT EXISTS btree_gin;
DROP INDEX products_search_doc;
DROP INDEX products_search_title;
CREATE INDEX products_search_doc ON products USING gin (tenant_id, search_doc);
CREATE INDEX products_search_title ON products USING gin (tenant_id, search_title gin_trgm_ops);

CREATE POLICY search_definer ON products FOR SELECT TO CURRENT_USER USING (true);

-- +goose StatementBegin
-- catalog_has_words reports whether any product of the tenant in status
-- matches q.
CREATE FUNCTION catalog_has_words(q tsquery, want_status text) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_catalog AS $$
  SELECT EXISTS (SELECT 1 FROM products p
    WHERE p.tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid
      AND p.search_doc @@ q AND p.status = want_status)
$$;
-- +goose StatementEnd

-- +goose StatementBegin
-- catalog_search_words ranks the tenant's products matching q: full-text
-- rank (title weighted) times 2, plus 1 when q_title (every word in the
-- title) matches, plus stock_bonus when in stock.
CREATE FUNCTION catalog_search_words(q tsquery, q_title tsquery, want_status text, stock_bonus float8)
RETURNS TABLE (id uuid, score float8)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_catalog AS $$
  SELECT p.id,
         ts_rank(p.search_doc, q, 1) * 2
         + CASE WHEN p.search_doc @@ q_title THEN 1 ELSE 0 END
         + CASE WHEN p.in_stock THEN stock_bonus ELSE 0 END
  FROM products p
  WHERE p.tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid
    AND p.search_doc @@ q AND p.status = want_status
$$;
-- +goose StatementEnd

-- +goose StatementBegin
-- catalog_search_similar ranks the tenant's products whose normalised title
-- is similar to words (pg_trgm word similarity above
-- pg_trgm.word_similarity_threshold, which the caller sets) and to each of
-- each_word on its own (at least 0.3), so that one well-matched word cannot
-- carry a word the catalog has nothing like ("تلفزيون سامسونج" is not a
-- Samsung phone).
CREATE FUNCTION catalog_search_similar(words text, each_word text[], want_status text, stock_bonus float8)
RETURNS TABLE (id uuid, score float8)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_catalog AS $$
  SELECT p.id,
         word_similarity(words, p.search_title) * 2
         + CASE WHEN p.in_stock THEN stock_bonus ELSE 0 END
  FROM products p
  WHERE p.tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid
    AND words <% p.search_title AND p.status = want_status
    AND NOT EXISTS (SELECT 1 FROM unnest(each_word) AS w WHERE word_similarity(w, p.search_title) < 0.3)
$$;
-- +goose StatementEnd

REVOKE ALL ON FUNCTION catalog_has_words(tsquery, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION catalog_search_words(tsquery, tsquery, text, float8) FROM PUBLIC;
REVOKE ALL ON FUNCTION catalog_search_similar(text, text[], text, float8) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION catalog_has_words(tsquery, text) TO concierge_app;
GRANT EXECUTE ON FUNCTION catalog_search_words(tsquery, tsquery, text, float8) TO concierge_app;
GRANT EXECUTE ON FUNCTION catalog_search_similar(text, text[], text, float8) TO concierge_app;

-- +goose Down
DROP FUNCTION catalog_search_similar(text, text[], text, float8);
DROP FUNCTION catalog_search_words(tsquery, tsquery, text, float8);
DROP FUNCTION catalog_has_words(tsquery, text);
DROP POLICY search_definer ON products;
DROP INDEX products_search_title;
DROP INDEX products_search_doc;
CREATE INDEX products_search_doc ON products USING gin (search_doc);
CREATE INDEX products_search_title ON products USING gin (search_title gin_trgm_ops);
