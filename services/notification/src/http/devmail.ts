// Embedded mode only: the mails the file transport wrote under .data/mail (an admin sees all, a user their own).
import { type App, errorResponses, Limit, NotFound, principalOf } from '@microbazaar/kit';
import { Type } from '@sinclair/typebox';
import { addresses, type Mailbox, readHeaders } from '../adapters/mailbox.js';
import type { Access } from './access.js';
import { MailIdParams, MailSummary } from './schemas.js';

export function devMailRoutes(app: App, deps: { mailbox: Mailbox; access: Access }) {
  const { mailbox, access } = deps;
  const common = { tags: ['notifications dev'], security: [{ bearerAuth: [] }] };
  const mine = (req: Parameters<typeof principalOf>[0]) => {
    const p = principalOf(req);
    return p.role === 'admin' ? undefined : p.email || '\u0000';
  };

  app.get(
    '/api/notifications/dev/mail',
    {
      preHandler: access.user,
      schema: {
        ...common,
        summary: 'Mails written by the embedded mailbox, newest first (no SMTP_URL set)',
        querystring: Type.Object({ limit: Limit }),
        response: { 200: Type.Object({ items: Type.Array(MailSummary) }), ...errorResponses(400, 401) },
      },
    },
    async (req) => ({ items: await mailbox.list({ limit: req.query.limit, to: mine(req) }) }),
  );

  app.get(
    '/api/notifications/dev/mail/:id',
    {
      preHandler: access.user,
      schema: {
        ...common,
        summary: 'One mail as an .eml file (message/rfc822)',
        params: MailIdParams,
        response: { 200: Type.String({ description: 'message/rfc822' }), ...errorResponses(400, 401, 404) },
      },
    },
    async (req, reply) => {
      const raw = await mailbox.read(req.params.id);
      const to = mine(req);
      if (raw === null || (to !== undefined && !addresses(readHeaders(raw).to ?? '').includes(to.toLowerCase()))) {
        throw new NotFound('Mail not found');
      }
      return reply.type('message/rfc822').send(raw);
    },
  );
}
