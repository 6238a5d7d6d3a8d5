-- A category's picture for storefront tiles: {url, thumbnailUrl, mediumUrl, width, height}, as a product
-- image without an id; null when it has none (categories made through the API start without one).
ALTER TABLE categories ADD COLUMN image jsonb;
