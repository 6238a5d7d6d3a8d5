// SQL for stored in-app notices: one user's newest first, unread counts, read marks, stream replay.
import type { Sql } from '@microbazaar/kit';

/** A notice as the API shows it. */
export interface Notice {
  id: string;
  type: string;
  title: string;
  body: string;
  data: Record<string, unknown>;
  read: boolean;
  createdAt: string;
}

/** A notice with its position in the user's feed (the stream's event id and the page cursor). */
export interface StoredNotice extends Notice {
  seq: number;
  userId: string;
}

interface Row {
  id: string;
  seq: number | bigint | string;
  userId: string;
  type: string;
  title: string;
  body: string;
  data: Record<string, unknown> | string;
  readAt: Date | null;
  createdAt: Date;
}

const COLUMNS = `id, seq, user_id AS "userId", type, title, body, data, read_at AS "readAt", created_at AS "createdAt"`;

function stored(r: Row): StoredNotice {
  return {
    id: r.id,
    seq: Number(r.seq),
    userId: r.userId,
    type: r.type,
    title: r.title,
    body: r.body,
    data: typeof r.data === 'string' ? JSON.parse(r.data) : r.data,
    read: r.readAt !== null,
    createdAt: new Date(r.createdAt).toISOString(),
  };
}

/** The API shape: without the feed position and owner. */
export function presentNotice(n: StoredNotice): Notice {
  return { id: n.id, type: n.type, title: n.title, body: n.body, data: n.data, read: n.read, createdAt: n.createdAt };
}

export interface NewNotice {
  userId: string;
  eventId: string;
  type: string;
  title: string;
  body: string;
  data: Record<string, unknown>;
}

export function noticeStore(sql: Sql) {
  return {
    /** null when this event already made this user's notice. */
    async insert(n: NewNotice): Promise<StoredNotice | null> {
      const rows = await sql.query<Row>(
        `INSERT INTO notices (user_id, event_id, type, title, body, data) VALUES ($1, $2, $3, $4, $5, $6::text::jsonb)
         ON CONFLICT (event_id, user_id) DO NOTHING RETURNING ${COLUMNS}`,
        [n.userId, n.eventId, n.type, n.title, n.body, JSON.stringify(n.data)],
      );
      return rows[0] ? stored(rows[0]) : null;
    },

    /** Newest first, `limit + 1` rows so the caller knows whether another page exists. */
    async page(userId: string, q: { limit: number; beforeSeq?: number | undefined; unread?: boolean | undefined }) {
      const params: unknown[] = [userId, q.limit + 1];
      let where = 'user_id = $1';
      if (q.beforeSeq !== undefined) {
        params.push(q.beforeSeq);
        where += ` AND seq < $${params.length}`;
      }
      if (q.unread) where += ' AND read_at IS NULL';
      const rows = await sql.query<Row>(
        `SELECT ${COLUMNS} FROM notices WHERE ${where} ORDER BY seq DESC LIMIT $2`,
        params,
      );
      return rows.map(stored);
    },

    async get(userId: string, id: string): Promise<StoredNotice | null> {
      const rows = await sql.query<Row>(`SELECT ${COLUMNS} FROM notices WHERE id = $1 AND user_id = $2`, [id, userId]);
      return rows[0] ? stored(rows[0]) : null;
    },

    /** Someone else's notice is simply not found. The first read time is kept. */
    async setRead(userId: string, id: string, read: boolean): Promise<StoredNotice | null> {
      const rows = await sql.query<Row>(
        `UPDATE notices SET read_at = CASE WHEN $3::boolean THEN COALESCE(read_at, now()) ELSE NULL END
         WHERE id = $1 AND user_id = $2 RETURNING ${COLUMNS}`,
        [id, userId, read],
      );
      return rows[0] ? stored(rows[0]) : null;
    },

    async markAllRead(userId: string): Promise<number> {
      const rows = await sql.query(
        'UPDATE notices SET read_at = now() WHERE user_id = $1 AND read_at IS NULL RETURNING id',
        [userId],
      );
      return rows.length;
    },

    /** What a stream starts from: the unread count and the newest position (where live notices take over). */
    async feedState(userId: string): Promise<{ unread: number; lastSeq: number }> {
      const rows = await sql.query<{ unread: number | string; lastSeq: number | bigint | string | null }>(
        `SELECT (SELECT count(*)::int FROM notices WHERE user_id = $1 AND read_at IS NULL) AS unread,
                (SELECT max(seq) FROM notices WHERE user_id = $1) AS "lastSeq"`,
        [userId],
      );
      return { unread: Number(rows[0]?.unread ?? 0), lastSeq: Number(rows[0]?.lastSeq ?? 0) };
    },

    async unreadCount(userId: string): Promise<number> {
      const rows = await sql.query<{ n: number | string }>(
        'SELECT count(*)::int AS n FROM notices WHERE user_id = $1 AND read_at IS NULL',
        [userId],
      );
      return Number(rows[0]?.n ?? 0);
    },

    /** For each user, the notices after a position, oldest first, at most `limit` each (open streams catching up). */
    async afterEach(from: Map<string, number>, limit: number): Promise<StoredNotice[]> {
      const rows = await sql.query<Row>(
        `SELECT n.* FROM unnest($1::uuid[], $2::bigint[]) AS f(user_id, after_seq)
         CROSS JOIN LATERAL (
           SELECT ${COLUMNS} FROM notices WHERE user_id = f.user_id AND seq > f.after_seq ORDER BY seq LIMIT $3
         ) n
         ORDER BY n.seq`,
        [[...from.keys()], [...from.values()], limit],
      );
      return rows.map(stored);
    },

    /** Notices after a stream event id, oldest first (Last-Event-ID replay). */
    async after(userId: string, afterSeq: number, limit: number): Promise<StoredNotice[]> {
      const rows = await sql.query<Row>(
        `SELECT ${COLUMNS} FROM notices WHERE user_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`,
        [userId, afterSeq, limit],
      );
      return rows.map(stored);
    },
  };
}
