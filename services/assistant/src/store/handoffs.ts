// SQL of hand-over requests: a customer asked for a person; support reads them newest first.
import type { Sql } from '@microbazaar/kit';
import type { StoredMessage } from './conversations.js';

export interface Handoff {
  id: string;
  conversationId: string;
  userId: string | null;
  email: string | null;
  message: string;
  transcript: StoredMessage[];
  status: 'open' | 'closed';
  createdAt: string;
}

interface Row {
  id: string;
  conversation_id: string;
  user_id: string | null;
  email: string | null;
  message: string;
  transcript: StoredMessage[] | string;
  status: 'open' | 'closed';
  created_at: Date | string;
}

const iso = (v: Date | string) => (v instanceof Date ? v.toISOString() : new Date(v).toISOString());

export function handoffsStore(sql: Sql) {
  return {
    async create(h: Omit<Handoff, 'status' | 'createdAt'>): Promise<void> {
      await sql.query(
        `INSERT INTO handoffs (id, conversation_id, user_id, email, message, transcript)
         VALUES ($1, $2, $3, $4, $5, $6::jsonb)`,
        [h.id, h.conversationId, h.userId, h.email, h.message, JSON.stringify(h.transcript)],
      );
    },

    /** Newest first; `after` is the (createdAt, id) of the last item of the previous page. */
    async list(limit: number, after?: { createdAt: string; id: string }): Promise<Handoff[]> {
      const rows = await sql.query<Row>(
        `SELECT * FROM handoffs
         WHERE $2::timestamptz IS NULL OR (created_at, id) < ($2::timestamptz, $3::uuid)
         ORDER BY created_at DESC, id DESC LIMIT $1`,
        [limit, after?.createdAt ?? null, after?.id ?? null],
      );
      return rows.map((r) => ({
        id: r.id,
        conversationId: r.conversation_id,
        userId: r.user_id,
        email: r.email,
        message: r.message,
        transcript: typeof r.transcript === 'string' ? JSON.parse(r.transcript) : r.transcript,
        status: r.status,
        createdAt: iso(r.created_at),
      }));
    },
  };
}

export type HandoffsStore = ReturnType<typeof handoffsStore>;
