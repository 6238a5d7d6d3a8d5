// Composition root of the notification service: routes, live streams, and the workers: the dispatcher that sends
// queued emails/SMS and the notifications_queue consumer.
import { join } from 'node:path';
import { QUEUES } from '@microbazaar/contracts';
import {
  type App,
  type Bus,
  type Cache,
  createServiceApp,
  type Db,
  type Logger,
  type Subscription,
  serviceEvents,
  serviceMigrations,
  startWorkers,
  type TokenVerifier,
  type WorkersOption,
} from '@microbazaar/kit';
import { Gauge } from 'prom-client';
import { createEmailChannel, type EmailChannel } from './adapters/email.js';
import { type LiveFanout, memoryFanout, redisFanout } from './adapters/live.js';
import { createMailbox } from './adapters/mailbox.js';
import { createSmsChannel, logProvider, type SmsProvider, twilioProvider } from './adapters/sms.js';
import { createTemplates, type Templates } from './adapters/templates.js';
import type { NotificationConfig } from './config.js';
import { NOTIFYING_EVENTS, TEXTED_EVENTS } from './domain/notices.js';
import { BINDINGS, notificationHandlers } from './events/handlers.js';
import { createAccess } from './http/access.js';
import { adminRoutes } from './http/admin.js';
import { devMailRoutes } from './http/devmail.js';
import { noticeRoutes } from './http/notices.js';
import { phoneRoutes } from './http/phone.js';
import { preferenceRoutes } from './http/preferences.js';
import { streamRoutes } from './http/stream.js';
import { type Dispatcher, startDispatcher } from './usecases/dispatch.js';
import { createFailures } from './usecases/failures.js';
import { createLive } from './usecases/live.js';
import { createNotices } from './usecases/notices.js';
import { createNotifier } from './usecases/notify.js';
import { createPreferences } from './usecases/preferences.js';
import { createRecipients } from './usecases/recipients.js';
import { StreamHub } from './usecases/streams.js';

export const migrations = serviceMigrations(new URL('../migrations', import.meta.url));

export interface NotificationDeps extends WorkersOption {
  config: NotificationConfig;
  logger: Logger;
  db: Db;
  /** stream tickets */
  cache: Cache;
  bus: Bus;
  /** live notices between instances; default Redis pub/sub with REDIS_URL, else in-process */
  live?: LiveFanout;
  /** default from SMTP_URL (or the embedded mailbox) */
  email?: EmailChannel;
  /** default from SMS_PROVIDER */
  sms?: SmsProvider;
  templates?: Templates;
  /** default: the auth service's JWKS at AUTH_JWKS_URL */
  verifier?: TokenVerifier;
}

export interface NotificationService {
  app: App;
  hub: StreamHub;
  email: EmailChannel;
  /** absent when built without workers */
  dispatcher?: Dispatcher;
  subscription?: Subscription;
}

export function mailDir(config: NotificationConfig): string {
  return config.MAIL_DIR ?? join(config.DATA_DIR, 'mail');
}

function defaultSms(config: NotificationConfig, logger: Logger): SmsProvider {
  if (config.SMS_PROVIDER === 'twilio') {
    return twilioProvider({
      accountSid: config.TWILIO_ACCOUNT_SID as string,
      authToken: config.TWILIO_AUTH_TOKEN as string,
      from: config.SMS_FROM as string,
      apiUrl: config.TWILIO_API_URL,
      timeoutMs: config.SMS_TIMEOUT_MS,
    });
  }
  return logProvider(join(config.DATA_DIR, 'sms.log'), logger);
}

/** Redis pub/sub with REDIS_URL; without it, in-process, which only serves one instance. */
function defaultLive(config: NotificationConfig, logger: Logger): LiveFanout {
  if (config.REDIS_URL) return redisFanout(config.REDIS_URL, config.LIVE_CHANNEL, logger);
  // RabbitMQ means a distributed deployment, likely with several instances behind the gateway
  if (config.RABBITMQ_URL) {
    logger.warn(
      'REDIS_URL is not set: live notices reach only streams on this instance; set REDIS_URL when running several instances',
    );
  }
  return memoryFanout();
}

function defaultEmail(config: NotificationConfig): EmailChannel {
  return createEmailChannel({
    smtpUrl: config.SMTP_URL,
    mailDir: mailDir(config),
    from: config.MAIL_FROM,
    poolSize: config.SMTP_POOL_SIZE,
    timeoutMs: config.SMTP_TIMEOUT_MS,
    tlsRejectUnauthorized: config.SMTP_TLS_REJECT_UNAUTHORIZED,
  });
}

export async function buildApp(deps: NotificationDeps): Promise<NotificationService> {
  const { config, logger, db, cache, bus } = deps;
  const templates = deps.templates ?? createTemplates();
  templates.check(NOTIFYING_EVENTS.map((type) => ({ type, email: true, sms: TEXTED_EVENTS.includes(type) })));

  const fanout = deps.live ?? defaultLive(config, logger);
  const email = deps.email ?? defaultEmail(config);
  const sms = createSmsChannel(deps.sms ?? defaultSms(config, logger));
  const hub = new StreamHub({ pingIntervalMs: config.STREAM_PING_INTERVAL_MS, maxPerUser: config.STREAM_MAX_PER_USER });

  /** What this build made itself (the caller closes what it passed in). */
  const closeOwned = async () => {
    hub.closeAll();
    if (!deps.email) await email.close();
    if (!deps.live) await fanout.close();
  };

  const { app, guards } = await createServiceApp({
    name: 'notification',
    description: 'Email, SMS and in-app notices from the shop events; preferences; a live stream',
    config,
    logger,
    verifier: deps.verifier,
    readiness: {
      db: () => db.ping(),
      cache: () => cache.ping(),
      bus: () => bus.ping(),
      live: () => fanout.ping(),
    },
  }).catch(async (err: unknown) => {
    await closeOwned();
    throw err;
  });
  // open streams would hold the server open: end them first, clients reconnect to another instance
  app.addHook('preClose', async () => hub.closeAll());
  // registered before the workers, so run after they stopped (onClose hooks run newest first): no send in flight
  app.addHook('onClose', closeOwned);
  new Gauge({
    name: 'notification_streams_open',
    help: 'Server-sent event streams open on this instance',
    registers: [app.metrics.registry],
    collect() {
      this.set(hub.size);
    },
  });

  // queued mails and SMS go out now rather than at the dispatcher's next sweep (none without workers)
  let dispatcher: Dispatcher | undefined;
  const wakeDispatcher = () => dispatcher?.wake();

  const live = createLive({ db, cache, hub, fanout, logger, ticketTtlSeconds: config.STREAM_TICKET_TTL_SECONDS });
  live.listen();
  const access = createAccess(guards, createRecipients(db, logger));
  noticeRoutes(app, { notices: createNotices(db), access });
  const preferences = createPreferences({
    db,
    limits: { perUserPerDay: config.SMS_PER_USER_PER_DAY, codesPerNumberPerDay: config.SMS_CODES_PER_NUMBER_PER_DAY },
    onQueued: wakeDispatcher,
  });
  preferenceRoutes(app, { preferences, access });
  phoneRoutes(app, { preferences, access });
  streamRoutes(app, { live, access });
  adminRoutes(app, { failures: createFailures({ db, onRequeued: wakeDispatcher }), access });
  // a try-it-out tool (an admin reads every user's mail there, reset links included): demo data only
  if (email.mode === 'file' && config.DEMO_DATA && config.NODE_ENV !== 'production') {
    devMailRoutes(app, { mailbox: createMailbox(mailDir(config)), access });
  }

  if (deps.workers === false) return { app, hub, email };
  const notifier = createNotifier({
    templates,
    links: { publicUrl: config.PUBLIC_URL },
    smsPerUserPerDay: config.SMS_PER_USER_PER_DAY,
  });
  const events = serviceEvents({ app, db, bus, logger, config });
  const workers = await startWorkers(app, async (add) => {
    const sender = add(
      startDispatcher({
        db,
        channels: { email, sms },
        policy: {
          maxAttempts: config.DELIVERY_MAX_ATTEMPTS,
          retryDelaysMs: config.DELIVERY_RETRY_DELAYS_MS.split(',').map((d) => Number(d.trim())),
        },
        concurrency: config.DELIVERY_CONCURRENCY,
        sweepIntervalMs: config.DELIVERY_SWEEP_INTERVAL_MS,
        leaseMs: config.DELIVERY_LEASE_MS,
        retentionMs: config.DELIVERY_RETENTION_DAYS * 86_400_000,
        logger,
        registry: app.metrics.registry,
      }),
    );
    dispatcher = sender;
    // started last, stopped first: no new events while the dispatcher finishes its sends
    const subscription = add(
      await events.consume(
        QUEUES.notifications,
        notificationHandlers(notifier, { live: fanout, wake: wakeDispatcher }),
        undefined,
        { bindings: BINDINGS },
      ),
    );
    return { dispatcher: sender, subscription };
  }).catch(async (err: unknown) => {
    // nothing half-built outlives a failed start (Redis connections, timers)
    await app.close().catch(() => {});
    throw err;
  });
  return { app, hub, email, ...workers };
}
