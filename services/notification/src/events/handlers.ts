// notifications_queue, consumed through the inbox: each event, once, becomes stored notices and queued mails/SMS;
// after the commit, the live push to open streams and a dispatcher wake-up.
import type { EventHandlers, HandlerContext, Sql } from '@microbazaar/kit';
import type { LiveFanout } from '../adapters/live.js';
import { NOTIFYING_EVENTS, type NotifyingEventOf } from '../domain/notices.js';
import type { Notifier } from '../usecases/notify.js';

/** The queue's bindings: the notifying events, and order.created for the order read model. */
export const BINDINGS = [...NOTIFYING_EVENTS, 'order.created'] as const;

export interface AfterCommit {
  /** the live fan-out to every instance's open streams */
  live: Pick<LiveFanout, 'publish'>;
  /** mails or SMS were queued: the dispatcher sends them now rather than at its next sweep */
  wake(): void;
}

export function notificationHandlers(notifier: Notifier, after: AfterCommit): EventHandlers {
  const run = async (tx: Sql, event: NotifyingEventOf, ctx: HandlerContext) => {
    const { outcome, produced } = await notifier.notify(tx, event);
    if (produced.notices.length) {
      // not awaited: a slow or unreachable Redis costs only the live push (streams replay from Last-Event-ID
      // and catch up on reconnect), never the ack
      ctx.afterCommit(() => {
        after.live
          .publish(produced.notices)
          .catch((err: unknown) => ctx.log.warn({ err: (err as Error).message }, 'live notice push failed'));
      });
    }
    if (produced.queued) ctx.afterCommit(after.wake);
    return outcome;
  };
  return {
    'order.created': (tx, event) => notifier.recordOrder(tx, event),
    'user.registered': run,
    'user.password_reset_requested': run,
    'order.confirmed': run,
    'order.cancelled': run,
    'order.shipped': run,
    'order.delivered': run,
    'payment.failed': run,
    'payment.refunded': run,
  } satisfies Required<Pick<EventHandlers, (typeof BINDINGS)[number]>>;
}
