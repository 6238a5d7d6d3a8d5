-- Recovery re-reads `processing` charges that no webhook settled: their lease_until says when to look next.
DROP INDEX payments_in_flight_idx;
CREATE INDEX payments_in_flight_idx ON payments (lease_until)
  WHERE status IN ('charging', 'unknown', 'processing', 'refunding');

-- processing charges recorded before this had no lease: re-read them on the next recovery round
UPDATE payments SET lease_until = now() WHERE status = 'processing' AND lease_until IS NULL;
