-- The catalog: categories, products with a weighted full-text vector, and their images.

CREATE TABLE categories (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  slug text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9-]{1,64}$'),
  name text NOT NULL,
  description text NOT NULL DEFAULT '',
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE products (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  -- insertion order: the newest-first keyset (a timestamp would lose microseconds in a JS cursor)
  seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
  seller_id uuid NOT NULL,
  slug text NOT NULL UNIQUE,
  name text NOT NULL,
  description text NOT NULL DEFAULT '',
  price_amount bigint NOT NULL CHECK (price_amount >= 0),
  currency text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  -- a slug, so the search vector can be a generated column; renaming a category slug cascades
  category text REFERENCES categories (slug) ON UPDATE CASCADE ON DELETE RESTRICT,
  attributes jsonb NOT NULL DEFAULT '{}',
  status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'archived')),
  -- the images as clients see them ([{id, url, thumbnailUrl, mediumUrl, width, height}]), kept in step
  -- with product_images by the same transaction, so a page of products is read without a join
  images jsonb NOT NULL DEFAULT '[]',
  -- name weighs most, then category and attribute values (brand, colour, material), then the description
  search tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('english', name), 'A')
    || setweight(to_tsvector('english', replace(coalesce(category, ''), '-', ' ')), 'B')
    || setweight(jsonb_to_tsvector('english', attributes, '["string"]'), 'B')
    || setweight(to_tsvector('english', description), 'C')
  ) STORED,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  archived_at timestamptz
);

-- Archived products leave every list; these serve the list orders with and without a category.
CREATE INDEX products_newest_idx ON products (seq DESC) WHERE status = 'active';
CREATE INDEX products_category_newest_idx ON products (category, seq DESC) WHERE status = 'active';
CREATE INDEX products_price_idx ON products (price_amount, seq) WHERE status = 'active';
CREATE INDEX products_category_price_idx ON products (category, price_amount, seq) WHERE status = 'active';
CREATE INDEX products_seller_idx ON products (seller_id, seq DESC);
CREATE INDEX products_search_idx ON products USING gin (search) WHERE status = 'active';

-- Trigram matching for misspelt searches, where the extension exists (PostgreSQL contrib; not in
-- the embedded PGlite build): search falls back to prefix matching without it.
DO $$
BEGIN
  BEGIN
    CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public;
  EXCEPTION WHEN OTHERS THEN
    RAISE NOTICE 'pg_trgm is not available (%): typo-tolerant search is off', SQLERRM;
  END;
  IF to_regprocedure('word_similarity(text, text)') IS NOT NULL THEN
    EXECUTE 'CREATE INDEX products_name_trgm_idx ON products USING gin (lower(name) gin_trgm_ops) WHERE status = ''active''';
  END IF;
END
$$;

CREATE TABLE product_images (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  product_id uuid NOT NULL REFERENCES products (id) ON DELETE CASCADE,
  position integer NOT NULL,
  -- the adapter that holds the files (local, s3, imagekit) and their keys there
  storage text NOT NULL,
  original_key text NOT NULL,
  thumbnail_key text,
  medium_key text,
  -- the provider's own id where deleting needs it (ImageKit fileId)
  storage_ref text,
  url text NOT NULL,
  thumbnail_url text NOT NULL,
  medium_url text NOT NULL,
  content_type text NOT NULL,
  width integer NOT NULL,
  height integer NOT NULL,
  bytes integer NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX product_images_product_idx ON product_images (product_id, position);
-- the seeded catalog shares a pool of files: delete a file only when no row points at it any more
CREATE INDEX product_images_original_key_idx ON product_images (original_key);

-- One-off data steps already done (the demo catalog), so they never run twice.
CREATE TABLE catalog_seeds (
  name text PRIMARY KEY,
  applied_at timestamptz NOT NULL DEFAULT now()
);
