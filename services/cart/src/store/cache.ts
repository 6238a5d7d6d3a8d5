// The fast path in front of the record: copies of carts and product views in Redis (or this process's memory
// in embedded mode). A copy is written only over an older version, so a slow reader never puts back a cart
// older than one already cached; copies expire. The guarded cache never fails its caller: while Redis is
// unreachable, reads miss and writes are remembered, and those keys are dropped once it answers again.
import type { Logger, RedisCache } from '@microbazaar/kit';
import type { CartRecord, ProductView, StoredLine } from '../domain/cart.js';

export interface CartCache {
  readonly kind: 'redis' | 'memory';
  /**
   * The cached copy of a cart; null when none (throws when the cache cannot answer). Version -1: a cart kept
   * in Redis before carts were recorded in PostgreSQL (a hash productId → "quantity:addedAt"), to be recorded.
   */
  cart(id: string): Promise<CartRecord | null>;
  /** caches a copy for ttlMs unless a newer version is cached */
  putCart(record: CartRecord, ttlMs: number): Promise<void>;
  products(ids: readonly string[]): Promise<Map<string, ProductView>>;
  /** caches each view unless newer news of it is cached */
  putProducts(views: readonly ProductView[], ttlMs: number): Promise<void>;
  /** drops the copies of these carts and products */
  forget(keys: { carts: readonly string[]; products: readonly string[] }): Promise<void>;
  ping(): Promise<void>;
}

const cartKey = (id: string) => `c:${id}`;
const productKey = (id: string) => `p:${id}`;

type CompactLine = [productId: string, quantity: number, addedAt: number];
/** `{"v":…` first: the script reads the version without decoding the whole copy */
const encodeCart = (r: CartRecord) =>
  JSON.stringify({
    v: r.version,
    a: r.activeAt,
    l: r.lines.map((l): CompactLine => [l.productId, l.quantity, l.addedAt]),
  });
function decodeCart(id: string, raw: string): CartRecord {
  const { v, a, l } = JSON.parse(raw) as { v: number; a: number; l: CompactLine[] };
  return {
    id,
    version: v,
    activeAt: a,
    lines: l.map(([productId, quantity, addedAt]): StoredLine => ({ productId, quantity, addedAt })),
  };
}

/** A cart as the service kept it in Redis before PostgreSQL: productId → "quantity:addedAt". */
function legacyCart(id: string, hash: Record<string, string>): CartRecord {
  const lines = Object.entries(hash).map(([productId, value]): StoredLine => {
    const [quantity, addedAt] = value.split(':');
    return { productId, quantity: Number(quantity), addedAt: Number(addedAt) };
  });
  return { id, version: -1, activeAt: Date.now(), lines: lines.filter((l) => l.quantity > 0) };
}

// KEYS[1] cart copy; ARGV version, copy, ttlMs. An equal version is the same cart (a read that marked it active);
// a cart of the old hash shape is replaced (it was read, and so recorded, before any change is cached).
const PUT_CART = `
if redis.call('TYPE', KEYS[1]).ok == 'string' then
  local v = tonumber(string.match(redis.call('GET', KEYS[1]), '^{"v":(%d+)'))
  if v and v > tonumber(ARGV[1]) then return 0 end
end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 1`;

// KEYS[1] product view; ARGV version, json, ttlMs
const PUT_PRODUCT = `
local v = redis.call('HGET', KEYS[1], 'v')
if v and tonumber(v) > tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'v', ARGV[1], 'd', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1`;

type Scripted = RedisCache['client'] & {
  cartPutCart(key: string, version: number, copy: string, ttlMs: number): Promise<number>;
  cartPutProduct(key: string, version: number, json: string, ttlMs: number): Promise<number>;
};

/** Copies in Redis through the kit's client (its key prefix, fail-fast timeouts, reconnects). */
export function redisCartCache(cache: RedisCache): CartCache {
  const client = cache.client as Scripted;
  client.defineCommand('cartPutCart', { numberOfKeys: 1, lua: PUT_CART });
  client.defineCommand('cartPutProduct', { numberOfKeys: 1, lua: PUT_PRODUCT });
  // commands sent before the first connection settles would fail at once (no offline queue): wait for it
  const firstAttempt = cache.ping().catch(() => {});
  const run = async <T>(fn: () => Promise<T>): Promise<T> => {
    await firstAttempt;
    return fn();
  };
  return {
    kind: 'redis',
    async cart(id) {
      let raw: string | null;
      try {
        raw = await run(() => client.get(cartKey(id)));
      } catch (err) {
        if (!String((err as Error).message).startsWith('WRONGTYPE')) throw err;
        return legacyCart(id, await client.hgetall(cartKey(id)));
      }
      return raw === null ? null : decodeCart(id, raw);
    },
    async putCart(record, ttlMs) {
      const px = Math.max(1, Math.round(ttlMs));
      await run(() => client.cartPutCart(cartKey(record.id), record.version, encodeCart(record), px));
    },
    async products(ids) {
      const found = new Map<string, ProductView>();
      if (ids.length === 0) return found;
      const pipeline = client.pipeline();
      for (const id of ids) pipeline.hget(productKey(id), 'd');
      const results = (await run(() => pipeline.exec())) ?? [];
      results.forEach(([err, value], i) => {
        if (err) throw err;
        if (typeof value === 'string') found.set(ids[i] as string, JSON.parse(value) as ProductView);
      });
      return found;
    },
    async putProducts(views, ttlMs) {
      if (views.length === 0) return;
      const pipeline = client.pipeline() as ReturnType<Scripted['pipeline']> & {
        cartPutProduct(key: string, version: number, json: string, ttlMs: number): unknown;
      };
      const px = Math.max(1, Math.round(ttlMs));
      for (const v of views) pipeline.cartPutProduct(productKey(v.productId), v.version, JSON.stringify(v), px);
      const results = (await run(() => pipeline.exec())) ?? [];
      for (const [err] of results) if (err) throw err;
    },
    async forget({ carts, products }) {
      const keys = [...carts.map(cartKey), ...products.map(productKey)];
      if (keys.length) await run(() => client.del(...keys));
    },
    ping: () => cache.ping(),
  };
}

/** The same copies in this process's memory (embedded mode: one process, PGlite behind it). */
export function memoryCartCache(now: () => number = Date.now): CartCache {
  const carts = new Map<string, { record: CartRecord; expiresAt: number }>();
  const products = new Map<string, { view: ProductView; expiresAt: number }>();
  const live = <T extends { expiresAt: number }>(map: Map<string, T>, key: string) => {
    const entry = map.get(key);
    if (entry && entry.expiresAt <= now()) map.delete(key);
    return entry && entry.expiresAt > now() ? entry : undefined;
  };
  const sweep = setInterval(() => {
    for (const map of [carts, products] as Map<string, { expiresAt: number }>[])
      for (const [k, e] of map) if (e.expiresAt <= now()) map.delete(k);
  }, 60_000);
  sweep.unref();
  const copy = (r: CartRecord): CartRecord => ({ ...r, lines: r.lines.map((l) => ({ ...l })) });
  return {
    kind: 'memory',
    async cart(id) {
      const entry = live(carts, id);
      return entry ? copy(entry.record) : null;
    },
    async putCart(record, ttlMs) {
      const cur = live(carts, record.id);
      if (cur && cur.record.version > record.version) return;
      carts.set(record.id, { record: copy(record), expiresAt: now() + ttlMs });
    },
    async products(ids) {
      const found = new Map<string, ProductView>();
      for (const id of ids) {
        const entry = live(products, id);
        if (entry) found.set(id, { ...entry.view });
      }
      return found;
    },
    async putProducts(views, ttlMs) {
      for (const view of views) {
        const cur = live(products, view.productId);
        if (cur && cur.view.version > view.version) continue;
        products.set(view.productId, { view: { ...view }, expiresAt: now() + ttlMs });
      }
    },
    async forget(keys) {
      for (const id of keys.carts) carts.delete(id);
      for (const id of keys.products) products.delete(id);
    },
    async ping() {},
  };
}

/** What the use cases see of the cache: it never fails them (a failure is a miss, or a copy to drop later). */
export interface GuardedCache {
  cart(id: string): Promise<CartRecord | null>;
  putCart(record: CartRecord, ttlMs: number): Promise<void>;
  products(ids: readonly string[]): Promise<Map<string, ProductView>>;
  putProducts(views: readonly ProductView[], ttlMs: number): Promise<void>;
  /** drops the copies that could not be written while the cache was unreachable; true when none is left */
  repair(): Promise<boolean>;
}

/**
 * After a failure the cache is left alone for `pauseMs` (no request waits on a dead Redis twice), and every
 * copy that could not be written is remembered: it is never read until repair() has dropped it, so a
 * cached copy older than the record is not served after Redis returns (from this instance; other instances
 * drop theirs, and copies expire).
 */
export function guardCache(
  cache: CartCache,
  logger: Logger,
  pauseMs = 1000,
  now: () => number = Date.now,
): GuardedCache {
  let pausedUntil = 0;
  const staleCarts = new Set<string>();
  const staleProducts = new Set<string>();
  const usable = () => now() >= pausedUntil;
  const failed = (err: unknown) => {
    if (usable())
      logger.warn({ err: (err as Error).message }, 'cart cache unreachable: carts read and written in PostgreSQL');
    pausedUntil = now() + pauseMs;
  };
  return {
    async cart(id) {
      if (!usable() || staleCarts.has(id)) return null;
      try {
        return await cache.cart(id);
      } catch (err) {
        failed(err);
        return null;
      }
    },
    async putCart(record, ttlMs) {
      if (usable() && !staleCarts.has(record.id)) {
        try {
          return await cache.putCart(record, ttlMs);
        } catch (err) {
          failed(err);
        }
      }
      staleCarts.add(record.id);
    },
    async products(ids) {
      const wanted = ids.filter((id) => !staleProducts.has(id));
      if (!usable() || wanted.length === 0) return new Map();
      try {
        return await cache.products(wanted);
      } catch (err) {
        failed(err);
        return new Map();
      }
    },
    async putProducts(views, ttlMs) {
      // a product whose copy could not be written stays out of the cache until repair() dropped that copy
      const fresh = views.filter((v) => !staleProducts.has(v.productId));
      if (fresh.length === 0) return;
      if (usable()) {
        try {
          return await cache.putProducts(fresh, ttlMs);
        } catch (err) {
          failed(err);
        }
      }
      for (const v of fresh) staleProducts.add(v.productId);
    },
    async repair() {
      if (staleCarts.size === 0 && staleProducts.size === 0) return true;
      if (!usable()) return false;
      const carts = [...staleCarts];
      const products = [...staleProducts];
      try {
        await cache.forget({ carts, products });
      } catch (err) {
        failed(err);
        return false;
      }
      for (const id of carts) staleCarts.delete(id);
      for (const id of products) staleProducts.delete(id);
      logger.info({ carts: carts.length, products: products.length }, 'cart cache: stale copies dropped');
      return staleCarts.size === 0 && staleProducts.size === 0;
    },
  };
}
