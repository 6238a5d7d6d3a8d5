// SQL of conversations and their messages; a conversation lives until `expires_at`, renewed by every turn.
import type { Db } from '@microbazaar/kit';
import type { ProductCard } from '../domain/catalog.js';
import { type ConversationState, readState } from '../domain/conversation.js';

export interface Conversation {
  id: string;
  /** null: a guest's, reachable by whoever holds the id */
  ownerId: string | null;
  state: ConversationState;
  expiresAt: string;
}

export interface ChatAction {
  type: 'cancel_order' | 'add_to_cart' | 'handoff';
  orderId?: string;
  productId?: string;
  status: 'proposed' | 'done' | 'failed';
}

export interface StoredMessage {
  role: 'user' | 'assistant';
  text: string;
  intent?: string | undefined;
  products?: ProductCard[] | undefined;
  actions?: ChatAction[] | undefined;
  at?: string;
}

const iso = (v: Date | string) => (v instanceof Date ? v.toISOString() : new Date(v).toISOString());

/**
 * A chat turn is worth less than a disk flush: its commit is asynchronous (`synchronous_commit` off for
 * that transaction only), so a turn never waits behind the WAL flushes of a busy server. A PostgreSQL
 * crash can lose the last fraction of a second of turns (a follow-up then starts afresh, and a proposed
 * cancel is forgotten, never done); nothing is ever half-written. Hand-overs and events stay synchronous.
 */
export function conversationsStore(sql: Db) {
  return {
    /** The conversation, unless it does not exist or has expired. */
    async get(id: string): Promise<Conversation | undefined> {
      const [row] = await sql.query<{ id: string; owner_id: string | null; state: unknown; expires_at: Date | string }>(
        'SELECT id, owner_id, state, expires_at FROM conversations WHERE id = $1 AND expires_at > now()',
        [id],
      );
      if (!row) return undefined;
      const state = typeof row.state === 'string' ? JSON.parse(row.state) : row.state;
      return { id: row.id, ownerId: row.owner_id, state: readState(state), expiresAt: iso(row.expires_at) };
    },

    /**
     * Stores a turn in one statement: the conversation (created by its first turn; a guest's becomes
     * the customer's who continues it), the messages, the new memory and a renewed expiry.
     */
    async saveTurn(
      id: string,
      ownerId: string | null,
      state: ConversationState,
      messages: readonly StoredMessage[],
      ttlMs: number,
    ) {
      await sql.transaction(async (tx) => {
        await tx.query("SELECT set_config('synchronous_commit', 'off', true)");
        await tx.query(
          `WITH turn AS (
           INSERT INTO conversations (id, owner_id, state, expires_at)
           VALUES ($1, $5, $2::jsonb, now() + make_interval(secs => $4::double precision / 1000))
           ON CONFLICT (id) DO UPDATE SET state = excluded.state, updated_at = now(),
             expires_at = excluded.expires_at, owner_id = COALESCE(conversations.owner_id, excluded.owner_id)
           WHERE conversations.owner_id IS NULL OR conversations.owner_id = excluded.owner_id
           RETURNING id)
         INSERT INTO messages (conversation_id, role, text, intent, products, actions, at)
         SELECT turn.id, m.msg->>'role', m.msg->>'text', m.msg->>'intent', m.msg->'products', m.msg->'actions', clock_timestamp()
         FROM turn, jsonb_array_elements($3::jsonb) WITH ORDINALITY AS m(msg, n)
         ORDER BY m.n`,
          [id, JSON.stringify(state), JSON.stringify(messages), ttlMs, ownerId],
        );
      });
    },

    async messages(id: string, limit = 200): Promise<Array<StoredMessage & { at: string }>> {
      const rows = await sql.query<{
        role: 'user' | 'assistant';
        text: string;
        intent: string | null;
        products: ProductCard[] | null;
        actions: ChatAction[] | null;
        at: Date | string;
      }>(
        `SELECT role, text, intent, products, actions, at FROM (
           SELECT * FROM messages WHERE conversation_id = $1 ORDER BY id DESC LIMIT $2) recent ORDER BY id`,
        [id, limit],
      );
      return rows.map((r) => ({
        role: r.role,
        text: r.text,
        ...(r.intent ? { intent: r.intent } : {}),
        ...(r.products?.length ? { products: r.products } : {}),
        ...(r.actions?.length ? { actions: r.actions } : {}),
        at: iso(r.at),
      }));
    },

    /** Deletes expired conversations (their messages go with them), a batch at a time. */
    async deleteExpired(limit = 1000): Promise<number> {
      const rows = await sql.query(
        `DELETE FROM conversations WHERE id IN (
           SELECT id FROM conversations WHERE expires_at <= now() ORDER BY expires_at LIMIT $1) RETURNING id`,
        [limit],
      );
      return rows.length;
    },
  };
}

export type ConversationsStore = ReturnType<typeof conversationsStore>;
