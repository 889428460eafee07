-- Customer names searched as Arabic is typed (issue 14): arabic_fold is
-- internal/arabic.Normalize in SQL, for the part of it that names use:
-- NFKC; tatweel, the Arabic marks (harakat, superscript alef, Quranic
-- annotations) and invisible format characters removed; أ إ آ ٱ → ا,
-- ى ی → ي, ة → ه, ؤ → و, ئ → ي, ک → ك; Arabic-Indic and Persian digits and
-- Arabic punctuation to ASCII; whitespace runs to one space, trimmed;
-- lower case (the database's; Go's unicode.ToLower may lower more scripts).
-- A test holds it equal to arabic.Normalize on names (arabic_fold_test.go).
-- The staff search normalises its words with arabic.Normalize and matches
-- them inside arabic_fold(profile_name).

-- +goose Up
-- +goose StatementBegin
CREATE FUNCTION arabic_fold(s text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
  SELECT btrim(regexp_replace(
    regexp_replace(
      translate(lower(normalize(s, NFKC)),
        'أإآٱىیةؤئک٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹،؛؟٪٫٬',
        'ااااييهويك01234567890123456789,;?%.,'),
      '[\u0640\u061C\u064B-\u065F\u0670\u0610-\u061A\u06D6-\u06DC\u06DF-\u06E4\u06E7\u06E8\u06EA-\u06ED\u08CA-\u08E1\u08E3-\u08FF\u200B\u200C\u200E\u200F\u202A-\u202E\u2066-\u2069\uFEFF\u00AD]',
      '', 'g'),
    '\s+', ' ', 'g'))
$$;
-- +goose StatementEnd
GRANT EXECUTE ON FUNCTION arabic_fold(text) TO concierge_app, concierge_platform;

-- +goose Down
DROP FUNCTION arabic_fold(text);
