// Where mail goes: users who registered before this service listened have no user.registered here, so the
// email their access token names is recorded (once per change, remembered for the users seen lately).
import type { Db, Logger, Principal } from '@microbazaar/kit';
import { recipientStore } from '../store/recipients.js';

const REMEMBERED = 10_000;

export function createRecipients(db: Db, logger: Logger) {
  const known = new Map<string, string>();
  return {
    /** Records the caller's email when it is new or changed; never fails the request. */
    async learn(p: Principal): Promise<void> {
      if (!p.email || known.get(p.userId) === p.email) return;
      try {
        await recipientStore(db).learnEmail(p.userId, p.email);
        if (known.size >= REMEMBERED) known.delete(known.keys().next().value as string);
        known.set(p.userId, p.email);
      } catch (err) {
        logger.warn({ err: (err as Error).message }, 'could not record the caller email');
      }
    },
  };
}

export type Recipients = ReturnType<typeof createRecipients>;
