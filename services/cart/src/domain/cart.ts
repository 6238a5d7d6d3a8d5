// Carts as the shopper sees them: lines priced and checked against the product read model, limits, merging.
import type { Money, ProductSummary } from '@microbazaar/contracts';
import { Conflict, Invalid, NotFound } from '@microbazaar/kit';

/** What the cart knows of a product, from product.* events (or one catalog read on first sight). */
export interface ProductView {
  productId: string;
  name: string;
  price: Money;
  /** units available now (on hand − reserved) */
  stock: number;
  /** active, archived, deleted... */
  status: string;
  sellerId: string;
  slug: string;
  /** ms timestamp of the news it comes from: older news never overwrites newer */
  version: number;
}

export interface StoredLine {
  productId: string;
  quantity: number;
  /** ms since epoch when the line first entered the cart (the display order) */
  addedAt: number;
}

/** A cart as recorded: its lines, the version of its last change and when it was last active. */
export interface CartRecord {
  /** u:<userId> or g:<guest cart id> */
  id: string;
  /** grows with every change (0: no cart recorded) */
  version: number;
  /** ms since epoch of the last change (or a read now and then) */
  activeAt: number;
  lines: StoredLine[];
}

export interface LineBounds extends Limits {
  /** units available now */
  available: number;
}

export type LineProblem = 'too_many_lines' | 'above_limit' | 'above_stock' | 'absent';
export type LineOutcome =
  | { ok: true; quantity: number; lines: StoredLine[] }
  | { ok: false; problem: LineProblem; current: number };

export interface CartLine {
  productId: string;
  name: string;
  unitPrice: Money;
  quantity: number;
  /** units of it that can be bought now (0 when the product is gone) */
  available: number;
}

export interface Cart {
  id: string;
  userId: string | null;
  items: CartLine[];
  subtotal: Money;
}

export interface Limits {
  maxLines: number;
  maxQuantity: number;
}

/** The read model's view of a product the catalog answered about, as new as `version` (a ms timestamp). */
export function productView(p: ProductSummary, version: number): ProductView {
  return {
    productId: p.id,
    name: p.name,
    price: p.price,
    stock: p.stock ?? 0,
    status: p.status ?? 'active',
    sellerId: p.sellerId,
    slug: p.slug ?? p.id,
    version,
  };
}

export function isSellable(p: ProductView): boolean {
  return p.status === 'active';
}

export function availableOf(p: ProductView | undefined): number {
  return p && isSellable(p) ? Math.max(0, p.stock) : 0;
}

/** The cart with current names, prices and availability; lines in the order they were added. */
export function presentCart(
  owner: { id: string; userId: string | null },
  lines: readonly StoredLine[],
  products: ReadonlyMap<string, ProductView>,
): Cart {
  const items: CartLine[] = [...lines]
    .sort((a, b) => a.addedAt - b.addedAt || (a.productId < b.productId ? -1 : 1))
    .map((line) => {
      const p = products.get(line.productId);
      return {
        productId: line.productId,
        name: p?.name ?? 'Unavailable product',
        unitPrice: p?.price ?? { amount: 0, currency: 'USD' },
        quantity: line.quantity,
        available: availableOf(p),
      };
    });
  const currency = items[0]?.unitPrice.currency ?? 'USD';
  const amount = items
    .filter((i) => i.unitPrice.currency === currency)
    .reduce((sum, i) => sum + i.unitPrice.amount * i.quantity, 0);
  return { id: owner.id, userId: owner.userId, items, subtotal: { amount, currency } };
}

/** A quantity ≤ 0 or above the per-product limit is a 400. */
export function checkQuantity(quantity: number, limits: Limits): void {
  if (!Number.isInteger(quantity) || quantity <= 0) {
    throw new Invalid('Quantity must be a positive whole number', [{ path: 'body/quantity', message: 'must be ≥ 1' }]);
  }
  if (quantity > limits.maxQuantity) {
    throw new Invalid(`At most ${limits.maxQuantity} of one product per cart`, [
      { path: 'body/quantity', message: `must be ≤ ${limits.maxQuantity}` },
    ]);
  }
}

/** More in the cart than is available now (409). */
export function insufficientStock(product: ProductView): Conflict {
  const available = availableOf(product);
  return new Conflict(
    available === 0 ? `${product.name} is out of stock` : `Only ${available} of ${product.name} available`,
    'INSUFFICIENT_STOCK',
    [{ path: 'body/quantity', message: `available: ${available}`, available }],
  );
}

export function assertSellable(product: ProductView | undefined, productId: string): asserts product is ProductView {
  if (!product || product.status === 'deleted')
    throw new NotFound(`Product ${productId} not found`, 'PRODUCT_NOT_FOUND');
  if (!isSellable(product)) throw new Conflict(`${product.name} is no longer sold`, 'PRODUCT_UNAVAILABLE');
}

/**
 * Adds units to a line (creating it, `add`) or sets the quantity of a line already there (`set`), refusing a
 * result above the bounds; the lines after it when it is allowed.
 */
export function putLine(
  lines: readonly StoredLine[],
  productId: string,
  quantity: number,
  mode: 'add' | 'set',
  bounds: LineBounds,
  now: number,
): LineOutcome {
  const existing = lines.find((l) => l.productId === productId);
  if (!existing && mode === 'set') return { ok: false, problem: 'absent', current: 0 };
  if (!existing && lines.length >= bounds.maxLines) return { ok: false, problem: 'too_many_lines', current: 0 };
  const current = existing?.quantity ?? 0;
  const n = mode === 'add' ? current + quantity : quantity;
  if (n > bounds.maxQuantity) return { ok: false, problem: 'above_limit', current };
  if (n > bounds.available) return { ok: false, problem: 'above_stock', current };
  const line = { productId, quantity: n, addedAt: existing?.addedAt ?? now };
  return {
    ok: true,
    quantity: n,
    lines: existing ? lines.map((l) => (l === existing ? line : l)) : [...lines, line],
  };
}

/** The lines without a product's line. */
export function withoutLine(lines: readonly StoredLine[], productId: string): StoredLine[] {
  return lines.filter((l) => l.productId !== productId);
}

/** The lines after an order took its units out (a line ordered whole, or more, is gone). */
export function withoutOrdered(
  lines: readonly StoredLine[],
  ordered: ReadonlyArray<{ productId: string; quantity: number }>,
): StoredLine[] {
  const taken = new Map<string, number>();
  for (const o of ordered) taken.set(o.productId, (taken.get(o.productId) ?? 0) + o.quantity);
  return lines
    .map((l) => ({ ...l, quantity: l.quantity - (taken.get(l.productId) ?? 0) }))
    .filter((l) => l.quantity > 0);
}

/** Merge caps: a product the guest had may reach min(stock, max quantity) in the user's cart. */
export function mergeCaps(
  productIds: readonly string[],
  products: ReadonlyMap<string, ProductView>,
  limits: Limits,
): Map<string, number> {
  return new Map(productIds.map((id) => [id, Math.min(availableOf(products.get(id)), limits.maxQuantity)]));
}

/** Adds the guest's lines to the user's: quantities add, capped, never lowering what the user had. */
export function mergeLines(
  user: readonly StoredLine[],
  guest: readonly StoredLine[],
  caps: ReadonlyMap<string, number>,
  maxLines: number,
): StoredLine[] {
  const merged = new Map(user.map((l) => [l.productId, { ...l }]));
  for (const g of [...guest].sort((a, b) => a.addedAt - b.addedAt)) {
    const mine = merged.get(g.productId);
    const cap = caps.get(g.productId) ?? 0;
    if (mine) {
      mine.quantity = Math.max(mine.quantity, Math.min(mine.quantity + g.quantity, cap));
    } else if (merged.size < maxLines) {
      const quantity = Math.min(g.quantity, cap);
      if (quantity > 0) merged.set(g.productId, { productId: g.productId, quantity, addedAt: g.addedAt });
    }
  }
  return [...merged.values()];
}
