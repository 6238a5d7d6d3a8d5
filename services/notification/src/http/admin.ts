// For admins: emails and SMS that could not be sent after every retry, and sending one again.
import {
  type App,
  Conflict,
  type Db,
  decodeCursor,
  errorResponses,
  IdParams,
  invalidCursor,
  isUuid,
  keysetPage,
  NotFound,
  Page,
} from '@microbazaar/kit';
import { deliveryStore } from '../store/deliveries.js';
import type { Access } from './access.js';
import { Failure, FailureListQuery } from './schemas.js';

/**
 * A failure time as this list writes it (toISOString, 1970–9999): Date.parse alone takes "+275760-09-13" or
 * "2024-02-30", which PostgreSQL rejects (a 500 instead of the invalid-cursor 400).
 */
function isCursorTime(value: string): boolean {
  const ms = Date.parse(value);
  return /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/.test(value) && ms >= 0 && new Date(ms).toISOString() === value;
}

export function adminRoutes(app: App, deps: { db: Db; access: Access; onRequeued: () => void }) {
  const { db, access } = deps;
  const common = { tags: ['notifications admin'], security: [{ bearerAuth: [] }] };

  app.get(
    '/api/notifications/admin/failures',
    {
      preHandler: access.admin,
      schema: {
        ...common,
        summary: 'Deliveries that failed for good, most recent first (attempts and the last error)',
        querystring: FailureListQuery,
        response: { 200: Page(Failure), ...errorResponses(400, 401, 403, 503) },
      },
    },
    async (req) => {
      const { limit, cursor, channel } = req.query;
      let before: { failedAt: string; id: string } | undefined;
      if (cursor) {
        const [failedAt, id] = decodeCursor(cursor, ['string', 'string']) as [string, string];
        if (!isUuid(id) || !isCursorTime(failedAt)) throw invalidCursor();
        before = { failedAt, id };
      }
      const rows = await deliveryStore(db).failures({ limit, before, channel });
      // failed rows always carry their failure time
      return keysetPage(rows, limit, (f) => [f.failedAt ?? '', f.id]);
    },
  );

  app.post(
    '/api/notifications/admin/failures/:id/retry',
    {
      preHandler: access.admin,
      schema: {
        ...common,
        summary: 'Queue a failed delivery again with a fresh set of attempts',
        params: IdParams,
        response: { 202: Failure, ...errorResponses(400, 401, 403, 404, 409, 503) },
      },
    },
    async (req, reply) => {
      const result = await db.transaction((tx) => deliveryStore(tx).requeue(req.params.id));
      if (!result.record) throw new NotFound('Delivery not found');
      if (result.reason === 'not_failed') throw new Conflict(`The delivery is ${result.record.status}, not failed`);
      if (result.reason === 'content_wiped') {
        throw new Conflict(
          'This message held a secret (a password reset link) and was discarded; the user can ask for a new one',
          'CONTENT_DISCARDED',
        );
      }
      deps.onRequeued();
      return reply.status(202).send(result.record);
    },
  );
}
