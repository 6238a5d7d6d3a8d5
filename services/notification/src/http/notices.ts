// In-app notices: a user's own feed (cursor pages), one notice, read marks and the unread count.
import {
  type App,
  type Db,
  decodeCursor,
  errorResponses,
  IdParams,
  invalidCursor,
  keysetPage,
  NotFound,
  Page,
  principalOf,
} from '@microbazaar/kit';
import { noticeStore, presentNotice } from '../store/notices.js';
import type { Access } from './access.js';
import { Notice, NoticeListQuery, ReadAllResult, ReadBody, UnreadCount } from './schemas.js';

/** A feed position from a page cursor; anything but a positive whole number would reach SQL as a bad bigint. */
function beforeSeqOf(cursor: string): number {
  const [seq] = decodeCursor(cursor, ['number']) as [number];
  if (!Number.isSafeInteger(seq) || seq <= 0) throw invalidCursor();
  return seq;
}

export function noticeRoutes(app: App, deps: { db: Db; access: Access }) {
  const { access } = deps;
  const notices = noticeStore(deps.db);
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
    async (req) => {
      const { limit, cursor, unread } = req.query;
      const beforeSeq = cursor ? beforeSeqOf(cursor) : undefined;
      const rows = await notices.page(principalOf(req).userId, { limit, beforeSeq, unread });
      const page = keysetPage(rows, limit, (n) => [n.seq]);
      return { items: page.items.map(presentNotice), nextCursor: page.nextCursor };
    },
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
    async (req) => {
      const notice = await notices.get(principalOf(req).userId, req.params.id);
      if (!notice) throw new NotFound('Notification not found');
      return presentNotice(notice);
    },
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
    async (req) => {
      const notice = await notices.setRead(principalOf(req).userId, req.params.id, req.body.read);
      if (!notice) throw new NotFound('Notification not found');
      return presentNotice(notice);
    },
  );
}
