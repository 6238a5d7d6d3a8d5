// The notification service's configuration: the only place that reads process.env.
import { BusEnv, CommonEnv, ConfigError, type Env, loadEnv } from '@microbazaar/kit';
import { type Static, Type } from '@sinclair/typebox';

const Delays = (fallback: string, description: string) =>
  Type.String({ pattern: '^\\s*\\d+(\\s*,\\s*\\d+)*\\s*$', default: fallback, description });

export const NotificationConfigSchema = Type.Object({
  ...CommonEnv,
  ...BusEnv,
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 3005 }),
  DB_SCHEMA: Type.String({ default: 'notification' }),
  /** Where the storefront lives: links in mails and SMS are built from it. */
  PUBLIC_URL: Type.String({ pattern: '^https?://', default: 'http://localhost:8080' }),

  /**
   * smtp://user:pass@host:587 or smtps://...:465; unset = mails written as .eml files under MAIL_DIR and listed at
   * /api/notifications/dev/mail (embedded); required with NODE_ENV=production.
   */
  SMTP_URL: Type.Optional(Type.String({ pattern: '^smtps?://' })),
  /** false accepts a self-signed certificate on STARTTLS/SMTPS (a local relay) */
  SMTP_TLS_REJECT_UNAUTHORIZED: Type.Boolean({ default: true }),
  /** pooled SMTP connections */
  SMTP_POOL_SIZE: Type.Integer({ minimum: 1, maximum: 100, default: 5 }),
  /** connect, greeting and socket inactivity limit per SMTP exchange, so a stuck server fails a send instead of holding it */
  SMTP_TIMEOUT_MS: Type.Integer({ minimum: 100, default: 10_000 }),
  MAIL_FROM: Type.String({ minLength: 3, default: 'microBazaar <no-reply@microbazaar.local>' }),
  /**
   * The try-it-out extras: without SMTP_URL, the mails written to MAIL_DIR are listed to admins at
   * /api/notifications/dev/mail (reset links included). Off unless set (`npm start` turns it on); never
   * with NODE_ENV=production.
   */
  DEMO_DATA: Type.Boolean({ default: false }),
  /** embedded mailbox; defaults to <DATA_DIR>/mail */
  MAIL_DIR: Type.Optional(Type.String({ minLength: 1 })),

  /** log = written to <DATA_DIR>/sms.log (embedded); twilio = Twilio's Messages API (or a compatible one) */
  SMS_PROVIDER: Type.Union([Type.Literal('log'), Type.Literal('twilio')], { default: 'log' }),
  SMS_FROM: Type.Optional(Type.String({ minLength: 1 })),
  TWILIO_ACCOUNT_SID: Type.Optional(Type.String({ minLength: 1 })),
  TWILIO_AUTH_TOKEN: Type.Optional(Type.String({ minLength: 1 })),
  TWILIO_API_URL: Type.String({ pattern: '^https?://', default: 'https://api.twilio.com' }),
  SMS_TIMEOUT_MS: Type.Integer({ minimum: 100, default: 10_000 }),
  /** SMS one user may be sent in 24 hours, verification codes included; further ones are left out */
  SMS_PER_USER_PER_DAY: Type.Integer({ minimum: 1, default: 10 }),
  /** verification codes one phone number may be sent in 24 hours, whoever asks for them */
  SMS_CODES_PER_NUMBER_PER_DAY: Type.Integer({ minimum: 1, default: 3 }),

  /** sends of one email/SMS before it is marked failed (visible at /api/notifications/admin/failures) */
  DELIVERY_MAX_ATTEMPTS: Type.Integer({ minimum: 1, maximum: 50, default: 6 }),
  /** waits before retry 1, 2, ... (the last repeats), comma-separated milliseconds; ±20% jitter */
  DELIVERY_RETRY_DELAYS_MS: Delays('5000,30000,120000,600000,1800000', 'delivery backoff'),
  /** sends in flight per instance */
  DELIVERY_CONCURRENCY: Type.Integer({ minimum: 1, maximum: 500, default: 8 }),
  /** how often each instance looks for due retries and deliveries left by others */
  DELIVERY_SWEEP_INTERVAL_MS: Type.Integer({ minimum: 20, default: 1000 }),
  /** a send claimed longer ago than this is presumed lost with its instance and is retried */
  DELIVERY_LEASE_MS: Type.Integer({ minimum: 1000, default: 120_000 }),
  /** sent emails/SMS are kept this long for support questions, then deleted (0 = forever); failed ones stay */
  DELIVERY_RETENTION_DAYS: Type.Integer({ minimum: 0, default: 30 }),

  /** lifetime of a stream ticket (EventSource cannot send headers, so it carries one in the query) */
  STREAM_TICKET_TTL_SECONDS: Type.Integer({ minimum: 5, maximum: 3600, default: 60 }),
  /** comment frames that keep idle streams (and the proxies in between) open */
  STREAM_PING_INTERVAL_MS: Type.Integer({ minimum: 100, default: 15_000 }),
  /** open streams per user per instance; the oldest is closed past it */
  STREAM_MAX_PER_USER: Type.Integer({ minimum: 1, maximum: 100, default: 10 }),
  /** Redis pub/sub channel the instances share live notices on (with REDIS_URL) */
  LIVE_CHANNEL: Type.String({ minLength: 1, default: 'microbazaar:notifications:live' }),
});

export type NotificationConfig = Static<typeof NotificationConfigSchema>;

export function loadConfig(env: Env = process.env): NotificationConfig {
  const config = loadEnv(NotificationConfigSchema, env);
  const problems: string[] = [];
  if (config.NODE_ENV === 'production' && !config.SMTP_URL) {
    // without it mails would only be written to files under MAIL_DIR: nobody would receive them
    problems.push('SMTP_URL: is required when NODE_ENV=production (unset, mails are only written to files)');
  }
  if (config.NODE_ENV === 'production' && config.DEMO_DATA) {
    problems.push('DEMO_DATA: cannot be true when NODE_ENV=production (the dev mailbox shows every mail to admins)');
  }
  if (config.SMS_PROVIDER === 'twilio') {
    const missing = (['TWILIO_ACCOUNT_SID', 'TWILIO_AUTH_TOKEN', 'SMS_FROM'] as const).filter((k) => !config[k]);
    problems.push(...missing.map((k) => `${k}: is required when SMS_PROVIDER=twilio`));
  }
  if (problems.length) throw new ConfigError(problems);
  return config;
}
