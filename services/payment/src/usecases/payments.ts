// The payment use cases in one object for the routes, the consumer and the recovery worker: the saga's
// inputs (saga.ts) decide (decisions.ts), the provider is called outside any transaction (provider-calls.ts),
// webhooks settle what the provider finished later (webhooks.ts); reading payments is here.
import { type Db, idFromCursor, keysetPage, type Logger, NotFound, type Principal } from '@microbazaar/kit';
import type { PaymentProvider } from '../adapters/provider.js';
import { leaseMs, type PaymentConfig } from '../config.js';
import type { Payment } from '../domain/payment.js';
import { paymentStore } from '../store/payments.js';
import { createDecisions } from './decisions.js';
import { createProviderCalls } from './provider-calls.js';
import { createSagaSteps } from './saga.js';
import { createWebhooks } from './webhooks.js';

export type PaymentsConfig = Pick<
  PaymentConfig,
  'PAYMENT_PROVIDER_TIMEOUT_MS' | 'PAYMENT_CHARGE_ATTEMPTS' | 'PAYMENT_RETRY_BASE_MS' | 'PAYMENT_PROCESSING_RECHECK_MS'
>;

export interface PaymentsDeps {
  db: Db;
  provider: PaymentProvider;
  config: PaymentsConfig;
  logger: Logger;
}

export function createPayments({ db, provider, config, logger }: PaymentsDeps) {
  const lease = leaseMs(config);
  const recheck = config.PAYMENT_PROCESSING_RECHECK_MS;
  const decisions = createDecisions({ lease, recheck, logger });
  const calls = createProviderCalls({ db, provider, decisions, config, lease, recheck, logger });
  return {
    ...createSagaSteps({ decisions, providerName: provider.name, lease }),
    ...calls,
    ...createWebhooks({ db, providerName: provider.name, decisions, calls }),

    /** The payments of an order (its buyer or an admin), or the caller's payments, newest first. */
    async list(
      principal: Principal,
      q: { orderId?: string | undefined; limit: number; cursor?: string | undefined },
    ): Promise<{ items: Payment[]; nextCursor: string | null }> {
      const admin = principal.role === 'admin';
      if (q.orderId) {
        const p = await paymentStore(db).byOrder(q.orderId);
        if (!p || (!admin && p.userId !== principal.userId))
          throw new NotFound('Payment not found', 'PAYMENT_NOT_FOUND');
        return { items: [p], nextCursor: null };
      }
      const rows = await paymentStore(db).page({
        limit: q.limit,
        afterId: idFromCursor(q.cursor),
        userId: admin ? undefined : principal.userId,
      });
      return keysetPage(rows, q.limit, (p) => [p.id]);
    },
  };
}

export type Payments = ReturnType<typeof createPayments>;
