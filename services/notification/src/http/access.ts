// Who may call: the kit's token guards, plus learning each caller's email for the recipients read model.
import type { FastifyReply, FastifyRequest, Guards } from '@microbazaar/kit';
import { principalOf } from '@microbazaar/kit';
import type { Recipients } from '../usecases/recipients.js';

export function createAccess(guards: Guards, recipients: Recipients) {
  return {
    guards,
    /** any signed-in user */
    user: async (req: FastifyRequest, reply: FastifyReply) => {
      await guards.authenticated(req, reply);
      await recipients.learn(principalOf(req));
    },
    admin: guards.role('admin'),
    learn: recipients.learn,
  };
}

export type Access = ReturnType<typeof createAccess>;
