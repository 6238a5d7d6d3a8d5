// SQL of what orders taught: products bought together, and how often each product sells.
import type { Sql } from '@microbazaar/kit';

/** At most this many lines of one order are paired (a 50-line order would be 2 450 pairs). */
const MAX_PAIRED_LINES = 20;

export function purchasesStore(sql: Sql) {
  return {
    /** Counts one confirmed order: each product's sales, and every pair of its products both ways. */
    async record(lines: ReadonlyArray<{ productId: string; quantity: number }>): Promise<void> {
      const byProduct = new Map<string, number>();
      for (const l of lines) byProduct.set(l.productId, (byProduct.get(l.productId) ?? 0) + l.quantity);
      const ids = [...byProduct.keys()];
      await sql.query(
        `INSERT INTO product_sales (product_id, orders, units, last_at)
         SELECT r.id, 1, r.units, now() FROM jsonb_to_recordset($1::jsonb) AS r(id uuid, units integer)
         ON CONFLICT (product_id) DO UPDATE SET orders = product_sales.orders + 1,
           units = product_sales.units + excluded.units, last_at = now()`,
        [JSON.stringify(ids.map((id) => ({ id, units: byProduct.get(id) })))],
      );
      const paired = ids.slice(0, MAX_PAIRED_LINES);
      const pairs: Array<{ a: string; b: string }> = [];
      for (const a of paired) for (const b of paired) if (a !== b) pairs.push({ a, b });
      if (pairs.length === 0) return;
      await sql.query(
        `INSERT INTO co_purchases (product_id, other_id, orders)
         SELECT r.a, r.b, 1 FROM jsonb_to_recordset($1::jsonb) AS r(a uuid, b uuid)
         ON CONFLICT (product_id, other_id) DO UPDATE SET orders = co_purchases.orders + 1`,
        [JSON.stringify(pairs)],
      );
    },

    /** Products most often bought with this one, most often first. */
    async boughtWith(productId: string, limit: number): Promise<Array<{ id: string; orders: number }>> {
      const rows = await sql.query<{ other_id: string; orders: number }>(
        'SELECT other_id, orders FROM co_purchases WHERE product_id = $1 ORDER BY orders DESC, other_id LIMIT $2',
        [productId, limit],
      );
      return rows.map((r) => ({ id: r.other_id, orders: r.orders }));
    },

    /** Best sellers of the last `days` days, by orders. */
    async popular(limit: number, days: number): Promise<Array<{ id: string; orders: number }>> {
      const rows = await sql.query<{ product_id: string; orders: number }>(
        `SELECT product_id, orders FROM product_sales
         WHERE last_at > now() - make_interval(days => $2::int)
         ORDER BY orders DESC, units DESC, product_id LIMIT $1`,
        [limit, days],
      );
      return rows.map((r) => ({ id: r.product_id, orders: r.orders }));
    },
  };
}

export type PurchasesStore = ReturnType<typeof purchasesStore>;
