// Composition root of the payment service: routes, the saga consumer on payments_queue, the outbox relay, recovery.
import { fileURLToPath } from 'node:url';
import { QUEUES } from '@microbazaar/contracts';
import {
  type App,
  type Bus,
  busMetrics,
  createApp,
  createGuards,
  createJwksVerifier,
  type Db,
  eventsMigrations,
  installEventContext,
  type Logger,
  migrate,
  type OutboxRelay,
  outboxOptionsFrom,
  type Periodic,
  retryPolicyFrom,
  startOutboxRelay,
  startPeriodic,
  startWorkers,
  type TokenVerifier,
} from '@microbazaar/kit';
import { type PaymentConfig, providerName } from './config.js';
import { paymentDeliveryHandler, paymentSagaHandlers } from './events/handlers.js';
import { paymentRoutes } from './http/routes.js';
import { createPayments, type Payments } from './payments.js';
import type { PaymentProvider } from './providers/provider.js';
import { sandboxProvider } from './providers/sandbox.js';
import { stripeProvider } from './providers/stripe.js';

export const MIGRATIONS_DIR = fileURLToPath(new URL('../migrations', import.meta.url));

export function migratePayment(db: Db): Promise<string[]> {
  return migrate(db, MIGRATIONS_DIR, { include: [eventsMigrations] });
}

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

export interface PaymentDeps {
  config: PaymentConfig;
  logger: Logger;
  db: Db;
  bus: Bus;
  /** defaults to the one the configuration names */
  provider?: PaymentProvider;
  /** defaults to the auth service's JWKS at config.AUTH_JWKS_URL */
  verifier?: TokenVerifier;
  /** consume payments_queue, relay the outbox and run recovery (default true) */
  workers?: boolean;
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
  const verifier =
    deps.verifier ??
    createJwksVerifier(config.AUTH_JWKS_URL, { issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE });

  const app: App = await createApp({
    name: 'payment',
    logger,
    description: 'Payment providers (sandbox, Stripe), charges, refunds and webhooks',
    bodyLimit: config.BODY_LIMIT_BYTES,
    trustProxy: config.TRUST_PROXY,
    readiness: { db: () => db.ping(), bus: () => bus.ping() },
  });
  installEventContext(app);
  paymentRoutes(app, { payments, guards: createGuards(verifier), provider });

  if (deps.workers === false) return { app, payments, provider };

  const metrics = busMetrics(app.metrics.registry);
  const { relay, recovery } = await startWorkers(app, async (add) => {
    const relay = add(await startOutboxRelay({ db, bus, logger, metrics, ...outboxOptionsFrom(config) }));
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
      await bus.subscribe({
        queue: QUEUES.payments,
        bindings: Object.keys(paymentSagaHandlers(payments, () => {})),
        handler: paymentDeliveryHandler(db, QUEUES.payments, payments),
        logger,
        metrics,
        ...retryPolicyFrom(config),
      }),
    );
    return { relay, recovery };
  });
  return { app, payments, provider, relay, recovery };
}
