-- Old inbox rows are pruned per consumer by age (kit inbox retention).
CREATE INDEX IF NOT EXISTS inbox_handled_idx ON inbox (consumer, handled_at);
