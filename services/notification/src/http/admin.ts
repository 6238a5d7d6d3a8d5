// For admins: emails and SMS that could not be sent after every retry, and sending one again.
import { type App, errorResponses, IdParams, Page } from '@microbazaar/kit';
import type { Failures } from '../usecases/failures.js';
import type { Access } from './access.js';
import { Failure, FailureListQuery } from './schemas.js';

export function adminRoutes(app: App, deps: { failures: Failures; access: Access }) {
  const { failures, access } = deps;
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
    async (req) => failures.list(req.query),
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
    async (req, reply) => reply.status(202).send(await failures.retry(req.params.id)),
  );
}
