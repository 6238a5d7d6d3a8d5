// The product read model in the cart service's schema: the newest news of each product wins.
import type { Sql } from '@microbazaar/kit';
import type { ProductView } from '../domain/cart.js';

interface ProductRow {
  product_id: string;
  name: string;
  price_amount: number | string;
  price_currency: string;
  stock: number;
  status: string;
  seller_id: string;
  slug: string;
  version: number | string;
}

const toView = (r: ProductRow): ProductView => ({
  productId: r.product_id,
  name: r.name,
  price: { amount: Number(r.price_amount), currency: r.price_currency },
  stock: Number(r.stock),
  status: r.status,
  sellerId: r.seller_id,
  slug: r.slug,
  version: Number(r.version),
});

export function productRecords(sql: Sql) {
  return {
    async find(ids: readonly string[]): Promise<Map<string, ProductView>> {
      if (ids.length === 0) return new Map();
      const rows = await sql.query<ProductRow>(`SELECT * FROM products WHERE product_id = ANY($1::uuid[])`, [ids]);
      return new Map(rows.map((r) => [r.product_id, toView(r)]));
    },

    /** Stores a product unless newer news of it is already stored; true when stored. */
    async put(view: ProductView): Promise<boolean> {
      const rows = await sql.query(
        `INSERT INTO products (product_id, name, price_amount, price_currency, stock, status, seller_id, slug, version)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         ON CONFLICT (product_id) DO UPDATE SET name = excluded.name, price_amount = excluded.price_amount,
           price_currency = excluded.price_currency, stock = excluded.stock, status = excluded.status,
           seller_id = excluded.seller_id, slug = excluded.slug, version = excluded.version
         WHERE products.version <= excluded.version
         RETURNING 1`,
        [
          view.productId,
          view.name,
          view.price.amount,
          view.price.currency,
          view.stock,
          view.status,
          view.sellerId,
          view.slug,
          view.version,
        ],
      );
      return rows.length > 0;
    },
  };
}
