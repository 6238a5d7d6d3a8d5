-- Orders with their lines and status history, and the idempotency keys of checkout requests.
CREATE TABLE orders (
  id uuid PRIMARY KEY,
  user_id uuid NOT NULL,
  status text NOT NULL CHECK (status IN ('pending', 'confirmed', 'shipped', 'delivered', 'cancelled', 'refunded')),
  cancel_reason text CHECK (cancel_reason IN ('out_of_stock', 'payment_failed', 'expired', 'customer')),
  -- lines as priced at checkout: [{productId, sellerId, name, unitPrice, quantity, lineTotal}]
  items jsonb NOT NULL,
  -- the sellers of those lines, for "orders containing my products"
  seller_ids uuid[] NOT NULL,
  total_amount bigint NOT NULL CHECK (total_amount >= 0),
  currency text NOT NULL,
  shipping_address jsonb NOT NULL,
  -- every status change: [{status, at, cause}]
  history jsonb NOT NULL,
  payment_id uuid,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);
CREATE INDEX orders_user_idx ON orders (user_id, created_at DESC, id DESC);
CREATE INDEX orders_created_idx ON orders (created_at DESC, id DESC);
CREATE INDEX orders_sellers_idx ON orders USING gin (seller_ids);
-- the sweeper's scan: oldest pending first
CREATE INDEX orders_pending_idx ON orders (created_at) WHERE status = 'pending';

-- One row per (buyer, Idempotency-Key): the same key again returns the same order, another body is a 409.
CREATE TABLE idempotency_keys (
  user_id uuid NOT NULL,
  key text NOT NULL,
  request_hash text NOT NULL,
  order_id uuid NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id, key)
);
