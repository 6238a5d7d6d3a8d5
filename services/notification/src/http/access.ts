// Who may call: the kit's token guards, plus learning each caller's email for the recipients read model.
import type { Db, FastifyReply, FastifyRequest, Guards, Logger, Principal } from '@microbazaar/kit';
import { principalOf } from '@microbazaar/kit';
import { recipientStore } from '../store/recipients.js';

const REMEMBERED = 10_000;

export function createAccess(guards: Guards, db: Db, logger: Logger) {
  // users who registered before this service listened have no user.registered here: their token names their email
  const known = new Map<string, string>();
  const learn = async (p: Principal) => {
    if (!p.email || known.get(p.userId) === p.email) return;
    try {
      await recipientStore(db).learnEmail(p.userId, p.email);
      if (known.size >= REMEMBERED) known.delete(known.keys().next().value as string);
      known.set(p.userId, p.email);
    } catch (err) {
      logger.warn({ err: (err as Error).message }, 'could not record the caller email');
    }
  };
  return {
    guards,
    /** any signed-in user */
    user: async (req: FastifyRequest, reply: FastifyReply) => {
      await guards.authenticated(req, reply);
      await learn(principalOf(req));
    },
    admin: guards.role('admin'),
    learn,
  };
}

export type Access = ReturnType<typeof createAccess>;
