// SQL for the email/SMS queue: rows written in the event's transaction, claimed with a lease, settled once.
import type { Sql } from '@microbazaar/kit';

export type DeliveryChannel = 'email' | 'sms';
export type DeliveryStatus = 'pending' | 'sending' | 'sent' | 'failed';

export interface NewDelivery {
  eventId: string;
  eventType: string;
  userId: string | null;
  channel: DeliveryChannel;
  recipient: string;
  subject: string | null;
  text: string;
  html: string | null;
  sensitive: boolean;
  expiresAt: Date | null;
  correlationId: string | null;
}

/** A claimed row: everything needed to send it. */
export interface DueDelivery {
  id: string;
  eventId: string;
  eventType: string;
  channel: DeliveryChannel;
  recipient: string;
  subject: string | null;
  text: string | null;
  html: string | null;
  sensitive: boolean;
  attempts: number;
  expiresAt: Date | null;
  correlationId: string | null;
}

/** A row as the admin API and the tests see it (never its content). */
export interface DeliveryRecord {
  id: string;
  eventId: string;
  eventType: string;
  userId: string | null;
  channel: DeliveryChannel;
  recipient: string;
  subject: string | null;
  status: DeliveryStatus;
  attempts: number;
  lastError: string | null;
  createdAt: string;
  sentAt: string | null;
  failedAt: string | null;
}

const FAILED_MS = "date_trunc('milliseconds', failed_at)";
const RECORD = `id, event_id AS "eventId", event_type AS "eventType", user_id AS "userId", channel, recipient,
  subject, status, attempts, last_error AS "lastError", created_at AS "createdAt", sent_at AS "sentAt",
  failed_at AS "failedAt"`;

type RecordRow = Omit<DeliveryRecord, 'createdAt' | 'sentAt' | 'failedAt'> & {
  createdAt: Date;
  sentAt: Date | null;
  failedAt: Date | null;
};

const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);

function record(r: RecordRow): DeliveryRecord {
  return { ...r, createdAt: iso(r.createdAt) as string, sentAt: iso(r.sentAt), failedAt: iso(r.failedAt) };
}

// Sensitive content (a password reset link) does not outlive the send: wiped once the row is final.
const WIPE = `body_text = CASE WHEN sensitive THEN NULL ELSE body_text END,
              body_html = CASE WHEN sensitive THEN NULL ELSE body_html END`;

export function deliveryStore(sql: Sql) {
  return {
    /** false when this event already queued this message (a redelivery). */
    async insert(d: NewDelivery): Promise<boolean> {
      const rows = await sql.query(
        `INSERT INTO deliveries (event_id, event_type, user_id, channel, recipient, subject, body_text, body_html,
           sensitive, expires_at, correlation_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
         ON CONFLICT (event_id, channel, recipient) DO NOTHING RETURNING id`,
        [
          d.eventId,
          d.eventType,
          d.userId,
          d.channel,
          d.recipient,
          d.subject,
          d.text,
          d.html,
          d.sensitive,
          d.expiresAt,
          d.correlationId,
        ],
      );
      return rows.length > 0;
    },

    /**
     * Claims up to `limit` due rows (pending and due, or sending with a lapsed lease) for this
     * instance: counts the attempt and sets the lease. SKIP LOCKED lets instances claim side by side.
     */
    async claimDue(limit: number, leaseMs: number): Promise<DueDelivery[]> {
      return sql.query<DueDelivery>(
        `UPDATE deliveries d SET status = 'sending', attempts = d.attempts + 1,
           lease_until = now() + ($2::bigint * interval '1 millisecond'), updated_at = now()
         WHERE d.id IN (
           SELECT id FROM deliveries
            WHERE (status = 'pending' AND next_attempt_at <= now()) OR (status = 'sending' AND lease_until < now())
            ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED)
         RETURNING d.id, d.event_id AS "eventId", d.event_type AS "eventType", d.channel, d.recipient, d.subject,
           d.body_text AS text, d.body_html AS html, d.sensitive, d.attempts, d.expires_at AS "expiresAt",
           d.correlation_id AS "correlationId"`,
        [limit, leaseMs],
      );
    },

    /** Settles a claim (an earlier attempt's error stays as history); ignored when the lease lapsed and another claim (a later attempt) owns the row. */
    async markSent(id: string, attempt: number, providerId: string | null): Promise<boolean> {
      const rows = await sql.query(
        `UPDATE deliveries SET status = 'sent', sent_at = now(), provider_id = $3,
           lease_until = NULL, updated_at = now(), ${WIPE}
         WHERE id = $1 AND status = 'sending' AND attempts = $2 RETURNING id`,
        [id, attempt, providerId],
      );
      return rows.length > 0;
    },

    async markRetry(id: string, attempt: number, error: string, nextAttemptAt: Date): Promise<boolean> {
      const rows = await sql.query(
        `UPDATE deliveries SET status = 'pending', last_error = $3, next_attempt_at = $4, lease_until = NULL,
           updated_at = now()
         WHERE id = $1 AND status = 'sending' AND attempts = $2 RETURNING id`,
        [id, attempt, error.slice(0, 2000), nextAttemptAt],
      );
      return rows.length > 0;
    },

    async markFailed(id: string, attempt: number, error: string): Promise<boolean> {
      const rows = await sql.query(
        `UPDATE deliveries SET status = 'failed', failed_at = now(), last_error = $3, lease_until = NULL,
           updated_at = now(), ${WIPE}
         WHERE id = $1 AND status = 'sending' AND attempts = $2 RETURNING id`,
        [id, attempt, error.slice(0, 2000)],
      );
      return rows.length > 0;
    },

    /**
     * Failed rows, most recent first; `limit + 1` so the caller knows whether another page exists.
     * Ordered by the failure time at millisecond precision, the cursor's: rows failed within one
     * millisecond are told apart by id instead of being skipped between pages.
     */
    async failures(q: {
      limit: number;
      before?: { failedAt: string; id: string } | undefined;
      channel?: DeliveryChannel | undefined;
    }): Promise<DeliveryRecord[]> {
      const params: unknown[] = [q.limit + 1];
      let where = "status = 'failed'";
      if (q.before) {
        params.push(q.before.failedAt, q.before.id);
        where += ` AND (${FAILED_MS}, id) < ($${params.length - 1}::timestamptz, $${params.length}::uuid)`;
      }
      if (q.channel) {
        params.push(q.channel);
        where += ` AND channel = $${params.length}`;
      }
      const rows = await sql.query<RecordRow>(
        `SELECT ${RECORD} FROM deliveries WHERE ${where} ORDER BY ${FAILED_MS} DESC, id DESC LIMIT $1`,
        params,
      );
      return rows.map(record);
    },

    /** Puts a failed row back in the queue with a fresh set of attempts. */
    async requeue(id: string): Promise<{ record: DeliveryRecord | null; reason?: 'not_failed' | 'content_wiped' }> {
      const rows = await sql.query<RecordRow & { hasContent: boolean }>(
        `SELECT ${RECORD}, body_text IS NOT NULL AS "hasContent" FROM deliveries WHERE id = $1 FOR UPDATE`,
        [id],
      );
      const row = rows[0];
      if (!row) return { record: null };
      if (row.status !== 'failed') return { record: record(row), reason: 'not_failed' };
      if (!row.hasContent) return { record: record(row), reason: 'content_wiped' };
      const updated = await sql.query<RecordRow>(
        `UPDATE deliveries SET status = 'pending', attempts = 0, next_attempt_at = now(), failed_at = NULL,
           updated_at = now()
         WHERE id = $1 RETURNING ${RECORD}`,
        [id],
      );
      return { record: record(updated[0] as RecordRow) };
    },

    /** Deletes up to `limit` rows sent before `before`; returns how many. */
    async deleteSent(before: Date, limit: number): Promise<number> {
      const rows = await sql.query(
        `DELETE FROM deliveries WHERE id IN (
           SELECT id FROM deliveries WHERE status = 'sent' AND sent_at < $1 LIMIT $2) RETURNING id`,
        [before, limit],
      );
      return rows.length;
    },

    async forEvent(eventId: string): Promise<DeliveryRecord[]> {
      const rows = await sql.query<RecordRow>(
        `SELECT ${RECORD} FROM deliveries WHERE event_id = $1 ORDER BY channel, recipient`,
        [eventId],
      );
      return rows.map(record);
    },
  };
}
