// In-process cache of search results, dropped as a whole whenever the catalog changes (any instance).
//
// Correct by version, fresh by time: an entry counts only while the catalog version it was computed
// under is current, and every product or category write bumps the version (this instance at once,
// the others through NOTIFY). The TTL covers a missed notification: an old entry is still served
// once while a single background refresh replaces it, so a hot query never waits on a recompute.

interface Entry<V> {
  version: number;
  storedAt: number;
  value: V;
}

export interface CatalogCacheOptions {
  /** 0 turns the cache off: every call computes */
  ttlMs: number;
  maxEntries: number;
  now?: () => number;
  onRefreshError?: (err: unknown) => void;
}

export class CatalogCache<V> {
  private readonly entries = new Map<string, Entry<V>>();
  private readonly inflight = new Map<string, Promise<V>>();
  private version = 0;
  private readonly now: () => number;

  constructor(private readonly opts: CatalogCacheOptions) {
    this.now = opts.now ?? Date.now;
  }

  get size(): number {
    return this.entries.size;
  }

  /** Everything cached so far is out of date. */
  invalidate(): void {
    this.version++;
  }

  async get(key: string, compute: () => Promise<V>): Promise<V> {
    if (this.opts.ttlMs <= 0) return compute();
    const entry = this.entries.get(key);
    if (entry && entry.version === this.version) {
      // most recently used last, so eviction drops the coldest
      this.entries.delete(key);
      this.entries.set(key, entry);
      if (this.now() - entry.storedAt >= this.opts.ttlMs) {
        this.load(key, compute).catch((err: unknown) => this.opts.onRefreshError?.(err));
      }
      return entry.value;
    }
    return this.load(key, compute);
  }

  /** One computation per key and version at a time; concurrent callers share it. */
  private load(key: string, compute: () => Promise<V>): Promise<V> {
    const version = this.version;
    const flightKey = `${version}\u0000${key}`;
    const running = this.inflight.get(flightKey);
    if (running) return running;
    const promise = compute()
      .then((value) => {
        // a result computed under an older version is kept under that version: the next get misses
        this.entries.delete(key);
        this.entries.set(key, { version, storedAt: this.now(), value });
        while (this.entries.size > this.opts.maxEntries) {
          const oldest = this.entries.keys().next().value;
          if (oldest === undefined) break;
          this.entries.delete(oldest);
        }
        return value;
      })
      .finally(() => this.inflight.delete(flightKey));
    this.inflight.set(flightKey, promise);
    return promise;
  }
}
