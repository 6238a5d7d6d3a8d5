// The auth use cases: register, login, refresh, logout, password reset, user administration.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import {
  type Cache,
  Conflict,
  clientKey,
  type Db,
  Forbidden,
  Invalid,
  keysetPage,
  type Logger,
  NotFound,
  RateLimiter,
  type Role,
  type Sql,
  TooMany,
  Unauthorized,
} from '@microbazaar/kit';
import type { AuthConfig } from './config.js';
import {
  accessClaims,
  defaultName,
  normaliseEmail,
  type PublicUser,
  presentUser,
  type UserRecord,
} from './domain/users.js';
import type { AuthEvents } from './events/publisher.js';
import type { KeyRing } from './keys.js';
import type { PasswordHasher } from './passwords.js';
import { passwordResetStore, refreshTokenStore } from './store/tokens.js';
import { userStore } from './store/users.js';

export interface Session {
  user: PublicUser;
  token: string;
  refreshToken: string;
}

export interface RequestContext {
  ip: string;
  requestId: string;
}

const INVALID_CREDENTIALS = 'Invalid email or password';

function sha256(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

function newSecret(): string {
  return randomBytes(32).toString('base64url');
}

export interface AccountsDeps {
  db: Db;
  cache: Cache;
  keys: KeyRing;
  hasher: PasswordHasher;
  events: AuthEvents;
  config: AuthConfig;
  logger?: Logger | undefined;
}

export function createAccounts({ db, cache, keys, hasher, events, config, logger }: AccountsDeps) {
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
  const resetsPerEmail = new RateLimiter(cache, 'reset-email', config.PASSWORD_RESETS_PER_EMAIL_PER_HOUR, 3600_000);
  const refreshTtlMs = config.REFRESH_TOKEN_TTL_DAYS * 86_400_000;

  // work a request starts but does not wait for; a failure is logged (the user can ask again)
  const pending = new Set<Promise<void>>();
  const afterAnswer = (work: () => Promise<void>) => {
    const done: Promise<void> = new Promise<void>((resolve) => setImmediate(resolve))
      .then(work)
      .catch((err: unknown) => logger?.warn({ err: (err as Error).message }, 'password reset request failed'))
      .finally(() => pending.delete(done));
    pending.add(done);
  };

  async function issueSession(tx: Sql, user: UserRecord, familyId: string = randomUUID()): Promise<Session> {
    const refreshToken = newSecret();
    await refreshTokenStore(tx).insert({
      familyId,
      userId: user.id,
      tokenHash: sha256(refreshToken),
      expiresAt: new Date(Date.now() + refreshTtlMs),
    });
    return { user: presentUser(user), token: await keys.sign(accessClaims(user)), refreshToken };
  }

  async function createUser(
    tx: Sql,
    input: { email: string; password: string; name?: string | undefined; role: Role },
  ): Promise<UserRecord | null> {
    const email = normaliseEmail(input.email);
    return userStore(tx).insert({
      email,
      name: input.name?.trim() || defaultName(email),
      passwordHash: await hasher.hash(input.password),
      role: input.role,
    });
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
        await events.userRegistered(tx, { userId: user.id, email: user.email, name: user.name }, ctx.requestId);
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
        const row = await tokens.lockByHash(sha256(refreshToken));
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
        const row = await tokens.lockByHash(sha256(refreshToken));
        if (row) await tokens.revokeFamily(row.familyId);
      });
    },

    async me(userId: string): Promise<PublicUser> {
      const user = await userStore(db).byId(userId);
      if (!user) throw new Unauthorized('User no longer exists', 'INVALID_TOKEN');
      if (user.disabledAt) throw new Unauthorized('This account is disabled', 'ACCOUNT_DISABLED');
      return presentUser(user);
    },

    /**
     * Always succeeds from the caller's view, so it cannot be used to find out who has an account: what
     * the request waits for is the same for every address (the per-address count), and the account's work
     * (look-up, token, the mail's event) runs after the answer, so its time cannot tell either.
     */
    async forgotPassword(rawEmail: string, ctx: RequestContext): Promise<void> {
      const email = normaliseEmail(rawEmail);
      try {
        await resetsPerEmail.consume(email);
      } catch (err) {
        if (err instanceof TooMany) return; // quietly stop mailing the same person
        throw err; // the cache is down: 503, not a 202 that mails nobody
      }
      afterAnswer(async () => {
        const user = await userStore(db).byEmail(email);
        if (!user || user.disabledAt) return;
        const token = newSecret();
        const expiresAt = new Date(Date.now() + config.PASSWORD_RESET_TTL_MINUTES * 60_000);
        const resetUrl = new URL('/reset-password', config.PUBLIC_URL);
        resetUrl.searchParams.set('token', token);
        await db.transaction(async (tx) => {
          await passwordResetStore(tx).insert({ userId: user.id, tokenHash: sha256(token), expiresAt });
          await events.passwordResetRequested(
            tx,
            {
              userId: user.id,
              email: user.email,
              name: user.name,
              resetUrl: resetUrl.toString(),
              expiresAt: expiresAt.toISOString(),
            },
            ctx.requestId,
          );
        });
      });
    },

    /** Resolves once the work started after answers (reset mails) is done: on close, and in tests. */
    async settle(): Promise<void> {
      while (pending.size) await Promise.allSettled([...pending]);
    },

    /** Sets a new password with a single-use token; every session of the user ends. */
    async resetPassword(token: string, password: string): Promise<void> {
      const passwordHash = await hasher.hash(password);
      const done = await db.transaction(async (tx) => {
        const resets = passwordResetStore(tx);
        const userId = await resets.consume(sha256(token));
        if (!userId) return false;
        await userStore(tx).setPasswordHash(userId, passwordHash);
        await resets.invalidateAllForUser(userId);
        await refreshTokenStore(tx).revokeAllForUser(userId);
        return true;
      });
      if (!done) throw new Invalid('The reset link is invalid or has expired', undefined, 'INVALID_RESET_TOKEN');
    },

    async listUsers(q: {
      limit: number;
      afterId?: string | undefined;
      role?: Role | undefined;
      q?: string | undefined;
    }): Promise<{ items: PublicUser[]; nextCursor: string | null }> {
      const page = keysetPage(await userStore(db).page(q), q.limit, (u) => [u.id]);
      return { items: page.items.map(presentUser), nextCursor: page.nextCursor };
    },

    /** The token revocation feed every verifier polls (see kit RevocationList). */
    revocations(cursor: string | undefined) {
      return userStore(db).revocations(cursor);
    },

    async userIdByEmail(email: string): Promise<string | undefined> {
      return (await userStore(db).byEmail(normaliseEmail(email)))?.id;
    },

    async getUser(id: string): Promise<PublicUser> {
      const user = await userStore(db).byId(id);
      if (!user) throw new NotFound('User not found', 'USER_NOT_FOUND');
      return presentUser(user);
    },

    /** Admin: change role or disable. Disabling ends every session (refresh fails at once). */
    async updateUser(
      actorId: string,
      id: string,
      change: { role?: Role | undefined; disabled?: boolean | undefined },
    ): Promise<PublicUser> {
      if (actorId === id)
        throw new Conflict('Admins cannot change their own role or disable themselves', 'SELF_CHANGE');
      return db.transaction(async (tx) => {
        const user = await userStore(tx).update(id, change);
        if (!user) throw new NotFound('User not found', 'USER_NOT_FOUND');
        if (change.disabled === true) await refreshTokenStore(tx).revokeAllForUser(id);
        return presentUser(user);
      });
    },

    /**
     * First start: the admin from config, and a demo seller when demo data is on.
     * Returns the accounts it created so the embedded platform can print them once.
     */
    async ensureBootstrapUsers(opts: {
      admin?: { email: string; password: string } | undefined;
      seller?: { email: string; password: string } | undefined;
    }): Promise<Array<{ email: string; password: string; role: Role }>> {
      const created: Array<{ email: string; password: string; role: Role }> = [];
      const wanted: Array<[{ email: string; password: string } | undefined, Role, string]> = [
        [opts.admin, 'admin', 'Admin'],
        [opts.seller, 'seller', 'Demo Seller'],
      ];
      for (const [account, role, name] of wanted) {
        if (!account) continue;
        if (await userStore(db).byEmail(normaliseEmail(account.email))) continue;
        const user = await db.transaction(async (tx) => createUser(tx, { ...account, name, role }));
        if (user) created.push({ email: user.email, password: account.password, role });
      }
      return created;
    },
  };
}

export type Accounts = ReturnType<typeof createAccounts>;
