-- One payment per order: the charge, its refund, and what the saga has told us about the order.
CREATE TABLE payments (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  order_id uuid NOT NULL UNIQUE,
  -- from order.created (a reservation may arrive first)
  user_id uuid,
  amount bigint CHECK (amount >= 0),
  currency text,
  -- the provider's token for this order (tok_*, pm_*): a reference, never card data; cleared once used
  payment_token text,
  provider text NOT NULL,
  status text NOT NULL DEFAULT 'awaiting'
    CHECK (status IN ('awaiting', 'charging', 'processing', 'succeeded', 'failed', 'voided', 'refunding', 'refunded')),
  stock_reserved boolean NOT NULL DEFAULT false,
  order_cancelled boolean NOT NULL DEFAULT false,
  -- the order was cancelled or refunded while the charge was in flight: refund it when it lands
  refund_wanted boolean NOT NULL DEFAULT false,
  refund_reason text,
  -- written before the first call to the provider; every retry sends the same key
  idempotency_key text,
  provider_ref text,
  refund_ref text,
  failure_reason text,
  -- calls made to the provider (charge and refund)
  attempts integer NOT NULL DEFAULT 0,
  -- a worker owns the charge/refund until then; recovery picks up what is left past it
  lease_until timestamptz,
  refunded_amount bigint,
  charged_at timestamptz,
  refunded_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX payments_user_idx ON payments (user_id, created_at DESC, id DESC);
CREATE INDEX payments_created_idx ON payments (created_at DESC, id DESC);
CREATE INDEX payments_provider_ref_idx ON payments (provider_ref) WHERE provider_ref IS NOT NULL;
CREATE INDEX payments_in_flight_idx ON payments (lease_until) WHERE status IN ('charging', 'refunding');

-- Webhook deliveries already applied (providers redeliver).
CREATE TABLE provider_events (
  provider text NOT NULL,
  event_id text NOT NULL,
  type text NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (provider, event_id)
);

-- The sandbox provider's own ledger: what a real provider keeps on its side, keyed by idempotency key.
CREATE TABLE sandbox_ledger (
  idempotency_key text PRIMARY KEY,
  kind text NOT NULL CHECK (kind IN ('charge', 'refund')),
  order_id text NOT NULL,
  amount bigint NOT NULL,
  currency text NOT NULL,
  -- captured | declined | refunded; null while no answer was decided (transient failures so far)
  outcome text,
  reference text,
  calls integer NOT NULL DEFAULT 1,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sandbox_ledger_order_idx ON sandbox_ledger (order_id, kind);
