// Forgotten passwords: a single-use link mailed (through user.password_reset_requested) without telling
// the caller whether the account exists, and the new password it sets.
import { type Cache, type Db, enqueueEvents, Invalid, type Logger, RateLimiter, TooMany } from '@microbazaar/kit';
import type { PasswordHasher } from '../adapters/passwords.js';
import type { AuthConfig } from '../config.js';
import { newSecret, secretHash } from '../domain/secrets.js';
import { normaliseEmail } from '../domain/users.js';
import { passwordResetRequested } from '../events/publish.js';
import { passwordResetStore, refreshTokenStore } from '../store/tokens.js';
import { userStore } from '../store/users.js';
import type { RequestContext } from './sessions.js';

export type PasswordResetConfig = Pick<
  AuthConfig,
  'PASSWORD_RESETS_PER_EMAIL_PER_HOUR' | 'PASSWORD_RESET_TTL_MINUTES' | 'PUBLIC_URL'
>;

export interface PasswordResetDeps {
  db: Db;
  cache: Cache;
  hasher: PasswordHasher;
  config: PasswordResetConfig;
  logger?: Logger | undefined;
}

export function createPasswordReset({ db, cache, hasher, config, logger }: PasswordResetDeps) {
  const resetsPerEmail = new RateLimiter(cache, 'reset-email', config.PASSWORD_RESETS_PER_EMAIL_PER_HOUR, 3600_000);

  // work a request starts but does not wait for; a failure is logged (the user can ask again)
  const pending = new Set<Promise<void>>();
  const afterAnswer = (work: () => Promise<void>) => {
    const done: Promise<void> = new Promise<void>((resolve) => setImmediate(resolve))
      .then(work)
      .catch((err: unknown) => logger?.warn({ err: (err as Error).message }, 'password reset request failed'))
      .finally(() => pending.delete(done));
    pending.add(done);
  };

  return {
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
          await passwordResetStore(tx).insert({ userId: user.id, tokenHash: secretHash(token), expiresAt });
          const data = {
            userId: user.id,
            email: user.email,
            name: user.name,
            resetUrl: resetUrl.toString(),
            expiresAt: expiresAt.toISOString(),
          };
          await enqueueEvents(tx, passwordResetRequested(data, ctx.requestId));
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
        const userId = await resets.consume(secretHash(token));
        if (!userId) return false;
        await userStore(tx).setPasswordHash(userId, passwordHash);
        await resets.invalidateAllForUser(userId);
        await refreshTokenStore(tx).revokeAllForUser(userId);
        return true;
      });
      if (!done) throw new Invalid('The reset link is invalid or has expired', undefined, 'INVALID_RESET_TOKEN');
    },
  };
}
