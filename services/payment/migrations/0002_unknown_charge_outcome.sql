-- A charge whose calls all went unanswered is `unknown` (the provider may have taken the money), never
-- `failed`: recovery asks again with the same idempotency key once its lease_until has passed.
ALTER TABLE payments DROP CONSTRAINT payments_status_check;
ALTER TABLE payments ADD CONSTRAINT payments_status_check CHECK (status IN
  ('awaiting', 'charging', 'unknown', 'processing', 'succeeded', 'failed', 'voided', 'refunding', 'refunded'));

DROP INDEX payments_in_flight_idx;
CREATE INDEX payments_in_flight_idx ON payments (lease_until) WHERE status IN ('charging', 'unknown', 'refunding');
