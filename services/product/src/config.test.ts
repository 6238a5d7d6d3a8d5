import { ConfigError } from '@microbazaar/kit';
import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';

describe('product config', () => {
  it('has working defaults: port 3001, local media under DATA_DIR, 10 MB and 10 images, 15 min reservations', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      PORT: 3001,
      DB_SCHEMA: 'product',
      MEDIA_STORAGE: 'local',
      MEDIA_DIR: '.data/media',
      MEDIA_BASE_URL: '/media',
      IMAGE_MAX_BYTES: 10 * 1024 * 1024,
      IMAGES_PER_PRODUCT: 10,
      RESERVATION_TTL_SECONDS: 900,
      DEMO_DATA: false,
    });
    expect(config.DEMO_SELLER_ID).toBeUndefined();
  });

  it('has demo data off unless asked for, whatever NODE_ENV (npm start asks for it)', () => {
    for (const NODE_ENV of [undefined, 'development', 'production']) {
      expect(loadConfig({ NODE_ENV }).DEMO_DATA).toBe(false);
    }
    expect(loadConfig({ NODE_ENV: 'production', DEMO_DATA: 'true' }).DEMO_DATA).toBe(true);
  });

  it('names what S3 and ImageKit storage need', () => {
    expect(() => loadConfig({ MEDIA_STORAGE: 's3' })).toThrow(/S3_BUCKET: is required/);
    expect(() => loadConfig({ MEDIA_STORAGE: 's3', S3_BUCKET: 'media', S3_ACCESS_KEY_ID: 'x' })).toThrow(/set both/);
    expect(loadConfig({ MEDIA_STORAGE: 's3', S3_BUCKET: 'media' }).S3_REGION).toBe('us-east-1');
    try {
      loadConfig({ MEDIA_STORAGE: 'imagekit', IMAGEKIT_PUBLIC_KEY: 'x' });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).problems).toEqual([
        'IMAGEKIT_PRIVATE_KEY: is required when MEDIA_STORAGE=imagekit',
        'IMAGEKIT_URL_ENDPOINT: is required when MEDIA_STORAGE=imagekit',
      ]);
    }
  });

  it('refuses a bad DEMO_SELLER_ID and unknown storage', () => {
    expect(() => loadConfig({ DEMO_SELLER_ID: 'seller' })).toThrow(/DEMO_SELLER_ID/);
    expect(() => loadConfig({ MEDIA_STORAGE: 'ftp' })).toThrow(/MEDIA_STORAGE: Expected one of local, s3, imagekit/);
  });
});
