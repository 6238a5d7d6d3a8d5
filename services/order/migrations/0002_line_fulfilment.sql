-- Each line is shipped and delivered by its own seller (issue 14.10): lines carry their fulfilment
-- (unshipped | shipped | delivered), and the order's status follows from them. Lines written before
-- take their order's: a shipped order's lines were shipped, a delivered or refunded one's delivered.
UPDATE orders SET items = (
  SELECT jsonb_agg(
           line || jsonb_build_object('fulfilment', CASE
             WHEN orders.status = 'shipped' THEN 'shipped'
             WHEN orders.status IN ('delivered', 'refunded') THEN 'delivered'
             ELSE 'unshipped' END)
           ORDER BY n)
    FROM jsonb_array_elements(orders.items) WITH ORDINALITY AS l(line, n)
)
WHERE jsonb_typeof(items) = 'array' AND jsonb_array_length(items) > 0
  AND NOT (items -> 0 ? 'fulfilment');
