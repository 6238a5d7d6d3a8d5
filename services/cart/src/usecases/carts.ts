// The cart use cases: lines priced from the read model, limits and stock checks, guest → user merge, events.
// PostgreSQL holds the record of every cart; the cache holds copies (read through, written through after each
// change), so a flushed or unreachable Redis loses nothing and costs only speed, and cached reads keep
// answering while PostgreSQL is unreachable.
import type { EventOf, ProductClient } from '@microbazaar/contracts';
import { Conflict, type Db, type HandlerContext, Invalid, NotFound, type Sql } from '@microbazaar/kit';
import {
  assertSellable,
  availableOf,
  type Cart,
  type CartRecord,
  checkQuantity,
  insufficientStock,
  type Limits,
  type LineOutcome,
  mergeCaps,
  mergeLines,
  type ProductView,
  presentCart,
  productView,
  putLine,
  type StoredLine,
  withoutLine,
  withoutOrdered,
} from '../domain/cart.js';
import type { GuardedCache } from '../store/cache.js';
import { cartRecords } from '../store/carts.js';
import { productRecords } from '../store/products.js';

/** Whose cart a request is about: a user's, or a guest's by its cart id. */
export interface Owner {
  /** record key: u:<userId> or g:<cartId> */
  key: string;
  id: string;
  userId: string | null;
  /** a guest cart id issued with this very request: no cart can exist under it yet */
  issuedNow?: boolean;
}

export const userOwner = (userId: string): Owner => ({ key: `u:${userId}`, id: userId, userId });
export const guestOwner = (cartId: string, issuedNow = false): Owner => ({
  key: `g:${cartId}`,
  id: cartId,
  userId: null,
  ...(issuedNow ? { issuedNow } : {}),
});

export interface CartsDeps {
  db: Db;
  cache: GuardedCache;
  catalog: ProductClient;
  limits: Limits;
  /** a guest cart untouched this long is gone */
  idleTtlMs: number;
  /** how long a copy stays in the cache after it was written */
  cacheTtlMs: number;
  now?: () => number;
}

export function createCarts({ db, cache, catalog, limits, idleTtlMs, cacheTtlMs, now = Date.now }: CartsDeps) {
  const carts = cartRecords(db);
  const products = productRecords(db);
  // a guest cart read now and then stays active; each read writing the record would undo the cache
  const touchEveryMs = Math.min(idleTtlMs / 10, 3_600_000);

  const expired = (owner: Owner, r: CartRecord) => owner.userId === null && r.activeAt + idleTtlMs <= now();
  const linesOf = (owner: Owner, r: CartRecord | undefined) => (r && !expired(owner, r) ? r.lines : []);
  /** a guest's copy lasts no longer than the cart; an empty one (no cart yet) not long at all */
  const ttlOf = (owner: Owner, r: CartRecord) => {
    const ttl = r.version === 0 ? Math.min(cacheTtlMs, 600_000) : cacheTtlMs;
    return owner.userId === null ? Math.min(ttl, r.activeAt + idleTtlMs - now()) : ttl;
  };
  const cacheCart = (owner: Owner, r: CartRecord) => cache.putCart(r, ttlOf(owner, r));

  /** The cart: the cached copy, else the record (then cached; a cart never recorded is cached as version 0). */
  async function current(owner: Owner, fromRecord = false): Promise<CartRecord> {
    const cached = fromRecord ? null : await cache.cart(owner.key);
    if (cached && cached.version >= 0) return cached;
    let record = await carts.find(owner.key);
    // a cart Redis kept before carts were recorded here: recorded on its first read after the upgrade
    if (!record && cached?.lines.length)
      record = (await carts.create(owner.key, owner.userId, cached.lines, now())) ?? (await carts.find(owner.key));
    record ??= { id: owner.key, version: 0, activeAt: now(), lines: [] };
    await cacheCart(owner, record);
    return record;
  }

  /** Marks an idle-expiring cart active, at most every touchEveryMs; best effort. */
  async function touch(owner: Owner, r: CartRecord): Promise<void> {
    if (owner.userId !== null || r.version === 0 || now() - r.activeAt < touchEveryMs) return;
    const at = now();
    if (await carts.touch(owner.key, r.version, at).catch(() => false)) await cacheCart(owner, { ...r, activeAt: at });
  }

  /**
   * Changes a cart: `decide` gets its lines and returns the new ones (or the same array: no change). The common
   * case is one statement: the record takes the lines only if nobody changed the cart since it was read (from
   * the cache, most often). When somebody did, or the copy was behind, it is decided again on the locked
   * record. The new version is then cached.
   */
  async function change(owner: Owner, decide: (lines: StoredLine[]) => StoredLine[]): Promise<StoredLine[]> {
    const r = await current(owner);
    const lines = linesOf(owner, r);
    const next = decide(lines);
    if (next === lines) return lines;
    const t = now();
    const saved =
      r.version === 0
        ? await carts.create(owner.key, owner.userId, next, t)
        : await carts.replace(owner.key, r.version, next, t);
    if (saved) {
      await cacheCart(owner, saved);
      return saved.lines;
    }
    const locked = await db.transaction(async (tx) => {
      const records = cartRecords(tx);
      await records.ensure(owner.key, owner.userId, now());
      const cur = (await records.lock([owner.key])).get(owner.key);
      const lines = linesOf(owner, cur);
      const next = decide(lines);
      return next === lines ? cur : records.save(owner.key, owner.userId, next, now());
    });
    if (!locked) return [];
    await cacheCart(owner, locked);
    return linesOf(owner, locked);
  }

  /** From the read model (cache, then record); a product it has never heard of is read once from the catalog. */
  async function productViews(ids: readonly string[], requestId?: string): Promise<Map<string, ProductView>> {
    const found = await cache.products(ids);
    let missing = ids.filter((id) => !found.has(id));
    if (missing.length) {
      const recorded = await products.find(missing);
      if (recorded.size) await cache.putProducts([...recorded.values()], cacheTtlMs);
      for (const [id, view] of recorded) found.set(id, view);
      missing = missing.filter((id) => !found.has(id));
    }
    if (missing.length) {
      const fetched = await Promise.all(missing.map((id) => catalog.product(id, requestId ? { requestId } : {})));
      for (const product of fetched) {
        if (!product) continue;
        // what we read now is at least as new as any event that occurred before now
        const view = productView(product, now());
        if (await products.put(view)) await cache.putProducts([view], cacheTtlMs);
        found.set(view.productId, view);
      }
    }
    return found;
  }

  async function present(owner: Owner, lines: readonly StoredLine[], requestId?: string): Promise<Cart> {
    const views = await productViews(
      lines.map((l) => l.productId),
      requestId,
    );
    return presentCart(owner, lines, views);
  }

  async function view(owner: Owner, requestId?: string): Promise<Cart> {
    if (owner.issuedNow) return presentCart(owner, [], new Map());
    const r = await current(owner);
    const lines = linesOf(owner, r);
    // not awaited: a read never waits on a write (nor on an unreachable database)
    if (lines.length) void touch(owner, r).catch(() => {});
    return present(owner, lines, requestId);
  }

  function refuse(outcome: Exclude<LineOutcome, { ok: true }>, product: ProductView): never {
    switch (outcome.problem) {
      case 'too_many_lines':
        throw new Conflict(`A cart holds at most ${limits.maxLines} different products`, 'CART_FULL');
      case 'above_limit':
        throw new Invalid(`At most ${limits.maxQuantity} of one product per cart (you have ${outcome.current})`, [
          { path: 'body/quantity', message: `total must be ≤ ${limits.maxQuantity}` },
        ]);
      case 'above_stock':
        throw insufficientStock(product);
      case 'absent':
        throw new NotFound('That product is not in the cart', 'LINE_NOT_FOUND');
    }
  }

  async function sellable(productId: string, requestId?: string): Promise<ProductView> {
    const product = (await productViews([productId], requestId)).get(productId);
    assertSellable(product, productId);
    return product;
  }

  async function putUnits(owner: Owner, productId: string, quantity: number, mode: 'add' | 'set', requestId?: string) {
    checkQuantity(quantity, limits);
    const product = await sellable(productId, requestId);
    const bounds = { ...limits, available: availableOf(product) };
    const lines = await change(owner, (lines) => {
      const outcome = putLine(lines, productId, quantity, mode, bounds, now());
      if (!outcome.ok) refuse(outcome, product);
      return outcome.lines;
    });
    return present(owner, lines, requestId);
  }

  /** Stores a product unless newer news of it is stored; the cache gets it once committed. */
  async function recordProduct(sql: Sql, view: ProductView, ctx: HandlerContext): Promise<boolean> {
    const stored = await productRecords(sql).put(view);
    if (stored) ctx.afterCommit(() => cache.putProducts([view], cacheTtlMs));
    return stored;
  }

  return {
    view,

    add: (owner: Owner, productId: string, quantity: number, requestId?: string): Promise<Cart> =>
      putUnits(owner, productId, quantity, 'add', requestId),

    change: (owner: Owner, productId: string, quantity: number, requestId?: string): Promise<Cart> =>
      putUnits(owner, productId, quantity, 'set', requestId),

    async remove(owner: Owner, productId: string, requestId?: string): Promise<Cart> {
      const lines = await change(owner, (lines) =>
        lines.some((l) => l.productId === productId) ? withoutLine(lines, productId) : lines,
      );
      return present(owner, lines, requestId);
    },

    async clear(owner: Owner): Promise<void> {
      if (owner.issuedNow) return;
      await change(owner, (lines) => (lines.length ? [] : lines));
    },

    /**
     * The guest cart's lines join the user's (quantities add, capped by stock and the limit) and the guest
     * cart is emptied, in one transaction on both records.
     */
    async merge(user: Owner, guestCartId: string, requestId?: string): Promise<Cart> {
      const guest = guestOwner(guestCartId);
      const guestLines = linesOf(guest, await current(guest, true));
      if (guestLines.length === 0) return view(user, requestId);
      const ids = guestLines.map((l) => l.productId);
      const caps = mergeCaps(ids, await productViews(ids, requestId), limits);
      const saved = await db.transaction(async (tx) => {
        await cartRecords(tx).ensure(user.key, user.userId, now());
        const locked = await cartRecords(tx).lock([guest.key, user.key]);
        const g = locked.get(guest.key);
        if (!g || expired(guest, g) || g.lines.length === 0) return [];
        const merged = mergeLines(locked.get(user.key)?.lines ?? [], g.lines, caps, limits.maxLines);
        const t = now();
        return [
          [user, await cartRecords(tx).save(user.key, user.userId, merged, t)],
          [guest, await cartRecords(tx).save(guest.key, null, [], t)],
        ] as const;
      });
      for (const [owner, record] of saved) await cacheCart(owner, record);
      const mine = saved.find(([owner]) => owner === user)?.[1];
      return mine ? present(user, mine.lines, requestId) : view(user, requestId);
    },

    // ---- events (in the inbox's transaction; the cache follows once it committed) ----

    productChanged(tx: Sql, event: EventOf<'product.created' | 'product.updated'>, ctx: HandlerContext) {
      const d = event.data;
      return recordProduct(
        tx,
        {
          productId: d.productId,
          name: d.name,
          price: d.price,
          stock: d.stock,
          status: d.status,
          sellerId: d.sellerId,
          slug: d.slug,
          version: Date.parse(event.occurredAt),
        },
        ctx,
      );
    },

    async productDeleted(tx: Sql, event: EventOf<'product.deleted'>, ctx: HandlerContext) {
      const d = event.data;
      const known = (await productRecords(tx).find([d.productId])).get(d.productId);
      return recordProduct(
        tx,
        {
          productId: d.productId,
          name: known?.name ?? 'Unavailable product',
          price: known?.price ?? { amount: 0, currency: 'USD' },
          stock: 0,
          status: 'deleted',
          sellerId: d.sellerId,
          slug: d.slug ?? known?.slug ?? d.productId,
          version: Date.parse(event.occurredAt),
        },
        ctx,
      );
    },

    /** The order is paid: what was ordered leaves the buyer's cart (the inbox makes it once per event). */
    async orderConfirmed(tx: Sql, event: EventOf<'order.confirmed'>, ctx: HandlerContext): Promise<boolean> {
      const owner = userOwner(event.data.userId);
      const r = (await cartRecords(tx).lock([owner.key])).get(owner.key);
      if (!r) return false;
      const lines = withoutOrdered(r.lines, event.data.items);
      const saved = await cartRecords(tx).save(owner.key, owner.userId, lines, now());
      ctx.afterCommit(() => cacheCart(owner, saved));
      return true;
    },

    /** Deletes guest carts idle past their time (their cached copies expire by themselves). */
    async expireIdleGuestCarts(batch = 1000): Promise<number> {
      let total = 0;
      for (;;) {
        const n = await carts.deleteIdleGuests(now() - idleTtlMs, batch);
        total += n;
        if (n < batch) return total;
      }
    },
  };
}

export type Carts = ReturnType<typeof createCarts>;
