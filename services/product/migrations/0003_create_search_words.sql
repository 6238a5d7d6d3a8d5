-- The catalog's words as shoppers type them (lower case, unstemmed), for the search fallbacks: a search
-- that finds nothing tries word prefixes only when every word starts some catalog word, and corrects a
-- misspelt word to its nearest catalog word (pg_trgm similarity) instead of matching trigrams against
-- every product name. A few thousand rows, not one per product.

CREATE TABLE search_words (
  -- "C": byte order, so the words starting with a prefix are one index range
  word text COLLATE "C" PRIMARY KEY
);

-- Words are added as products are written and never removed: a stale word at worst corrects a search
-- into one that finds nothing, which is what it found anyway.
CREATE FUNCTION remember_search_words() RETURNS trigger
LANGUAGE plpgsql
SET search_path FROM CURRENT
AS $$
BEGIN
  INSERT INTO search_words (word)
  SELECT DISTINCT w.lexeme
    FROM written p,
         unnest(
           to_tsvector('simple', p.name || ' ' || replace(coalesce(p.category, ''), '-', ' ') || ' ' || p.description)
           || jsonb_to_tsvector('simple', p.attributes, '["string"]')
         ) w
   WHERE length(w.lexeme) BETWEEN 2 AND 64
   -- one order for every writer: concurrent inserts of the same new words wait, never deadlock
   ORDER BY 1
  ON CONFLICT DO NOTHING;
  RETURN NULL;
END
$$;

CREATE TRIGGER products_search_words_on_insert AFTER INSERT ON products
  REFERENCING NEW TABLE AS written FOR EACH STATEMENT EXECUTE FUNCTION remember_search_words();
CREATE TRIGGER products_search_words_on_update AFTER UPDATE ON products
  REFERENCING NEW TABLE AS written FOR EACH STATEMENT EXECUTE FUNCTION remember_search_words();

INSERT INTO search_words (word)
SELECT DISTINCT w.lexeme
  FROM products p,
       unnest(
         to_tsvector('simple', p.name || ' ' || replace(coalesce(p.category, ''), '-', ' ') || ' ' || p.description)
         || jsonb_to_tsvector('simple', p.attributes, '["string"]')
       ) w
 WHERE length(w.lexeme) BETWEEN 2 AND 64
ON CONFLICT DO NOTHING;

-- Typo correction looks words up by trigram similarity; without pg_trgm there is no typo fallback at all.
-- Misspellings are no longer matched against product names, so that index only slowed writes down.
DO $$
BEGIN
  IF to_regprocedure('similarity(text, text)') IS NOT NULL THEN
    EXECUTE 'CREATE INDEX search_words_trgm_idx ON search_words USING gin (word gin_trgm_ops)';
  END IF;
END
$$;
DROP INDEX IF EXISTS products_name_trgm_idx;

-- New products go to the GIN index's pending list until a vacuum merges it, and every search reads that
-- list whole: 4 MB by default, 6 ms per search at 100 000 products after a bulk load. A short list costs
-- writes a merge more often and searches little.
ALTER INDEX products_search_idx SET (gin_pending_list_limit = 256);
