// Recommendations: similar products (meaning and category), bought together (confirmed orders), for a
// customer (from their orders and cart), popular for a guest. Never archived, sold out or the product itself.
import type { Principal } from '@microbazaar/kit';
import { NotFound } from '@microbazaar/kit';
import type { CartClient } from '../adapters/cart.js';
import type { CallContext } from '../adapters/http.js';
import type { OrdersClient } from '../adapters/orders.js';
import { isBuyable, type ProductCard, toCard } from '../domain/catalog.js';
import type { IndexEntry } from '../domain/entry.js';
import { centroid, dot } from '../domain/vectors.js';
import type { PurchasesStore } from '../store/purchases.js';
import type { CatalogIndex } from './catalog-index.js';

export type RecommendationKind = 'similar' | 'bought_together' | 'personal' | 'popular';

export interface Recommendation {
  items: ProductCard[];
  kind: RecommendationKind;
}

export interface Recommendations {
  forProduct(productId: string, limit: number): Promise<Recommendation>;
  /** personal for a signed-in customer (popular when they have no history), popular for a guest */
  forCaller(principal: Principal | null, ctx: CallContext, limit: number): Promise<Recommendation>;
  similar(entry: IndexEntry, limit: number, exclude?: ReadonlySet<string>): ProductCard[];
  popular(limit: number, exclude?: ReadonlySet<string>): Promise<ProductCard[]>;
}

const SAME_CATEGORY_BONUS = 0.08;
const POPULAR_DAYS = 90;

export function createRecommendations(deps: {
  index: CatalogIndex;
  purchases: PurchasesStore;
  orders: OrdersClient;
  cart: CartClient;
}): Recommendations {
  const { index, purchases } = deps;

  /** Buyable products nearest to a vector, skipping `exclude`. */
  function nearest(
    vector: Float32Array,
    limit: number,
    exclude: ReadonlySet<string>,
    category?: string | null,
  ): Array<{ entry: IndexEntry; score: number }> {
    const scored: Array<{ entry: IndexEntry; score: number }> = [];
    const memo = new Map<Float32Array, number>();
    for (const entry of index.entries()) {
      if (!isBuyable(entry.item) || exclude.has(entry.item.id)) continue;
      let s = memo.get(entry.vector);
      if (s === undefined) {
        s = dot(vector, entry.vector);
        memo.set(entry.vector, s);
      }
      scored.push({ entry, score: s + (category && entry.item.category === category ? SAME_CATEGORY_BONUS : 0) });
    }
    return scored.sort((a, b) => b.score - a.score).slice(0, limit);
  }

  /** buyable products, newest first: sorted once per change of the catalog, not per guest's request */
  let newest: { version: number; entries: IndexEntry[] } | undefined;
  function newestBuyable(): IndexEntry[] {
    if (newest?.version !== index.version) {
      const entries = index
        .entries()
        .filter((e) => isBuyable(e.item))
        .sort((a, b) => b.item.createdAt.localeCompare(a.item.createdAt));
      newest = { version: index.version, entries };
    }
    return newest.entries;
  }

  function similar(entry: IndexEntry, limit: number, exclude: ReadonlySet<string> = new Set()): ProductCard[] {
    const skip = new Set([...exclude, entry.item.id]);
    return nearest(entry.vector, limit, skip, entry.item.category).map((r) =>
      toCard(r.entry.item, `similar to ${entry.item.name}`),
    );
  }

  async function popular(limit: number, exclude: ReadonlySet<string> = new Set()): Promise<ProductCard[]> {
    const out: ProductCard[] = [];
    const seen = new Set(exclude);
    for (const { id, orders } of await purchases.popular(limit * 3, POPULAR_DAYS)) {
      const entry = index.get(id);
      if (!entry || !isBuyable(entry.item) || seen.has(id)) continue;
      seen.add(id);
      out.push(toCard(entry.item, `bought in ${orders} order${orders === 1 ? '' : 's'} recently`));
      if (out.length >= limit) return out;
    }
    // too few sales yet: the newest products fill the list
    for (const e of newestBuyable()) {
      if (out.length >= limit) break;
      if (!seen.has(e.item.id)) out.push(toCard(e.item, 'new in the shop'));
    }
    return out;
  }

  return {
    similar,
    popular,
    async forProduct(productId, limit) {
      const entry = index.get(productId);
      if (!entry) throw new NotFound('Product not found', 'PRODUCT_NOT_FOUND');
      const together: ProductCard[] = [];
      const seen = new Set([productId]);
      for (const { id } of await purchases.boughtWith(productId, limit * 3)) {
        const other = index.get(id);
        if (!other || !isBuyable(other.item) || seen.has(id)) continue;
        seen.add(id);
        together.push(toCard(other.item, `often bought with ${entry.item.name}`));
        if (together.length >= limit) break;
      }
      if (together.length === 0) return { kind: 'similar', items: similar(entry, limit) };
      return { kind: 'bought_together', items: [...together, ...similar(entry, limit - together.length, seen)] };
    },
    async forCaller(principal, ctx, limit) {
      if (!principal) return { kind: 'popular', items: await popular(limit) };
      const [orders, cart] = await Promise.all([
        deps.orders.mine(ctx, 20).catch(() => []),
        deps.cart.productIds(ctx).catch(() => [] as string[]),
      ]);
      const owned = new Set([...orders.flatMap((o) => o.items.map((i) => i.productId)), ...cart]);
      const vectors = [...owned].map((id) => index.get(id)?.vector).filter((v): v is Float32Array => v !== undefined);
      const profile = centroid(vectors);
      if (!profile) return { kind: 'popular', items: await popular(limit) };
      const items = nearest(profile, limit, owned).map((r) => toCard(r.entry.item, 'based on your orders and cart'));
      return { kind: 'personal', items };
    },
  };
}
