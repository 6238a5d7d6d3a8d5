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

  it('names every missing Twilio variable, and hides secrets in messages', () => {
    expect(() => loadConfig({ SMS_PROVIDER: 'twilio' })).toThrow(ConfigError);
    try {
      loadConfig({ SMS_PROVIDER: 'twilio', TWILIO_AUTH_TOKEN: 'x' });
    } catch (err) {
      expect((err as ConfigError).problems).toEqual([
        'TWILIO_ACCOUNT_SID: is required when SMS_PROVIDER=twilio',
        'SMS_FROM: is required when SMS_PROVIDER=twilio',
      ]);
    }
    expect(() => loadConfig({ SMTP_URL: 'http://mail' })).toThrow(/SMTP_URL/);
    expect(() => loadConfig({ DELIVERY_RETRY_DELAYS_MS: '1,x' })).toThrow(/DELIVERY_RETRY_DELAYS_MS/);
  });
});
