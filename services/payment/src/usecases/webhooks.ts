// A provider's verified webhook: settles the charge or refund it reports, once per provider event id.
import type { Db } from '@microbazaar/kit';
import type { WebhookNews } from '../adapters/provider.js';
import { paymentStore } from '../store/payments.js';
import type { Decisions } from './decisions.js';
import type { ProviderCalls } from './provider-calls.js';

export function createWebhooks(deps: { db: Db; providerName: string; decisions: Decisions; calls: ProviderCalls }) {
  const { db, providerName, decisions, calls } = deps;
  return {
    async applyWebhook(news: WebhookNews): Promise<'applied' | 'duplicate' | 'ignored'> {
      if (news.kind === 'ignored') return 'ignored';
      const outcome = await db.transaction(async (tx) => {
        const store = paymentStore(tx);
        if (!(await store.claimProviderEvent(providerName, news.eventId, news.type)))
          return { status: 'duplicate' as const };
        if (news.kind === 'charge') {
          const p =
            (await store.byProviderRef(news.reference)) ?? (news.orderId ? await store.byOrder(news.orderId) : null);
          if (!p) return { status: 'ignored' as const };
          return { status: 'applied' as const, job: await decisions.settleCharge(tx, p.id, news.result) };
        }
        const p = await store.byProviderRef(news.chargeReference);
        if (!p) return { status: 'ignored' as const };
        await decisions.settleRefund(tx, p.id, { outcome: 'refunded', reference: news.reference });
        return { status: 'applied' as const };
      });
      // a refund the late capture needs runs after the commit, like the saga's jobs
      if ('job' in outcome && outcome.job) await calls.run(outcome.job);
      return outcome.status;
    },
  };
}
