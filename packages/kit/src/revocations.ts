// Access tokens that must stop working before they expire (a user disabled, demoted or reset): the auth
// service publishes, per user, the token version tokens must carry from now on; every verifier keeps
// that list and refreshes it from the auth service at most a second apart while requests come in.
import { Unauthorized, Unavailable } from './errors.js';

/** Where the auth service publishes the list, relative to its origin (never routed by the gateway). */
export const TOKEN_REVOCATIONS_PATH = '/internal/token-revocations';

/** Tokens of `userId` whose `ver` claim is below `version` are revoked. */
export interface Revocation {
  userId: string;
  version: number;
}

/**
 * One answer of the feed. Without a cursor it holds every revocation that can still matter (issued
 * within the longest token lifetime); with one, those recorded since (plus an overlap). `cursor` is
 * what to ask with next time.
 */
export interface RevocationPage {
  cursor: string;
  revocations: Revocation[];
}

export interface RevocationSource {
  fetch(cursor: string | undefined): Promise<RevocationPage>;
}

export interface RevocationListOptions {
  source: RevocationSource;
  /** a request seeing an older list refreshes it in the background (default 1 s) */
  refreshAfterMs?: number;
  /** a request seeing an older list waits for a refresh first (default 2 s) */
  waitAfterMs?: number;
  /** without a successful refresh for this long, authenticated requests answer 503 (default 30 s) */
  maxStaleMs?: number;
  /** a full list instead of the changes this often, so whatever aged out is dropped (default 60 s) */
  fullEveryMs?: number;
  /** after a failed refresh, requests use what they have for this long before trying again (default 1 s) */
  retryAfterMs?: number;
  now?: () => number;
}

/** The revocation check of one verifier: a map lookup per request, a refresh per second at most. */
export class RevocationList {
  private versions = new Map<string, number>();
  private cursor: string | undefined;
  private syncedAt = Number.NEGATIVE_INFINITY;
  private fullAt = Number.NEGATIVE_INFINITY;
  private failedAt = Number.NEGATIVE_INFINITY;
  private lastError: unknown;
  private inFlight: Promise<void> | undefined;
  private readonly opts: Required<Omit<RevocationListOptions, 'source'>> & { source: RevocationSource };

  constructor(options: RevocationListOptions) {
    this.opts = {
      refreshAfterMs: 1000,
      waitAfterMs: 2000,
      maxStaleMs: 30_000,
      fullEveryMs: 60_000,
      retryAfterMs: 1000,
      now: () => performance.now(),
      ...options,
    };
  }

  /** Refreshes now (one refresh at a time; callers share it). */
  refresh(): Promise<void> {
    this.inFlight ??= this.load().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  private async load(): Promise<void> {
    const started = this.opts.now();
    const full = this.cursor === undefined || started - this.fullAt >= this.opts.fullEveryMs;
    try {
      const page = await this.opts.source.fetch(full ? undefined : this.cursor);
      if (full) {
        this.versions = new Map();
        this.fullAt = started;
      }
      for (const { userId, version } of page.revocations) {
        if (version > (this.versions.get(userId) ?? 0)) this.versions.set(userId, version);
      }
      this.cursor = page.cursor;
      this.syncedAt = started;
    } catch (err) {
      this.failedAt = this.opts.now();
      this.lastError = err;
      throw err;
    }
  }

  /** Ensures the list is recent enough to judge a token by; throws 503 when it cannot be. */
  private async current(): Promise<void> {
    const now = this.opts.now();
    const age = now - this.syncedAt;
    if (age < this.opts.refreshAfterMs) return;
    const failedRecently = now - this.failedAt < this.opts.retryAfterMs;
    if (age < this.opts.waitAfterMs || (failedRecently && age < this.opts.maxStaleMs)) {
      if (!failedRecently) this.refresh().catch(() => {});
      return;
    }
    if (!failedRecently) {
      try {
        await this.refresh();
        return;
      } catch {
        // judged below: a list still within maxStale is used as it is
      }
    }
    if (this.opts.now() - this.syncedAt >= this.opts.maxStaleMs) {
      throw new Unavailable(
        'Token revocations are unavailable, try again shortly',
        'AUTH_REVOCATIONS_UNAVAILABLE',
        this.lastError,
      );
    }
  }

  /** Throws 401 TOKEN_REVOKED for a token issued before its user's last revocation. */
  async check(principal: { userId: string; tokenVersion?: number | undefined }): Promise<void> {
    await this.current();
    const required = this.versions.get(principal.userId);
    if (required !== undefined && (principal.tokenVersion ?? 0) < required) {
      throw new Unauthorized('This token was revoked: sign in again or refresh it', 'TOKEN_REVOKED');
    }
  }
}

function isPage(body: unknown): body is RevocationPage {
  if (!body || typeof body !== 'object') return false;
  const { cursor, revocations } = body as Record<string, unknown>;
  return (
    typeof cursor === 'string' &&
    Array.isArray(revocations) &&
    revocations.every(
      (r) =>
        r !== null &&
        typeof r === 'object' &&
        typeof (r as Revocation).userId === 'string' &&
        Number.isInteger((r as Revocation).version),
    )
  );
}

/** The auth service's feed over HTTP (`url` is its TOKEN_REVOCATIONS_PATH). */
export function httpRevocationSource(url: string, timeoutMs = 2000): RevocationSource {
  return {
    async fetch(cursor) {
      const target = new URL(url);
      if (cursor !== undefined) target.searchParams.set('cursor', cursor);
      const res = await fetch(target, {
        signal: AbortSignal.timeout(timeoutMs),
        headers: { accept: 'application/json' },
      });
      if (!res.ok) {
        await res.body?.cancel();
        throw new Error(`token revocations at ${url} answered ${res.status}`);
      }
      const body: unknown = await res.json();
      if (!isPage(body)) throw new Error(`token revocations at ${url} answered something else than a revocation list`);
      return body;
    },
  };
}

/** The feed's address from the JWKS address: same origin, TOKEN_REVOCATIONS_PATH. */
export function revocationsUrlFor(jwksUrl: string): string {
  return new URL(TOKEN_REVOCATIONS_PATH, jwksUrl).toString();
}
