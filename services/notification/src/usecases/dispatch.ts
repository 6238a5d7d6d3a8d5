// Sends queued emails and SMS apart from event handling, so a slow or dead mail server never holds up acks.
import { type Db, type Logger, wakeLoop } from '@microbazaar/kit';
import { Counter, type Registry } from 'prom-client';
import { type Channel, PermanentSendError } from '../adapters/channel.js';
import { afterFailure, type DeliveryPolicy } from '../domain/delivery.js';
import { type DeliveryChannel, type DueDelivery, deliveryStore } from '../store/deliveries.js';

export interface DispatcherOptions {
  db: Db;
  channels: Record<DeliveryChannel, Channel>;
  policy: DeliveryPolicy;
  /** sends in flight at once */
  concurrency: number;
  /** looks for due retries (and rows left by another instance) this often */
  sweepIntervalMs: number;
  /** a claim older than this is presumed lost and claimed again */
  leaseMs: number;
  /** sent rows older than this are deleted (0 keeps them) */
  retentionMs: number;
  logger: Logger;
  registry?: Registry;
}

export interface Dispatcher {
  /** Asks for a round now (after an event queued something). */
  wake(): void;
  /** Sends everything due now; resolves when the round is over (tests, shutdown). */
  flush(): Promise<void>;
  stop(): Promise<void>;
}

function errorText(err: unknown): string {
  const e = err as { message?: string; code?: string; responseCode?: number };
  const code = e.responseCode ?? e.code;
  return `${code ? `${code} ` : ''}${e.message ?? String(err)}`.slice(0, 2000);
}

export function startDispatcher(opts: DispatcherOptions): Dispatcher {
  const { db, channels, policy } = opts;
  const log = opts.logger;
  const store = deliveryStore(db);
  const outcomes = opts.registry
    ? new Counter({
        name: 'notification_deliveries_total',
        help: 'Email and SMS send attempts by channel and outcome (sent, retry, failed)',
        labelNames: ['channel', 'outcome'] as const,
        registers: [opts.registry],
      })
    : undefined;

  let failing = false;
  let lastCleanup = 0;

  /** At most every ten minutes, one bounded delete of old sent rows (failed ones stay for the admins). */
  const cleanup = async () => {
    if (opts.retentionMs <= 0 || Date.now() - lastCleanup < 600_000) return;
    lastCleanup = Date.now();
    const deleted = await store.deleteSent(new Date(Date.now() - opts.retentionMs), 10_000);
    if (deleted) log.info({ deleted }, 'old sent deliveries deleted');
  };

  const settle = async (d: DueDelivery): Promise<void> => {
    const channel = channels[d.channel];
    if (d.expiresAt && new Date(d.expiresAt).getTime() <= Date.now()) {
      await store.markFailed(d.id, d.attempts, 'expired before it could be sent');
      outcomes?.inc({ channel: d.channel, outcome: 'failed' });
      return;
    }
    try {
      const receipt = await channel.send({
        id: d.id,
        to: d.recipient,
        subject: d.subject,
        text: d.text ?? '',
        html: d.html,
        correlationId: d.correlationId,
      });
      await store.markSent(d.id, d.attempts, receipt.providerId ?? null);
      outcomes?.inc({ channel: d.channel, outcome: 'sent' });
    } catch (err) {
      const permanent = err instanceof PermanentSendError;
      const next = afterFailure(policy, d.attempts, permanent, new Date());
      const error = errorText(err);
      const fields = { deliveryId: d.id, eventId: d.eventId, channel: d.channel, attempt: d.attempts, error };
      if (next.status === 'failed') {
        await store.markFailed(d.id, d.attempts, error);
        outcomes?.inc({ channel: d.channel, outcome: 'failed' });
        log.error({ ...fields, correlationId: d.correlationId }, 'notification delivery failed for good');
      } else {
        await store.markRetry(d.id, d.attempts, error, next.nextAttemptAt);
        outcomes?.inc({ channel: d.channel, outcome: 'retry' });
        log.warn({ ...fields, retryAt: next.nextAttemptAt.toISOString() }, 'notification delivery failed, will retry');
      }
    }
  };

  /** Claims and sends batches until nothing is due. */
  const drain = async (): Promise<void> => {
    // loop is defined below; drain only runs through it, after that
    while (!loop.stopped) {
      let batch: DueDelivery[];
      try {
        batch = await store.claimDue(opts.concurrency, opts.leaseMs);
        if (failing) log.info('notification dispatcher recovered');
        failing = false;
      } catch (err) {
        // the database is away: the sweep tries again
        if (!failing) log.warn({ err: (err as Error).message }, 'notification dispatcher cannot claim deliveries');
        failing = true;
        return;
      }
      if (batch.length === 0) return;
      await Promise.all(
        batch.map((d) =>
          settle(d).catch((err: unknown) => {
            // recording the outcome failed: the lease lapses and the row is claimed again
            log.warn({ deliveryId: d.id, err: (err as Error).message }, 'could not record a delivery outcome');
          }),
        ),
      );
      if (batch.length < opts.concurrency) return;
    }
  };

  const loop = wakeLoop(async () => {
    await drain();
    await cleanup().catch((err: Error) => log.warn({ err: err.message }, 'delivery cleanup failed'));
  }, opts.sweepIntervalMs);
  const wake = loop.wake;
  wake();

  return {
    wake,
    async flush() {
      await loop.idle();
      await drain();
    },
    stop: () => loop.stop(),
  };
}
