-- Transactional outbox and consumer inbox, created in each service's own schema (search_path).
-- Applied through migrate(db, dir, { include: [eventsMigrations] }) from @microbazaar/kit.

-- Events written in the same transaction as the state change; the relay publishes and marks them.
CREATE TABLE IF NOT EXISTS outbox (
  seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  id uuid NOT NULL UNIQUE,
  type text NOT NULL,
  payload jsonb NOT NULL,
  -- transport headers captured at enqueue time (traceparent, tracestate)
  headers jsonb NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now(),
  available_at timestamptz NOT NULL DEFAULT now(),
  attempts integer NOT NULL DEFAULT 0,
  last_error text,
  sent_at timestamptz
);
-- the relay's scan: pending rows in commit order
CREATE INDEX IF NOT EXISTS outbox_pending_idx ON outbox (seq) WHERE sent_at IS NULL;
CREATE INDEX IF NOT EXISTS outbox_sent_idx ON outbox (sent_at) WHERE sent_at IS NOT NULL;

-- One row: whether a relay is idle and wants a NOTIFY per commit. A relay that is draining a
-- backlog clears it and polls instead, so busy writers skip the NOTIFY (it serialises commits).
CREATE TABLE IF NOT EXISTS outbox_wakeup (
  id boolean PRIMARY KEY DEFAULT true CHECK (id),
  armed boolean NOT NULL DEFAULT true
);
INSERT INTO outbox_wakeup DEFAULT VALUES ON CONFLICT DO NOTHING;

-- Events a consumer has handled, written in the handler's transaction: a redelivery is skipped.
CREATE TABLE IF NOT EXISTS inbox (
  consumer text NOT NULL,
  event_id uuid NOT NULL,
  event_type text NOT NULL,
  outcome text NOT NULL DEFAULT 'handled',
  handled_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (consumer, event_id)
);
