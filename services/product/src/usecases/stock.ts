// Stock levels as the shop shows them (available to anyone, on hand and reserved to the seller) and as
// the seller sets them (never below what open orders reserved).
import { Conflict, type Db, type Principal, type Sql } from '@microbazaar/kit';
import { mayManage, type ProductRecord, snapshotOf } from '../domain/products.js';
import type { ProductEvents } from '../events/publish.js';
import { type StockRow, stockStore } from '../store/stock.js';
import { findProduct, findVisible, lockOwned } from './access.js';

export interface StockView {
  productId: string;
  available: number;
  /** owner and admin only */
  onHand?: number;
  reserved?: number;
  updatedAt: string;
}

async function stockView(sql: Sql, product: ProductRecord, principal: Principal | null): Promise<StockView> {
  const row: StockRow | null = await stockStore(sql).get(product.id);
  const onHand = row?.onHand ?? 0;
  const reserved = row?.reserved ?? 0;
  return {
    productId: product.id,
    available: Math.max(0, onHand - reserved),
    ...(mayManage(principal, product.sellerId) ? { onHand, reserved } : {}),
    updatedAt: (row?.updatedAt ?? product.updatedAt).toISOString(),
  };
}

export function createStock(deps: { db: Db; events: ProductEvents }) {
  const { db, events } = deps;
  return {
    async get(principal: Principal | null, ref: string): Promise<StockView> {
      const product = await findVisible(db, ref, async () => principal);
      return stockView(db, product, principal);
    },

    /** Sets the units on hand; never below what open orders have reserved (409). */
    async set(principal: Principal, ref: string, quantity: number): Promise<StockView> {
      return db.transaction(async (tx) => {
        const row = await lockOwned(tx, principal, ref);
        const stock = stockStore(tx);
        const updated = await stock.setOnHand(row.id, quantity);
        if (!updated) {
          const current = await stock.get(row.id);
          if (!current) {
            await stock.init(row.id, quantity);
          } else {
            throw new Conflict(
              `Open orders have reserved ${current.reserved} units; on-hand stock cannot go below that`,
              'STOCK_BELOW_RESERVED',
            );
          }
        }
        const product = await findProduct(tx, row.id);
        await events.productUpdated(tx, snapshotOf(product, ['stock']));
        return stockView(tx, product, principal);
      });
    },
  };
}

export type StockLevels = ReturnType<typeof createStock>;
