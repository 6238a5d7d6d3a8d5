import { ConfigError } from '@microbazaar/kit';
import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';

describe('loadConfig', () => {
  it('has working embedded defaults', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      PORT: 3005,
      DB_SCHEMA: 'notification',
      SMS_PROVIDER: 'log',
      DELIVERY_MAX_ATTEMPTS: 6,
      STREAM_TICKET_TTL_SECONDS: 60,
      PUBLIC_URL: 'http://localhost:8080',
    });
    expect(config.SMTP_URL).toBeUndefined();
    expect(config.RABBITMQ_URL).toBeUndefined();
  });

  it('names every missing Twilio variable', () => {
    expect(() => loadConfig({ SMS_PROVIDER: 'twilio' })).toThrow(ConfigError);
    expect(() => loadConfig({ SMS_PROVIDER: 'twilio', TWILIO_AUTH_TOKEN: 'x' })).toThrow(
      expect.objectContaining({
        name: 'ConfigError',
        problems: [
          'TWILIO_ACCOUNT_SID: is required when SMS_PROVIDER=twilio',
          'SMS_FROM: is required when SMS_PROVIDER=twilio',
        ],
      }),
    );
    expect(() => loadConfig({ DELIVERY_RETRY_DELAYS_MS: '1,x' })).toThrow(/DELIVERY_RETRY_DELAYS_MS/);
  });

  it('names a bad SMTP_URL without showing the password in it', () => {
    const load = () => loadConfig({ SMTP_URL: 'http://mailer:s3cr3t-pw@mail.example:587' });
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(/SMTP_URL: .*mailer:\*\*\*@mail\.example/);
    expect(load).not.toThrow(/s3cr3t-pw/);
  });

  it('refuses production without SMTP_URL (mails would only be written to files)', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(
      expect.objectContaining({
        name: 'ConfigError',
        problems: [expect.stringMatching(/^SMTP_URL: is required when NODE_ENV=production/)],
      }),
    );
    const smtp = 'smtps://mailer:pw@mail.example:465';
    expect(loadConfig({ NODE_ENV: 'production', SMTP_URL: smtp }).SMTP_URL).toBe(smtp);
    // development and tests keep the embedded mailbox
    expect(loadConfig({ NODE_ENV: 'development' }).SMTP_URL).toBeUndefined();
  });
});
