// Admin user management: list, read, change role, disable.
import { type App, errorResponses, type Guards, IdParams, idFromCursor, Page, principalOf } from '@microbazaar/kit';
import type { Accounts } from '../usecases/accounts.js';
import { User, UserChange, UserListQuery } from './schemas.js';

export function adminRoutes(app: App, deps: { accounts: Accounts; guards: Guards }) {
  const { accounts, guards } = deps;
  const common = { tags: ['admin'], security: [{ bearerAuth: [] }] };
  const admin = guards.role('admin');

  app.get(
    '/api/auth/users',
    {
      preHandler: admin,
      schema: {
        ...common,
        summary: 'List users, newest first',
        querystring: UserListQuery,
        response: { 200: Page(User), ...errorResponses(400, 401, 403) },
      },
    },
    async (req) => {
      const { limit, cursor, role, q } = req.query;
      return accounts.listUsers({ limit, afterId: idFromCursor(cursor), role, q });
    },
  );

  app.get(
    '/api/auth/users/:id',
    {
      preHandler: admin,
      schema: {
        ...common,
        summary: 'One user',
        params: IdParams,
        response: { 200: User, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (req) => accounts.getUser(req.params.id),
  );

  app.patch(
    '/api/auth/users/:id',
    {
      preHandler: admin,
      schema: {
        ...common,
        summary: 'Change a user role or disable the account (disabling ends every session)',
        params: IdParams,
        body: UserChange,
        response: { 200: User, ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (req) => accounts.updateUser(principalOf(req).userId, req.params.id, req.body),
  );
}
