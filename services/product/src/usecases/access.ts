// Finding a product for a use case, and who may change it: the lookups every catalog use case starts with.
import { assertMayChange, NotFound, type Principal, type Sql } from '@microbazaar/kit';
import type { ProductRecord } from '../domain/products.js';
import { productStore } from '../store/products.js';

export const productNotFound = () => new NotFound('Product not found', 'PRODUCT_NOT_FOUND');

/** The product by id or slug, archived ones included; 404 when there is none. */
export async function findProduct(sql: Sql, ref: string): Promise<ProductRecord> {
  const product = await productStore(sql).byRef(ref);
  if (!product) throw productNotFound();
  return product;
}

/** Locks the product and checks the caller may change it: 404, then 403. */
export async function lockOwned(tx: Sql, principal: Principal, ref: string) {
  const row = await productStore(tx).lock(ref);
  if (!row) throw productNotFound();
  assertMayChange(principal, row.sellerId);
  return row;
}

/** The product's seller or an admin. */
export function mayManage(principal: Principal | null, ownerId: string): boolean {
  return principal !== null && (principal.role === 'admin' || principal.userId === ownerId);
}
