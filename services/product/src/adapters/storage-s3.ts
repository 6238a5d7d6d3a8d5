// S3 storage (and S3-compatible servers). Clients fetch the files at S3_PUBLIC_URL (a CDN) or the bucket URL,
// so reads must be allowed there: a bucket policy or CloudFront (README "Serving S3 images"), or, on buckets
// that still have ACLs, S3_OBJECT_ACL=public-read on every upload.
import {
  DeleteObjectsCommand,
  HeadBucketCommand,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { assertMediaKey } from '../domain/images.js';
import type { MediaStorage, StoredFile } from './storage.js';

export interface S3StorageOptions {
  bucket: string;
  region: string;
  endpoint?: string | undefined;
  forcePathStyle?: boolean | undefined;
  credentials?: { accessKeyId: string; secretAccessKey: string } | undefined;
  /** e.g. a CloudFront distribution; default the bucket's own URL */
  publicUrl?: string | undefined;
  /** canned ACL put on every object (buckets with ACLs enabled only); unset = none, the bucket policy decides */
  objectAcl?: 'public-read' | undefined;
  /** TCP (and TLS) connect deadline */
  connectionTimeoutMs?: number | undefined;
  /** deadline of one request attempt, from sending to the whole answer */
  requestTimeoutMs?: number | undefined;
}

export const DEFAULT_CONNECTION_TIMEOUT_MS = 3000;
export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;

/** Keys never change content (every upload gets a new id), so caches may keep them for a year. */
export const IMMUTABLE = 'public, max-age=31536000, immutable';

export function defaultPublicUrl(opts: S3StorageOptions): string {
  if (opts.endpoint) return `${opts.endpoint.replace(/\/+$/, '')}/${opts.bucket}`;
  return opts.forcePathStyle
    ? `https://s3.${opts.region}.amazonaws.com/${opts.bucket}`
    : `https://${opts.bucket}.s3.${opts.region}.amazonaws.com`;
}

export function createS3Storage(opts: S3StorageOptions): MediaStorage & { client: S3Client } {
  const clientConfig: S3ClientConfig = {
    region: opts.region,
    ...(opts.endpoint ? { endpoint: opts.endpoint } : {}),
    ...(opts.forcePathStyle ? { forcePathStyle: true } : {}),
    ...(opts.credentials ? { credentials: opts.credentials } : {}),
    // fail fast rather than hold an upload request for minutes
    maxAttempts: 3,
    // the SDK's default handler has no deadline at all: a storage that accepts and never answers would
    // hold the upload (and the product request) forever. These options build its NodeHttpHandler;
    // requestTimeout only warns unless throwOnRequestTimeout is set.
    requestHandler: {
      connectionTimeout: opts.connectionTimeoutMs ?? DEFAULT_CONNECTION_TIMEOUT_MS,
      requestTimeout: opts.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
      throwOnRequestTimeout: true,
    },
  };
  const client = new S3Client(clientConfig);
  const base = (opts.publicUrl ?? defaultPublicUrl(opts)).replace(/\/+$/, '');
  return {
    kind: 's3',
    resizesByUrl: false,
    client,

    async put(key: string, body: Buffer, contentType: string): Promise<StoredFile> {
      assertMediaKey(key);
      await client.send(
        new PutObjectCommand({
          Bucket: opts.bucket,
          Key: key,
          Body: body,
          ContentType: contentType,
          CacheControl: IMMUTABLE,
          ...(opts.objectAcl ? { ACL: opts.objectAcl } : {}),
        }),
      );
      return { key, url: `${base}/${key}` };
    },

    resizedUrl(file: StoredFile): string {
      return file.url;
    },

    async remove(files) {
      for (let i = 0; i < files.length; i += 1000) {
        const batch = files.slice(i, i + 1000);
        await client.send(
          new DeleteObjectsCommand({
            Bucket: opts.bucket,
            Delete: { Objects: batch.map((f) => ({ Key: f.key })), Quiet: true },
          }),
        );
      }
    },

    async ping() {
      await client.send(new HeadBucketCommand({ Bucket: opts.bucket }));
    },

    async close() {
      client.destroy();
    },
  };
}
