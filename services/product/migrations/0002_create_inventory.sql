-- Inventory: stock per product and the reservations the order saga makes against it.

CREATE TABLE stock (
  product_id uuid PRIMARY KEY REFERENCES products (id) ON DELETE CASCADE,
  on_hand integer NOT NULL CHECK (on_hand >= 0),
  reserved integer NOT NULL DEFAULT 0 CHECK (reserved >= 0),
  updated_at timestamptz NOT NULL DEFAULT now(),
  -- available (on hand - reserved) never goes below zero, whatever the concurrency
  CONSTRAINT stock_reserved_within_on_hand CHECK (reserved <= on_hand)
);

-- One row per order the inventory has seen, whatever came of it, so a late or repeated event
-- for the same order finds what was done.
CREATE TABLE reservations (
  order_id uuid PRIMARY KEY,
  status text NOT NULL CHECK (status IN ('reserved', 'committed', 'released', 'expired', 'rejected', 'cancelled', 'restocked')),
  expires_at timestamptz,
  reason text,
  -- the chain the order started (x-request-id), carried into the events a later sweep publishes
  correlation_id text,
  -- the order.created event that made it, the cause of those events
  source_event_id uuid,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX reservations_expiry_idx ON reservations (expires_at) WHERE status = 'reserved';

CREATE TABLE reservation_lines (
  order_id uuid NOT NULL REFERENCES reservations (order_id) ON DELETE CASCADE,
  product_id uuid NOT NULL,
  quantity integer NOT NULL CHECK (quantity > 0),
  PRIMARY KEY (order_id, product_id)
);
CREATE INDEX reservation_lines_product_idx ON reservation_lines (product_id);
