-- Search that stays cheap on a large catalog (issue 13).
--
-- catalog_search_words (00007, 00017) is plpgsql: after a connection has run
-- it five times, Postgres may switch its statement to a generic plan, made
-- without the arguments' values. For that plan "options @> $10" looked
-- selective (one filter token matches few products), so it read the tenant's
-- whole product_search through the options index and tested every row's
-- document against the words: with no option asked for ('{}' contains in
-- every row) a search of the 34,000-product bench catalog took 130 ms
-- instead of 5 ms, on every pooled connection that had searched five times.
-- The search functions now plan every call with its values
-- (plan_cache_mode = force_custom_plan: a fraction of a millisecond to plan),
-- and a filter that is not asked for is written so that it folds away.
--
-- catalog_search_page replaces catalog_search_words: it also keeps to the
-- page (the cursor's position, score then id, and the page size) itself, so
-- that Postgres sorts the matches with a bounded top-N heap and returns only
-- the page, instead of handing every match of a common word back through
-- the function's result set to be sorted again outside. Matching, filters
-- and the score are unchanged: full-text rank (title weighted) times 2, plus
-- 1 when every word is in the title (q_title), plus stock_bonus when in
-- stock; ties break on id. Each match comes with its price range and stock,
-- so that a ranking read without price and stock filters can be narrowed by
-- them later (the catalog caches the best matches of a search's words per
-- catalog version and applies a price ceiling to them in the process).
--
-- catalog_words_match says whether any product of want_status matches q at
-- all, whatever the filters: the typo correction is only for words that
-- match nothing, not for a search whose filters left nothing.

-- +goose Up
DROP FUNCTION catalog_search_words(tsquery, tsquery, text, float8, bigint, bigint, boolean, text, uuid[], text[]);

-- +goose StatementBegin
CREATE FUNCTION catalog_search_page(q tsquery, q_title tsquery, want_status text, stock_bonus float8,
    price_from bigint, price_to bigint, only_in_stock boolean, want_brand text, in_categories uuid[], want_options text[],
    after_score float8, after_id uuid, page_size integer)
RETURNS TABLE (id uuid, score float8, min_price bigint, max_price bigint, in_stock boolean)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_catalog, pg_temp SET plan_cache_mode = force_custom_plan AS $$
BEGIN
  RETURN QUERY
  SELECT m.product_id, m.score, m.min_price, m.max_price, m.in_stock
  FROM (
    SELECT s.product_id, s.min_price, s.max_price, s.in_stock,
           ts_rank(s.doc, q, 1)::float8 * 2
           + CASE WHEN s.doc @@ q_title THEN 1 ELSE 0 END
           + CASE WHEN s.in_stock THEN stock_bonus ELSE 0 END AS score
    FROM product_search s
    WHERE s.tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid
      AND s.doc @@ q AND s.status = want_status
      AND s.max_price >= price_from AND s.min_price <= price_to AND (s.in_stock OR NOT only_in_stock)
      AND (want_brand = '' OR s.brand = want_brand)
      AND (cardinality(want_options) = 0 OR s.options @> want_options)
      AND (in_categories IS NULL OR EXISTS (SELECT 1 FROM product_categories pc
           WHERE pc.tenant_id = s.tenant_id AND pc.product_id = s.product_id AND pc.category_id = ANY (in_categories)))
  ) m
  WHERE after_id IS NULL OR m.score < after_score OR (m.score = after_score AND m.product_id > after_id)
  ORDER BY m.score DESC, m.product_id
  LIMIT page_size;
END
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION catalog_words_match(q tsquery, want_status text) RETURNS boolean
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_catalog, pg_temp SET plan_cache_mode = force_custom_plan AS $$
BEGIN
  RETURN EXISTS (SELECT 1 FROM product_search s
    WHERE s.tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid
      AND s.doc @@ q AND s.status = want_status);
END
$$;
-- +goose StatementEnd

ALTER FUNCTION catalog_correct(text[]) SET plan_cache_mode = force_custom_plan;

-- A SECURITY DEFINER function searches pg_temp first unless it is named,
-- last: a caller's temporary table or function could stand in for one the
-- function reads. The definer functions of 00007 and 00011 name it last now.
ALTER FUNCTION catalog_correct(text[]) SET search_path = public, pg_catalog, pg_temp;
ALTER FUNCTION next_order_number(uuid) SET search_path = public, pg_catalog, pg_temp;

REVOKE ALL ON FUNCTION catalog_search_page(tsquery, tsquery, text, float8, bigint, bigint, boolean, text, uuid[], text[], float8, uuid, integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION catalog_words_match(tsquery, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION catalog_search_page(tsquery, tsquery, text, float8, bigint, bigint, boolean, text, uuid[], text[], float8, uuid, integer) TO concierge_app;
GRANT EXECUTE ON FUNCTION catalog_words_match(tsquery, text) TO concierge_app;

-- +goose Down
ALTER FUNCTION catalog_correct(text[]) RESET plan_cache_mode;
ALTER FUNCTION catalog_correct(text[]) SET search_path = public, pg_catalog;
ALTER FUNCTION next_order_number(uuid) SET search_path = public, pg_catalog;
DROP FUNCTION catalog_words_match(tsquery, text);
DROP FUNCTION catalog_search_page(tsquery, tsquery, text, float8, bigint, bigint, boolean, text, uuid[], text[], float8, uuid, integer);
-- +goose StatementBegin
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
