// Signing in and staying signed in: register, login (with its failure limits), refresh-token rotation,
// logout and the signed-in user.
import { randomUUID } from 'node:crypto';
import {
  type Cache,
  clientKey,
  type Db,
  enqueueEvents,
  Forbidden,
  Invalid,
  RateLimiter,
  type Sql,
  Unauthorized,
} from '@microbazaar/kit';
import type { KeyRing } from '../adapters/keys.js';
import type { PasswordHasher } from '../adapters/passwords.js';
import type { AuthConfig } from '../config.js';
import { newSecret, secretHash } from '../domain/secrets.js';
import {
  accessClaims,
  defaultName,
  normaliseEmail,
  type PublicUser,
  presentUser,
  type UserRecord,
} from '../domain/users.js';
import { userRegistered } from '../events/publish.js';
import { refreshTokenStore } from '../store/tokens.js';
import { userStore } from '../store/users.js';

export interface Session {
  user: PublicUser;
  token: string;
  refreshToken: string;
}

/** Who asks: the client address (rate limits) and the request id (the events' correlation id). */
export interface RequestContext {
  ip: string;
  requestId: string;
}

const INVALID_CREDENTIALS = 'Invalid email or password';

export type SessionsConfig = Pick<
  AuthConfig,
  | 'LOGIN_FAILURES_PER_EMAIL'
  | 'LOGIN_FAILURES_PER_IP'
  | 'LOGIN_FAILURE_WINDOW_SECONDS'
  | 'REGISTRATIONS_PER_IP_PER_HOUR'
  | 'REFRESH_TOKEN_TTL_DAYS'
>;

export interface SessionsDeps {
  db: Db;
  cache: Cache;
  keys: KeyRing;
  hasher: PasswordHasher;
  config: SessionsConfig;
}

export function createSessions({ db, cache, keys, hasher, config }: SessionsDeps) {
  const loginFailuresPerEmail = new RateLimiter(
    cache,
    'login-email',
    config.LOGIN_FAILURES_PER_EMAIL,
    config.LOGIN_FAILURE_WINDOW_SECONDS * 1000,
    'Too many failed logins for this account, try again later',
  );
  const loginFailuresPerIp = new RateLimiter(
    cache,
    'login-ip',
    config.LOGIN_FAILURES_PER_IP,
    config.LOGIN_FAILURE_WINDOW_SECONDS * 1000,
    'Too many failed logins from this address, try again later',
  );
  const registrationsPerIp = new RateLimiter(cache, 'register-ip', config.REGISTRATIONS_PER_IP_PER_HOUR, 3600_000);
  const refreshTtlMs = config.REFRESH_TOKEN_TTL_DAYS * 86_400_000;

  async function issueSession(tx: Sql, user: UserRecord, familyId: string = randomUUID()): Promise<Session> {
    const refreshToken = newSecret();
    await refreshTokenStore(tx).insert({
      familyId,
      userId: user.id,
      tokenHash: secretHash(refreshToken),
      expiresAt: new Date(Date.now() + refreshTtlMs),
    });
    return { user: presentUser(user), token: await keys.sign(accessClaims(user)), refreshToken };
  }

  return {
    async register(
      input: { email: string; password: string; name?: string | undefined },
      ctx: RequestContext,
    ): Promise<Session> {
      const email = normaliseEmail(input.email);
      await registrationsPerIp.consume(clientKey(ctx.ip));
      // hash before the transaction: argon2 takes ~30 ms and must not hold a connection
      const passwordHash = await hasher.hash(input.password);
      return db.transaction(async (tx) => {
        const user = await userStore(tx).insert({
          email,
          name: input.name?.trim() || defaultName(email),
          passwordHash,
          role: 'customer',
        });
        if (!user) throw new Invalid('User already exists', undefined, 'USER_EXISTS');
        await enqueueEvents(tx, userRegistered({ userId: user.id, email: user.email, name: user.name }, ctx.requestId));
        return issueSession(tx, user);
      });
    },

    async login(input: { email: string; password: string }, ctx: RequestContext): Promise<Session> {
      let email: string;
      try {
        email = normaliseEmail(input.email);
      } catch {
        throw new Unauthorized(INVALID_CREDENTIALS, 'INVALID_CREDENTIALS');
      }
      // the attempt counts before argon2 runs, so parallel guesses cannot all pass a check made before any failed
      const attempt = [
        [loginFailuresPerEmail, email],
        [loginFailuresPerIp, clientKey(ctx.ip)],
      ] as const;
      await RateLimiter.acquireAll(attempt);
      let checked: { user: UserRecord | null; ok: boolean } | undefined;
      try {
        const user = await userStore(db).byEmail(email);
        const ok = user
          ? await hasher.verify(user.passwordHash, input.password)
          : await hasher.verifyNobody(input.password);
        checked = { user, ok };
      } finally {
        // only a wrong password keeps its unit: a right one, or an outage before the answer, gives it back
        if (!checked || checked.ok) await Promise.all(attempt.map(([limiter, key]) => limiter.release(key)));
      }
      const { user, ok } = checked;
      if (!user || !ok) throw new Unauthorized(INVALID_CREDENTIALS, 'INVALID_CREDENTIALS');
      if (user.disabledAt) throw new Forbidden('This account is disabled', 'ACCOUNT_DISABLED');
      return db.transaction((tx) => issueSession(tx, user));
    },

    /** Rotates a refresh token. A token presented twice revokes its family: someone copied it. */
    async refresh(refreshToken: string): Promise<Session> {
      const outcome = await db.transaction(async (tx) => {
        const tokens = refreshTokenStore(tx);
        const row = await tokens.lockByHash(secretHash(refreshToken));
        if (!row) return { error: 'unknown' as const };
        if (row.usedAt || row.revokedAt) {
          await tokens.revokeFamily(row.familyId);
          return { error: 'reused' as const };
        }
        if (row.expiresAt.getTime() <= Date.now()) return { error: 'expired' as const };
        const user = await userStore(tx).byId(row.userId);
        if (!user || user.disabledAt) {
          await tokens.revokeFamily(row.familyId);
          return { error: 'disabled' as const };
        }
        await tokens.markUsed(row.id);
        return { error: null, session: await issueSession(tx, user, row.familyId) };
      });
      if (outcome.error === null) return outcome.session;
      const messages = {
        unknown: ['Invalid refresh token', 'INVALID_REFRESH_TOKEN'],
        reused: ['Refresh token was already used; all sessions from that login are revoked', 'REFRESH_TOKEN_REUSED'],
        expired: ['Refresh token expired', 'REFRESH_TOKEN_EXPIRED'],
        disabled: ['This account is disabled', 'ACCOUNT_DISABLED'],
      } as const;
      const [message, code] = messages[outcome.error];
      throw new Unauthorized(message, code);
    },

    /** Ends the session the refresh token belongs to. Unknown tokens are ignored (idempotent). */
    async logout(refreshToken: string): Promise<void> {
      await db.transaction(async (tx) => {
        const tokens = refreshTokenStore(tx);
        const row = await tokens.lockByHash(secretHash(refreshToken));
        if (row) await tokens.revokeFamily(row.familyId);
      });
    },

    async me(userId: string): Promise<PublicUser> {
      const user = await userStore(db).byId(userId);
      if (!user) throw new Unauthorized('User no longer exists', 'INVALID_TOKEN');
      if (user.disabledAt) throw new Unauthorized('This account is disabled', 'ACCOUNT_DISABLED');
      return presentUser(user);
    },
  };
}
