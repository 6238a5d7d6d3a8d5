// For admins: emails and SMS that could not be sent after every retry, and queueing one again.
import { Conflict, type Db, decodeCursor, invalidCursor, isUuid, keysetPage, NotFound } from '@microbazaar/kit';
import { type DeliveryChannel, type DeliveryRecord, deliveryStore } from '../store/deliveries.js';

/**
 * A failure time as this list writes it (toISOString, 1970–9999): Date.parse alone takes "+275760-09-13" or
 * "2024-02-30", which PostgreSQL rejects (a 500 instead of the invalid-cursor 400).
 */
function isCursorTime(value: string): boolean {
  const ms = Date.parse(value);
  return /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/.test(value) && ms >= 0 && new Date(ms).toISOString() === value;
}

export function createFailures(deps: { db: Db; onRequeued(): void }) {
  const { db } = deps;
  return {
    /** Most recent first; the cursor is the failure time at millisecond precision and the id. */
    async list(q: {
      limit: number;
      cursor?: string | undefined;
      channel?: DeliveryChannel | undefined;
    }): Promise<{ items: DeliveryRecord[]; nextCursor: string | null }> {
      let before: { failedAt: string; id: string } | undefined;
      if (q.cursor) {
        const [failedAt, id] = decodeCursor(q.cursor, ['string', 'string']) as [string, string];
        if (!isUuid(id) || !isCursorTime(failedAt)) throw invalidCursor();
        before = { failedAt, id };
      }
      const rows = await deliveryStore(db).failures({ limit: q.limit, before, channel: q.channel });
      // failed rows always carry their failure time
      return keysetPage(rows, q.limit, (f) => [f.failedAt ?? '', f.id]);
    },

    /** Back in the queue with a fresh set of attempts; 409 when it is not failed or its secret content is gone. */
    async retry(id: string): Promise<DeliveryRecord> {
      const result = await db.transaction((tx) => deliveryStore(tx).requeue(id));
      if (!result.record) throw new NotFound('Delivery not found');
      if (result.reason === 'not_failed') throw new Conflict(`The delivery is ${result.record.status}, not failed`);
      if (result.reason === 'content_wiped') {
        throw new Conflict(
          'This message held a secret (a password reset link) and was discarded; the user can ask for a new one',
          'CONTENT_DISCARDED',
        );
      }
      deps.onRequeued();
      return result.record;
    },
  };
}

export type Failures = ReturnType<typeof createFailures>;
