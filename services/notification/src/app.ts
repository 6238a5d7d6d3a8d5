// Composition root of the notification service: channels, the event consumer, the dispatcher, live streams, routes.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type App,
  type Bus,
  busMetrics,
  type Cache,
  createApp,
  createGuards,
  createJwksVerifier,
  type Db,
  eventsMigrations,
  type Logger,
  migrate,
  type Subscription,
  type TokenVerifier,
} from '@microbazaar/kit';
import { Gauge } from 'prom-client';
import { createEmailChannel, type EmailChannel } from './channels/email.js';
import { createMailbox } from './channels/mailbox.js';
import { createSmsChannel, logProvider, type SmsProvider, twilioProvider } from './channels/sms.js';
import { createTemplates, type Templates } from './channels/templates.js';
import type { NotificationConfig } from './config.js';
import { type Dispatcher, startDispatcher } from './delivery/dispatcher.js';
import { NOTIFYING_EVENTS, TEXTED_EVENTS } from './domain/notices.js';
import { subscribeNotifications } from './events/consumer.js';
import { createAccess } from './http/access.js';
import { adminRoutes } from './http/admin.js';
import { devMailRoutes } from './http/devmail.js';
import { noticeRoutes } from './http/notices.js';
import { phoneRoutes } from './http/phone.js';
import { preferenceRoutes } from './http/preferences.js';
import { REPLAY_LIMIT, streamRoutes } from './http/stream.js';
import { type LiveFanout, liveNotice, memoryFanout, redisFanout } from './live/fanout.js';
import { StreamHub } from './live/hub.js';
import { noticeStore } from './store/notices.js';

export const MIGRATIONS_DIR = fileURLToPath(new URL('../migrations', import.meta.url));

/** The service's tables plus the kit's inbox (and outbox) tables. */
export function migrateNotification(db: Db): Promise<string[]> {
  return migrate(db, MIGRATIONS_DIR, { include: [eventsMigrations] });
}

export interface NotificationDeps {
  config: NotificationConfig;
  logger: Logger;
  db: Db;
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
  /** false builds the HTTP side only (no consumer, no dispatcher) */
  background?: boolean;
}

export interface NotificationApp {
  app: App;
  hub: StreamHub;
  /** undefined with background: false */
  dispatcher: Dispatcher | undefined;
  subscription: Subscription | undefined;
  email: EmailChannel;
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

export async function buildApp(deps: NotificationDeps): Promise<NotificationApp> {
  const { config, logger, db, cache, bus } = deps;
  const templates = deps.templates ?? createTemplates();
  templates.check(NOTIFYING_EVENTS.map((type) => ({ type, email: true, sms: TEXTED_EVENTS.includes(type) })));

  const ownsLive = !deps.live;
  const live = deps.live ?? defaultLive(config, logger);
  const ownsEmail = !deps.email;
  const email =
    deps.email ??
    createEmailChannel({
      smtpUrl: config.SMTP_URL,
      mailDir: mailDir(config),
      from: config.MAIL_FROM,
      poolSize: config.SMTP_POOL_SIZE,
      timeoutMs: config.SMTP_TIMEOUT_MS,
      tlsRejectUnauthorized: config.SMTP_TLS_REJECT_UNAUTHORIZED,
    });
  const sms = createSmsChannel(deps.sms ?? defaultSms(config, logger));

  const app: App = await createApp({
    name: 'notification',
    logger,
    description: 'Email, SMS and in-app notices from the shop events; preferences; a live stream',
    bodyLimit: config.BODY_LIMIT_BYTES,
    trustProxy: config.TRUST_PROXY,
    readiness: {
      db: () => db.ping(),
      cache: () => cache.ping(),
      bus: () => bus.ping(),
      live: () => live.ping(),
    },
  });

  const hub = new StreamHub({ pingIntervalMs: config.STREAM_PING_INTERVAL_MS, maxPerUser: config.STREAM_MAX_PER_USER });
  let dispatcher: Dispatcher | undefined;
  let subscription: Subscription | undefined;
  const release = async () => {
    hub.closeAll();
    await subscription?.close();
    await dispatcher?.stop();
    if (ownsEmail) await email.close();
    if (ownsLive) await live.close();
  };
  // open streams would hold the server open: end them first, clients reconnect to another instance
  app.addHook('preClose', async () => hub.closeAll());
  app.addHook('onClose', release);

  try {
    new Gauge({
      name: 'notification_streams_open',
      help: 'Server-sent event streams open on this instance',
      registers: [app.metrics.registry],
      collect() {
        this.set(hub.size);
      },
    });
    // not awaited: a Redis that is down must not hold the start (readiness says so); once (re)subscribed,
    // the open streams read what was published meanwhile from the database
    const notices = noticeStore(db);
    const catchUp = () =>
      hub
        .catchUp(async (from) => (await notices.afterEach(from, REPLAY_LIMIT)).map(liveNotice))
        .catch((err: unknown) =>
          logger.warn({ err: (err as Error).message }, 'live notices: catch-up failed, open streams were ended'),
        );
    live.listen((items) => hub.deliver(items), catchUp);

    const verifier =
      deps.verifier ??
      createJwksVerifier(config.AUTH_JWKS_URL, { issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE });
    const access = createAccess(createGuards(verifier), db, logger);

    if (deps.background !== false) {
      dispatcher = startDispatcher({
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
      });
      const wake = dispatcher.wake;
      subscription = await subscribeNotifications({
        bus,
        db,
        logger,
        metrics: busMetrics(app.metrics.registry),
        templates,
        links: { publicUrl: config.PUBLIC_URL },
        smsPerUserPerDay: config.SMS_PER_USER_PER_DAY,
        onNotices: (items) => live.publish(items),
        onQueued: wake,
      });
    }

    noticeRoutes(app, { db, access });
    preferenceRoutes(app, { db, access });
    phoneRoutes(app, {
      db,
      access,
      limits: { perUserPerDay: config.SMS_PER_USER_PER_DAY, codesPerNumberPerDay: config.SMS_CODES_PER_NUMBER_PER_DAY },
      onQueued: () => dispatcher?.wake(),
    });
    streamRoutes(app, { db, cache, hub, access, ticketTtlSeconds: config.STREAM_TICKET_TTL_SECONDS });
    adminRoutes(app, { db, access, onRequeued: () => dispatcher?.wake() });
    // a try-it-out tool (an admin reads every user's mail there, reset links included): demo data only
    if (email.mode === 'file' && config.DEMO_DATA && config.NODE_ENV !== 'production') {
      devMailRoutes(app, { mailbox: createMailbox(mailDir(config)), access });
    }
  } catch (err) {
    // nothing half-built outlives a failed start (Redis connections, timers, the consumer)
    await app.close().catch(() => {});
    throw err;
  }

  return { app, hub, dispatcher, subscription, email };
}
