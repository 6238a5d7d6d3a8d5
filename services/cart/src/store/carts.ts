// Where carts and the product read model live: Redis (each change one atomic script) or process memory
// (embedded mode, same rules). A cart is a hash productId → "quantity:addedAt" that expires when idle.
import type { RedisCache } from '@microbazaar/kit';
import { Unavailable } from '@microbazaar/kit';
import { mergeLines, type ProductView, type StoredLine } from '../domain/cart.js';

export type LineProblem = 'too_many_lines' | 'above_limit' | 'above_stock' | 'absent';
export type LineOutcome = { ok: true; quantity: number } | { ok: false; problem: LineProblem; current: number };

export interface LineBounds {
  maxLines: number;
  maxQuantity: number;
  /** units available now */
  available: number;
}

export interface CartStore {
  readonly kind: 'redis' | 'memory';
  /** The lines of a cart (none when it never existed or expired); reading counts as activity. */
  lines(cart: string): Promise<StoredLine[]>;
  /** Adds units to a line (creating it), refusing a result above the bounds. */
  add(cart: string, productId: string, quantity: number, bounds: LineBounds): Promise<LineOutcome>;
  /** Sets the quantity of an existing line. */
  change(cart: string, productId: string, quantity: number, bounds: LineBounds): Promise<LineOutcome>;
  remove(cart: string, productId: string): Promise<void>;
  clear(cart: string): Promise<void>;
  /** Moves a cart's lines into another (quantities add up to `caps`) and deletes it, atomically. */
  merge(from: string, into: string, caps: ReadonlyMap<string, number>, maxLines: number): Promise<void>;
  /** Takes ordered units out of a cart once per event id; false when that event was applied before. */
  removeOrdered(
    cart: string,
    eventId: string,
    lines: ReadonlyArray<{ productId: string; quantity: number }>,
  ): Promise<boolean>;
  products(ids: readonly string[]): Promise<Map<string, ProductView>>;
  /** Stores a product unless newer news of it is already stored; true when stored. */
  putProduct(view: ProductView): Promise<boolean>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

const SEEN_TTL_MS = 7 * 86_400_000;
const cartKey = (cart: string) => `c:${cart}`;
const productKey = (id: string) => `p:${id}`;
const seenKey = (eventId: string) => `seen:${eventId}`;

function parseLine(productId: string, value: string): StoredLine {
  const [quantity, addedAt] = value.split(':');
  return { productId, quantity: Number(quantity), addedAt: Number(addedAt) };
}

// ---- Redis ----

// KEYS[1] cart; ARGV productId, quantity, maxQuantity, maxLines, available, now, ttlMs, mode (add|set)
const LINE = `
local cur = redis.call('HGET', KEYS[1], ARGV[1])
local q, t = 0, ARGV[6]
if cur then
  local a, b = string.match(cur, '^(%d+):(%d+)$')
  q = tonumber(a); t = b
elseif ARGV[8] == 'set' then
  return {-4, 0}
elseif redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[4]) then
  return {-1, 0}
end
local n = tonumber(ARGV[2])
if ARGV[8] == 'add' then n = q + n end
if n > tonumber(ARGV[3]) then return {-2, q} end
if n > tonumber(ARGV[5]) then return {-3, q} end
redis.call('HSET', KEYS[1], ARGV[1], n .. ':' .. t)
redis.call('PEXPIRE', KEYS[1], ARGV[7])
return {n, q}`;

// KEYS[1] guest cart, KEYS[2] user cart; ARGV maxLines, ttlMs, then productId, cap pairs
const MERGE = `
local guest = redis.call('HGETALL', KEYS[1])
if #guest == 0 then return 0 end
local caps = {}
for i = 3, #ARGV, 2 do caps[ARGV[i]] = tonumber(ARGV[i + 1]) end
local entries = {}
for i = 1, #guest, 2 do
  local a, b = string.match(guest[i + 1], '^(%d+):(%d+)$')
  table.insert(entries, {guest[i], tonumber(a), b})
end
table.sort(entries, function(x, y) return tonumber(x[3]) < tonumber(y[3]) end)
local lines = redis.call('HLEN', KEYS[2])
for _, e in ipairs(entries) do
  local pid, gq, gt = e[1], e[2], e[3]
  local cap = caps[pid] or 0
  local cur = redis.call('HGET', KEYS[2], pid)
  if cur then
    local a, b = string.match(cur, '^(%d+):(%d+)$')
    local uq = tonumber(a)
    local n = math.max(uq, math.min(uq + gq, cap))
    redis.call('HSET', KEYS[2], pid, n .. ':' .. b)
  elseif lines < tonumber(ARGV[1]) then
    local n = math.min(gq, cap)
    if n > 0 then
      redis.call('HSET', KEYS[2], pid, n .. ':' .. gt)
      lines = lines + 1
    end
  end
end
redis.call('DEL', KEYS[1])
if lines > 0 then redis.call('PEXPIRE', KEYS[2], ARGV[2]) end
return 1`;

// KEYS[1] cart, KEYS[2] seen marker; ARGV seenTtlMs, then productId, quantity pairs
const REMOVE_ORDERED = `
if not redis.call('SET', KEYS[2], '1', 'NX', 'PX', ARGV[1]) then return 0 end
for i = 2, #ARGV, 2 do
  local cur = redis.call('HGET', KEYS[1], ARGV[i])
  if cur then
    local a, b = string.match(cur, '^(%d+):(%d+)$')
    local n = tonumber(a) - tonumber(ARGV[i + 1])
    if n > 0 then redis.call('HSET', KEYS[1], ARGV[i], n .. ':' .. b) else redis.call('HDEL', KEYS[1], ARGV[i]) end
  end
end
return 1`;

// KEYS[1] product; ARGV version, json
const PUT_PRODUCT = `
local v = redis.call('HGET', KEYS[1], 'v')
if v and tonumber(v) > tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'v', ARGV[1], 'd', ARGV[2])
return 1`;

type Scripted = RedisCache['client'] & {
  cartLine(key: string, ...args: (string | number)[]): Promise<[number, number]>;
  cartMerge(from: string, into: string, ...args: (string | number)[]): Promise<number>;
  cartRemoveOrdered(key: string, seen: string, ...args: (string | number)[]): Promise<number>;
  cartPutProduct(key: string, version: number, json: string): Promise<number>;
};

const PROBLEMS: Record<number, LineProblem> = {
  [-1]: 'too_many_lines',
  [-2]: 'above_limit',
  [-3]: 'above_stock',
  [-4]: 'absent',
};

/** Carts in Redis through the kit's client (its key prefix, fail-fast timeouts, reconnects). */
export function redisCartStore(cache: RedisCache, opts: { idleTtlMs: number }): CartStore {
  const client = cache.client as Scripted;
  client.defineCommand('cartLine', { numberOfKeys: 1, lua: LINE });
  client.defineCommand('cartMerge', { numberOfKeys: 2, lua: MERGE });
  client.defineCommand('cartRemoveOrdered', { numberOfKeys: 2, lua: REMOVE_ORDERED });
  client.defineCommand('cartPutProduct', { numberOfKeys: 1, lua: PUT_PRODUCT });

  // commands sent before the first connection settles would fail at once (no offline queue): wait for it
  const firstAttempt = cache.ping().catch(() => {});
  const run = async <T>(fn: () => Promise<T>): Promise<T> => {
    try {
      await firstAttempt;
      return await fn();
    } catch (err) {
      throw new Unavailable('The cart store is unavailable, try again shortly', 'CART_STORE_UNAVAILABLE', err);
    }
  };

  const line = (mode: 'add' | 'set') => async (cart: string, productId: string, quantity: number, b: LineBounds) => {
    const [n, current] = await run(() =>
      client.cartLine(
        cartKey(cart),
        productId,
        quantity,
        b.maxQuantity,
        b.maxLines,
        b.available,
        Date.now(),
        opts.idleTtlMs,
        mode,
      ),
    );
    return n >= 0
      ? { ok: true as const, quantity: n }
      : { ok: false as const, problem: PROBLEMS[n] as LineProblem, current };
  };

  return {
    kind: 'redis',
    async lines(cart) {
      const [[, raw]] = (await run(() =>
        client.multi().hgetall(cartKey(cart)).pexpire(cartKey(cart), opts.idleTtlMs).exec(),
      )) as [[unknown, Record<string, string>]];
      return Object.entries(raw ?? {}).map(([productId, value]) => parseLine(productId, value));
    },
    add: line('add'),
    change: line('set'),
    async remove(cart, productId) {
      await run(() => client.hdel(cartKey(cart), productId));
    },
    async clear(cart) {
      await run(() => client.del(cartKey(cart)));
    },
    async merge(from, into, caps, maxLines) {
      const args = [...caps].flat();
      await run(() => client.cartMerge(cartKey(from), cartKey(into), maxLines, opts.idleTtlMs, ...args));
    },
    async removeOrdered(cart, eventId, lines) {
      const args = lines.flatMap((l) => [l.productId, l.quantity]);
      return (await run(() => client.cartRemoveOrdered(cartKey(cart), seenKey(eventId), SEEN_TTL_MS, ...args))) === 1;
    },
    async products(ids) {
      const found = new Map<string, ProductView>();
      if (ids.length === 0) return found;
      const pipeline = client.pipeline();
      for (const id of ids) pipeline.hget(productKey(id), 'd');
      const results = (await run(() => pipeline.exec())) ?? [];
      results.forEach(([err, value], i) => {
        if (err)
          throw new Unavailable('The cart store is unavailable, try again shortly', 'CART_STORE_UNAVAILABLE', err);
        if (typeof value === 'string') found.set(ids[i] as string, JSON.parse(value) as ProductView);
      });
      return found;
    },
    async putProduct(view) {
      return (
        (await run(() => client.cartPutProduct(productKey(view.productId), view.version, JSON.stringify(view)))) === 1
      );
    },
    ping: () => cache.ping(),
    // the cache is its opener's to close (the runner, a test)
    async close() {},
  };
}

// ---- memory ----

/** The same store in process memory: one Node process only (embedded mode, unit tests). */
export function memoryCartStore(opts: { idleTtlMs: number; now?: () => number }): CartStore {
  const now = opts.now ?? Date.now;
  const carts = new Map<string, { lines: Map<string, StoredLine>; expiresAt: number }>();
  const products = new Map<string, ProductView>();
  const seen = new Map<string, number>();
  const sweeper = setInterval(() => {
    const t = now();
    for (const [k, c] of carts) if (c.expiresAt <= t) carts.delete(k);
    for (const [k, until] of seen) if (until <= t) seen.delete(k);
  }, 60_000);
  sweeper.unref();

  const live = (cart: string) => {
    const c = carts.get(cart);
    if (!c) return undefined;
    if (c.expiresAt <= now()) {
      carts.delete(cart);
      return undefined;
    }
    return c;
  };
  const touch = (cart: string) => {
    let c = live(cart);
    if (!c) {
      c = { lines: new Map(), expiresAt: 0 };
      carts.set(cart, c);
    }
    c.expiresAt = now() + opts.idleTtlMs;
    return c;
  };
  const line =
    (mode: 'add' | 'set') =>
    async (cart: string, productId: string, quantity: number, b: LineBounds): Promise<LineOutcome> => {
      const existing = live(cart)?.lines.get(productId);
      if (!existing && mode === 'set') return { ok: false, problem: 'absent', current: 0 };
      if (!existing && (live(cart)?.lines.size ?? 0) >= b.maxLines)
        return { ok: false, problem: 'too_many_lines', current: 0 };
      const current = existing?.quantity ?? 0;
      const n = mode === 'add' ? current + quantity : quantity;
      if (n > b.maxQuantity) return { ok: false, problem: 'above_limit', current };
      if (n > b.available) return { ok: false, problem: 'above_stock', current };
      touch(cart).lines.set(productId, { productId, quantity: n, addedAt: existing?.addedAt ?? now() });
      return { ok: true, quantity: n };
    };

  return {
    kind: 'memory',
    async lines(cart) {
      const c = live(cart);
      if (!c) return [];
      c.expiresAt = now() + opts.idleTtlMs;
      return [...c.lines.values()].map((l) => ({ ...l }));
    },
    add: line('add'),
    change: line('set'),
    async remove(cart, productId) {
      live(cart)?.lines.delete(productId);
    },
    async clear(cart) {
      carts.delete(cart);
    },
    async merge(from, into, caps, maxLines) {
      const guest = live(from);
      if (!guest) return;
      const merged = mergeLines([...(live(into)?.lines.values() ?? [])], [...guest.lines.values()], caps, maxLines);
      carts.delete(from);
      if (merged.length === 0) return;
      touch(into).lines = new Map(merged.map((l) => [l.productId, l]));
    },
    async removeOrdered(cart, eventId, ordered) {
      if ((seen.get(eventId) ?? 0) > now()) return false;
      seen.set(eventId, now() + SEEN_TTL_MS);
      const c = live(cart);
      if (!c) return true;
      for (const o of ordered) {
        const l = c.lines.get(o.productId);
        if (!l) continue;
        if (l.quantity > o.quantity) l.quantity -= o.quantity;
        else c.lines.delete(o.productId);
      }
      return true;
    },
    async products(ids) {
      const found = new Map<string, ProductView>();
      for (const id of ids) {
        const p = products.get(id);
        if (p) found.set(id, { ...p });
      }
      return found;
    },
    async putProduct(view) {
      const cur = products.get(view.productId);
      if (cur && cur.version > view.version) return false;
      products.set(view.productId, { ...view });
      return true;
    },
    async ping() {},
    async close() {
      clearInterval(sweeper);
    },
  };
}
