-- Carts are customer data: their record is here; Redis (or memory) only keeps copies for the fast path.
-- Every change of a cart takes a new version from one sequence, so versions only grow, across carts and
-- across a cart deleted and made again: a cached copy with a lower version is older, whatever happened.
CREATE SEQUENCE cart_versions;

CREATE TABLE carts (
  -- u:<user id> for a user's cart, g:<guest cart id> for a guest's
  id text PRIMARY KEY,
  user_id uuid,
  -- [{productId, quantity, addedAt (ms)}]: a cart is read and written whole
  lines jsonb NOT NULL DEFAULT '[]',
  version bigint NOT NULL,
  -- the last change, or a read now and then: guest carts idle past CART_IDLE_TTL_SECONDS are gone
  active_at timestamptz NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- the sweeper's way to idle guest carts
CREATE INDEX carts_guest_active_at ON carts (active_at) WHERE user_id IS NULL;

-- What the cart knows of products, from product.* events (or one catalog read on first sight).
CREATE TABLE products (
  product_id uuid PRIMARY KEY,
  name text NOT NULL,
  price_amount bigint NOT NULL,
  price_currency text NOT NULL,
  -- units available (on hand − reserved) as of the news
  stock integer NOT NULL,
  status text NOT NULL,
  seller_id uuid NOT NULL,
  slug text NOT NULL,
  -- ms timestamp of the news it comes from: older news never overwrites newer
  version bigint NOT NULL
);
