// The product service's configuration: the only place that reads process.env.
import { join } from 'node:path';
import { BusEnv, CommonEnv, ConfigError, type Env, loadEnv, UUID_PATTERN } from '@microbazaar/kit';
import { type Static, Type } from '@sinclair/typebox';

export const ProductConfigSchema = Type.Object({
  ...CommonEnv,
  ...BusEnv,
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 3001 }),
  DB_SCHEMA: Type.String({ default: 'product' }),

  /** Where image files live: local disk (served at /media), S3, or ImageKit (resized by URL). */
  MEDIA_STORAGE: Type.Union([Type.Literal('local'), Type.Literal('s3'), Type.Literal('imagekit')], {
    default: 'local',
  }),
  /** local storage folder; default <DATA_DIR>/media */
  MEDIA_DIR: Type.Optional(Type.String({ minLength: 1 })),
  /** URL prefix of local media; relative so it works through the gateway and directly */
  MEDIA_BASE_URL: Type.String({ default: '/media' }),
  S3_BUCKET: Type.Optional(Type.String({ minLength: 3 })),
  S3_REGION: Type.String({ default: 'us-east-1' }),
  /** S3-compatible endpoint (MinIO, a local fake); unset = AWS */
  S3_ENDPOINT: Type.Optional(Type.String({ pattern: '^https?://' })),
  S3_FORCE_PATH_STYLE: Type.Boolean({ default: false }),
  /** unset = the AWS default credential chain (task role, env, profile) */
  S3_ACCESS_KEY_ID: Type.Optional(Type.String({ minLength: 1 })),
  S3_SECRET_ACCESS_KEY: Type.Optional(Type.String({ minLength: 1 })),
  /**
   * public base URL the image URLs start with (CloudFront, a public bucket website); default the bucket's own
   * URL. Objects are not public by themselves: see "Serving S3 images" in the service README.
   */
  S3_PUBLIC_URL: Type.Optional(Type.String({ pattern: '^https?://' })),
  /** canned ACL on each upload: `public-read` only for buckets with ACLs enabled; `none` = the bucket policy decides */
  S3_OBJECT_ACL: Type.Union([Type.Literal('none'), Type.Literal('public-read')], { default: 'none' }),
  IMAGEKIT_PUBLIC_KEY: Type.Optional(Type.String({ minLength: 1 })),
  IMAGEKIT_PRIVATE_KEY: Type.Optional(Type.String({ minLength: 1 })),
  IMAGEKIT_URL_ENDPOINT: Type.Optional(Type.String({ pattern: '^https?://' })),
  IMAGEKIT_FOLDER: Type.String({ default: '/microbazaar' }),
  /** override of ImageKit's upload URL (private deployments, tests) */
  IMAGEKIT_UPLOAD_ENDPOINT: Type.Optional(Type.String({ pattern: '^https?://' })),

  /** S3 and ImageKit: a connection not made within this is a failed upload (503), never a hung request */
  MEDIA_CONNECTION_TIMEOUT_MS: Type.Integer({ minimum: 1, default: 3000 }),
  /** S3 and ImageKit: the longest one storage request may take, a 10 MB original included (S3 retries twice) */
  MEDIA_REQUEST_TIMEOUT_MS: Type.Integer({ minimum: 1, default: 10_000 }),

  /** largest accepted image file (413 above) */
  IMAGE_MAX_BYTES: Type.Integer({ minimum: 1024, default: 10 * 1024 * 1024 }),
  IMAGES_PER_PRODUCT: Type.Integer({ minimum: 1, maximum: 50, default: 10 }),
  /** width × height above which an image is refused before it is decoded (decompression bombs): ≈ 40 MP */
  IMAGE_MAX_PIXELS: Type.Integer({ minimum: 10_000, default: 40_000_000 }),
  /** images decoded and rendered at once by one instance; more uploads wait their turn */
  IMAGE_JOBS: Type.Integer({ minimum: 1, maximum: 64, default: 2 }),
  /** libvips threads per image (sharp.concurrency, process-wide); 0 = sharp's default, one per CPU core */
  IMAGE_THREADS: Type.Integer({ minimum: 0, maximum: 64, default: 2 }),
  /** images one user (a seller, an admin) may upload per window, across instances; 0 = no limit */
  IMAGE_UPLOAD_LIMIT: Type.Integer({ minimum: 0, default: 300 }),
  IMAGE_UPLOAD_WINDOW_SECONDS: Type.Integer({ minimum: 1, default: 3600 }),
  THUMBNAIL_SIZE: Type.Integer({ minimum: 32, maximum: 2048, default: 320 }),
  MEDIUM_SIZE: Type.Integer({ minimum: 128, maximum: 4096, default: 1024 }),

  /** how long an unconfirmed reservation holds stock before the sweeper releases it */
  RESERVATION_TTL_SECONDS: Type.Integer({ minimum: 1, default: 900 }),
  RESERVATION_SWEEP_INTERVAL_MS: Type.Integer({ minimum: 50, default: 15_000 }),

  /** search result ids kept per query between catalog changes; 0 = no search cache */
  SEARCH_CACHE_TTL_MS: Type.Integer({ minimum: 0, default: 15_000 }),
  SEARCH_CACHE_MAX_ENTRIES: Type.Integer({ minimum: 1, default: 1000 }),
  /**
   * relevance is ranked among this many of the newest matches (the rest follow, newest first); larger ranks
   * old products too but costs every uncached broad search more
   */
  SEARCH_RANK_WINDOW: Type.Integer({ minimum: 2, maximum: 100_000, default: 1001 }),

  /** a small demo catalog on first start; off unless set (`npm start` turns it on) */
  DEMO_DATA: Type.Boolean({ default: false }),
  /** owner of the demo catalog: the demo seller's user id from the auth service */
  DEMO_SELLER_ID: Type.Optional(Type.String({ pattern: UUID_PATTERN })),
});

export type ProductConfig = Static<typeof ProductConfigSchema> & { MEDIA_DIR: string };

export function loadConfig(env: Env = process.env): ProductConfig {
  const config = loadEnv(ProductConfigSchema, env);
  const problems: string[] = [];
  if (config.MEDIA_STORAGE === 's3' && !config.S3_BUCKET) problems.push('S3_BUCKET: is required when MEDIA_STORAGE=s3');
  if (config.MEDIA_STORAGE === 's3' && Boolean(config.S3_ACCESS_KEY_ID) !== Boolean(config.S3_SECRET_ACCESS_KEY)) {
    problems.push('S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY: set both or neither');
  }
  if (config.MEDIA_STORAGE === 'imagekit') {
    for (const name of ['IMAGEKIT_PUBLIC_KEY', 'IMAGEKIT_PRIVATE_KEY', 'IMAGEKIT_URL_ENDPOINT'] as const) {
      if (!config[name]) problems.push(`${name}: is required when MEDIA_STORAGE=imagekit`);
    }
  }
  if (config.THUMBNAIL_SIZE > config.MEDIUM_SIZE) problems.push('THUMBNAIL_SIZE: must not exceed MEDIUM_SIZE');
  if (problems.length) throw new ConfigError(problems);
  return { ...config, MEDIA_DIR: config.MEDIA_DIR ?? join(config.DATA_DIR, 'media') };
}
