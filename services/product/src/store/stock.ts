// SQL for stock levels. Every write keeps 0 <= reserved <= on_hand (the table's CHECK guards it too).
import type { Sql } from '@microbazaar/kit';
import type { SnapshotSource } from '../domain/products.js';
import type { StockLevel, StockLine } from '../domain/reservations.js';

/** A locked stock level with what a product.updated about it needs (available as locked). */
export interface LockedStock extends StockLevel {
  product: SnapshotSource;
}

const FEW_IDS = 16;

interface LockedStockRow extends StockLevel, Omit<SnapshotSource, 'available'> {}

export interface StockRow {
  productId: string;
  onHand: number;
  reserved: number;
  updatedAt: Date;
}

export function stockStore(sql: Sql) {
  async function levels(productIds: readonly string[], lock: string): Promise<LockedStock[]> {
    if (productIds.length === 0) return [];
    // a few ids as parameters of their own, not an array: the statement's cached generic plan then
    // fits every call with that many ids, instead of a fresh plan for each (orders have a few lines)
    const few = productIds.length <= FEW_IDS;
    const ids = few ? productIds.map((_, i) => `$${i + 1}::uuid`).join(', ') : 'SELECT unnest($1::uuid[])';
    const rows = await sql.query<LockedStockRow>(
      `SELECT s.product_id AS "productId", s.on_hand AS "onHand", s.reserved, p.status = 'active' AS "forSale",
              p.id, p.seller_id AS "sellerId", p.name, p.slug, p.category, p.price_amount AS "priceAmount",
              p.currency, p.status
         FROM stock s JOIN products p ON p.id = s.product_id
        WHERE s.product_id IN (${ids})
        ORDER BY s.product_id
        ${lock}`,
      few ? productIds : [productIds],
    );
    // the product as a snapshot shows it, next to the level: announcing a change needs no second read
    return rows.map(({ productId, onHand, reserved, forSale, ...product }) => ({
      productId,
      onHand,
      reserved,
      forSale,
      product: { ...product, priceAmount: Number(product.priceAmount), available: onHand - reserved },
    }));
  }

  return {
    async init(productId: string, onHand: number): Promise<void> {
      await sql.query('INSERT INTO stock (product_id, on_hand) VALUES ($1, $2)', [productId, onHand]);
    },

    async get(productId: string): Promise<StockRow | null> {
      const rows = await sql.query<StockRow>(
        `SELECT product_id AS "productId", on_hand AS "onHand", reserved, updated_at AS "updatedAt"
           FROM stock WHERE product_id = $1`,
        [productId],
      );
      return rows[0] ?? null;
    },

    /**
     * Sets the units on hand, never below what is reserved; null when that would be the case
     * (or there is no such row).
     */
    async setOnHand(productId: string, onHand: number): Promise<StockRow | null> {
      const rows = await sql.query<StockRow>(
        `UPDATE stock SET on_hand = $2, updated_at = now() WHERE product_id = $1 AND reserved <= $2
         RETURNING product_id AS "productId", on_hand AS "onHand", reserved, updated_at AS "updatedAt"`,
        [productId, onHand],
      );
      return rows[0] ?? null;
    },

    /**
     * Locks the stock rows of these products in id order (every writer locks in the same order,
     * so two orders never wait on each other in a circle) and reads their levels.
     */
    async lockLevels(productIds: readonly string[]): Promise<LockedStock[]> {
      return levels(productIds, 'FOR UPDATE OF s');
    },

    /** lockLevels without the lock: what a guarded write (reservationStore.holdIfUnchanged) checks against. */
    async readLevels(productIds: readonly string[]): Promise<LockedStock[]> {
      return levels(productIds, '');
    },

    /** reserved += quantity per line (negative quantities release). */
    async addReserved(lines: readonly StockLine[], sign: 1 | -1): Promise<void> {
      await applyDeltas(sql, lines, sign, 'reserved = s.reserved + v.q');
    },

    /** The units of a confirmed order leave: on_hand and reserved both drop. */
    async commitReserved(lines: readonly StockLine[]): Promise<void> {
      await applyDeltas(sql, lines, 1, 'on_hand = s.on_hand - v.q, reserved = s.reserved - v.q');
    },

    /** Units taken straight from on-hand stock (a confirmation after the reservation expired). */
    async takeOnHand(lines: readonly StockLine[]): Promise<void> {
      await applyDeltas(sql, lines, 1, 'on_hand = s.on_hand - v.q');
    },

    /** Units back on the shelf (a confirmed order cancelled before shipping). */
    async restock(lines: readonly StockLine[]): Promise<void> {
      await applyDeltas(sql, lines, 1, 'on_hand = s.on_hand + v.q');
    },
  };
}

async function applyDeltas(sql: Sql, lines: readonly StockLine[], sign: 1 | -1, set: string): Promise<void> {
  if (lines.length === 0) return;
  await sql.query(
    `UPDATE stock s SET ${set}, updated_at = now()
       FROM unnest($1::uuid[], $2::int[]) AS v(id, q)
      WHERE s.product_id = v.id`,
    [lines.map((l) => l.productId), lines.map((l) => sign * l.quantity)],
  );
}
