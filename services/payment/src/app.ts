// Composition root of the payment service: routes, the saga consumer on payments_queue, the outbox relay, recovery.
import { QUEUES } from '@microbazaar/contracts';
import {
  type App,
  type Bus,
  createServiceApp,
  type Db,
  type Logger,
  type OutboxRelay,
  type Periodic,
  serviceEvents,
  serviceMigrations,
  startPeriodic,
  startWorkers,
  type TokenVerifier,
  type WorkersOption,
} from '@microbazaar/kit';
import type { PaymentProvider } from './adapters/provider.js';
import { sandboxProvider } from './adapters/sandbox.js';
import { stripeProvider } from './adapters/stripe.js';
import { type PaymentConfig, providerName } from './config.js';
import { paymentSagaFastPaths, paymentSagaHandlers, paymentSagaInDoubt } from './events/handlers.js';
import { paymentRoutes } from './http/routes.js';
import { createPayments, type Payments } from './usecases/payments.js';

export const migrations = serviceMigrations(new URL('../migrations', import.meta.url));

/** The provider the configuration names: sandbox (default) or Stripe. */
export function providerFrom(config: PaymentConfig, db: Db): PaymentProvider {
  if (providerName(config) === 'stripe') {
    // loadConfig refuses a stripe configuration without them; this is for configurations built by hand
    if (!config.STRIPE_SECRET_KEY || !config.STRIPE_WEBHOOK_SECRET)
      throw new Error('PAYMENT_PROVIDER=stripe needs STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET');
    return stripeProvider({
      secretKey: config.STRIPE_SECRET_KEY,
      webhookSecret: config.STRIPE_WEBHOOK_SECRET,
      apiUrl: config.STRIPE_API_URL,
      timeoutMs: config.PAYMENT_PROVIDER_TIMEOUT_MS,
    });
  }
  return sandboxProvider({
    db,
    slowMs: config.SANDBOX_SLOW_MS ?? 2 * config.PAYMENT_PROVIDER_TIMEOUT_MS,
    transientFailures: config.SANDBOX_TRANSIENT_FAILURES,
  });
}

export interface PaymentDeps extends WorkersOption {
  config: PaymentConfig;
  logger: Logger;
  db: Db;
  bus: Bus;
  /** defaults to the one the configuration names */
  provider?: PaymentProvider;
  /** defaults to the auth service's JWKS at config.AUTH_JWKS_URL */
  verifier?: TokenVerifier;
}

export interface PaymentService {
  app: App;
  payments: Payments;
  provider: PaymentProvider;
  relay?: OutboxRelay;
  recovery?: Periodic;
}

export async function buildApp(deps: PaymentDeps): Promise<PaymentService> {
  const { config, logger, db, bus } = deps;
  const provider = deps.provider ?? providerFrom(config, db);
  const payments = createPayments({ db, provider, config, logger });
  const { app, guards } = await createServiceApp({
    name: 'payment',
    description: 'Payment providers (sandbox, Stripe), charges, refunds and webhooks',
    config,
    logger,
    verifier: deps.verifier,
    readiness: { db: () => db.ping(), bus: () => bus.ping() },
  });
  paymentRoutes(app, { payments, guards, provider });

  if (deps.workers === false) return { app, payments, provider };
  const events = serviceEvents({ app, db, bus, logger, config });
  const workers = await startWorkers(app, async (add) => {
    const relay = add(await events.relay());
    const recovery = add(
      startPeriodic(
        'recover-payments',
        config.PAYMENT_RECOVERY_INTERVAL_MS,
        async () => {
          const recovered = await payments.recover();
          if (recovered) logger.info({ recovered }, 'half-done charges and refunds taken over');
        },
        logger,
      ),
    );
    // started last, stopped first: no new events while recovery and the relay finish
    add(
      await events.consume(QUEUES.payments, paymentSagaHandlers(payments), paymentSagaFastPaths(payments), {
        inDoubt: paymentSagaInDoubt(payments),
      }),
    );
    return { relay, recovery };
  });
  return { app, payments, provider, ...workers };
}
