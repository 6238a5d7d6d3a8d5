// A user's in-app notices: the feed in cursor pages, one notice, read marks and the unread count.
import { type Db, decodeCursor, invalidCursor, keysetPage, NotFound } from '@microbazaar/kit';
import { type Notice, noticeStore, presentNotice } from '../store/notices.js';

/** A feed position from a page cursor; anything but a positive whole number would reach SQL as a bad bigint. */
function beforeSeqOf(cursor: string): number {
  const [seq] = decodeCursor(cursor, ['number']) as [number];
  if (!Number.isSafeInteger(seq) || seq <= 0) throw invalidCursor();
  return seq;
}

export function createNotices(db: Db) {
  const notices = noticeStore(db);
  return {
    /** Newest first; someone else's notices are never in it. */
    async feed(
      userId: string,
      q: { limit: number; cursor?: string | undefined; unread?: boolean | undefined },
    ): Promise<{ items: Notice[]; nextCursor: string | null }> {
      const beforeSeq = q.cursor ? beforeSeqOf(q.cursor) : undefined;
      const rows = await notices.page(userId, { limit: q.limit, beforeSeq, unread: q.unread });
      const page = keysetPage(rows, q.limit, (n) => [n.seq]);
      return { items: page.items.map(presentNotice), nextCursor: page.nextCursor };
    },

    /** Someone else's notice is not found (for admins too). */
    async one(userId: string, id: string): Promise<Notice> {
      const notice = await notices.get(userId, id);
      if (!notice) throw new NotFound('Notification not found');
      return presentNotice(notice);
    },

    async markRead(userId: string, id: string, read: boolean): Promise<Notice> {
      const notice = await notices.setRead(userId, id, read);
      if (!notice) throw new NotFound('Notification not found');
      return presentNotice(notice);
    },

    markAllRead: (userId: string) => notices.markAllRead(userId),
    unreadCount: (userId: string) => notices.unreadCount(userId),
  };
}

export type Notices = ReturnType<typeof createNotices>;
