// In-app notices: a user's own feed (cursor pages), one notice, read marks and the unread count.
import { type App, errorResponses, IdParams, Page, principalOf } from '@microbazaar/kit';
import type { Notices } from '../usecases/notices.js';
import type { Access } from './access.js';
import { Notice, NoticeListQuery, ReadAllResult, ReadBody, UnreadCount } from './schemas.js';

export function noticeRoutes(app: App, deps: { notices: Notices; access: Access }) {
  const { notices, access } = deps;
  const common = { tags: ['notifications'], security: [{ bearerAuth: [] }] };

  app.get(
    '/api/notifications',
    {
      preHandler: access.user,
      schema: {
        ...common,
        summary: 'My notices, newest first',
        querystring: NoticeListQuery,
        response: { 200: Page(Notice), ...errorResponses(400, 401, 503) },
      },
    },
    async (req) => notices.feed(principalOf(req).userId, req.query),
  );

  app.get(
    '/api/notifications/unread-count',
    {
      preHandler: access.user,
      schema: {
        ...common,
        summary: 'How many of my notices are unread',
        response: { 200: UnreadCount, ...errorResponses(401, 503) },
      },
    },
    async (req) => ({ count: await notices.unreadCount(principalOf(req).userId) }),
  );

  app.post(
    '/api/notifications/read-all',
    {
      preHandler: access.user,
      schema: {
        ...common,
        summary: 'Mark all my notices read',
        response: { 200: ReadAllResult, ...errorResponses(401, 503) },
      },
    },
    async (req) => ({ updated: await notices.markAllRead(principalOf(req).userId) }),
  );

  app.get(
    '/api/notifications/:id',
    {
      preHandler: access.user,
      schema: {
        ...common,
        summary: 'One of my notices (someone else’s is not found)',
        params: IdParams,
        response: { 200: Notice, ...errorResponses(400, 401, 404, 503) },
      },
    },
    async (req) => notices.one(principalOf(req).userId, req.params.id),
  );

  app.patch(
    '/api/notifications/:id',
    {
      preHandler: access.user,
      schema: {
        ...common,
        summary: 'Mark one of my notices read or unread',
        params: IdParams,
        body: ReadBody,
        response: { 200: Notice, ...errorResponses(400, 401, 404, 503) },
      },
    },
    async (req) => notices.markRead(principalOf(req).userId, req.params.id, req.body.read),
  );
}
