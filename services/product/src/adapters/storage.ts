// Where image files go: one interface, three adapters (local disk, S3, ImageKit), picked by MEDIA_STORAGE.
import type { ProductConfig } from '../config.js';
import { createLocalStorage } from './storage-local.js';

export interface StoredFile {
  /** the file's key in the storage (its path) */
  key: string;
  /** where clients fetch it */
  url: string;
  /** the provider's own id where deleting needs it (ImageKit fileId) */
  ref?: string | undefined;
}

export interface MediaStorage {
  readonly kind: 'local' | 's3' | 'imagekit';
  /** true when the storage makes other sizes by URL (ImageKit): only the original is stored */
  readonly resizesByUrl: boolean;
  put(key: string, body: Buffer, contentType: string): Promise<StoredFile>;
  /** URL of the file resized to fit `size` pixels (only for storages that resize by URL) */
  resizedUrl(file: StoredFile, size: number): string;
  /** Deletes the files; missing ones are not an error. */
  remove(files: ReadonlyArray<{ key: string; ref?: string | null | undefined }>): Promise<void>;
  /** Throws when the storage cannot be reached (for /health/ready); a hanging storage times out. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** The configured storage; a provider's SDK is loaded only when it is the one configured (memory). */
export async function createStorage(config: ProductConfig): Promise<MediaStorage> {
  switch (config.MEDIA_STORAGE) {
    case 's3': {
      const { createS3Storage } = await import('./storage-s3.js');
      return createS3Storage({
        bucket: config.S3_BUCKET ?? '',
        region: config.S3_REGION,
        endpoint: config.S3_ENDPOINT,
        forcePathStyle: config.S3_FORCE_PATH_STYLE,
        credentials:
          config.S3_ACCESS_KEY_ID && config.S3_SECRET_ACCESS_KEY
            ? { accessKeyId: config.S3_ACCESS_KEY_ID, secretAccessKey: config.S3_SECRET_ACCESS_KEY }
            : undefined,
        publicUrl: config.S3_PUBLIC_URL,
        objectAcl: config.S3_OBJECT_ACL === 'none' ? undefined : config.S3_OBJECT_ACL,
        connectionTimeoutMs: config.MEDIA_CONNECTION_TIMEOUT_MS,
        requestTimeoutMs: config.MEDIA_REQUEST_TIMEOUT_MS,
      });
    }
    case 'imagekit': {
      const { createImageKitStorage } = await import('./storage-imagekit.js');
      return createImageKitStorage({
        publicKey: config.IMAGEKIT_PUBLIC_KEY ?? '',
        privateKey: config.IMAGEKIT_PRIVATE_KEY ?? '',
        urlEndpoint: config.IMAGEKIT_URL_ENDPOINT ?? '',
        folder: config.IMAGEKIT_FOLDER,
        uploadEndpoint: config.IMAGEKIT_UPLOAD_ENDPOINT,
        requestTimeoutMs: config.MEDIA_REQUEST_TIMEOUT_MS,
      });
    }
    default:
      return createLocalStorage({ dir: config.MEDIA_DIR, baseUrl: config.MEDIA_BASE_URL });
  }
}

/** Thrown when a storage call outlives its deadline (the call itself may still finish later). */
export class StorageTimeout extends Error {
  constructor(what: string, ms: number) {
    super(`${what} did not finish within ${ms} ms`);
    this.name = 'StorageTimeout';
  }
}

/**
 * `call` or a StorageTimeout after `ms`, for clients that take no timeout of their own. A call that
 * finishes after its deadline is handed to `late` (to undo an upload nobody will record).
 */
export function withDeadline<T>(what: string, ms: number, call: Promise<T>, late?: (value: T) => void): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  let expired = false;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      expired = true;
      reject(new StorageTimeout(what, ms));
    }, ms);
  });
  call.then(
    (value) => {
      if (expired) late?.(value);
    },
    () => {},
  );
  return Promise.race([call, deadline]).finally(() => clearTimeout(timer));
}
