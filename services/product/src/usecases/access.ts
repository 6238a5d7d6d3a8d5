// Finding a product for a use case, and whether the caller may see or change it: the lookups every catalog
// use case starts with.
import { assertMayChange, NotFound, type Principal, type Sql } from '@microbazaar/kit';
import { isVisibleTo, type ProductRecord } from '../domain/products.js';
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

/** Who is asking, found only when the answer depends on it (an archived product): null for nobody. */
export type Viewer = () => Promise<Principal | null>;

/** The product by id or slug as `viewer` may read it: an archived one is 404 to all but its seller and admins. */
export async function findVisible(sql: Sql, ref: string, viewer: Viewer): Promise<ProductRecord> {
  const product = await findProduct(sql, ref);
  if (product.status !== 'active' && !isVisibleTo(product, await viewer())) throw productNotFound();
  return product;
}
