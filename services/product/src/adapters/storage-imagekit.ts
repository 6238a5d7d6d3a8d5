// ImageKit storage (the seed's choice): only the stripped original is uploaded; thumbnail and medium
// are URL transforms (`?tr=w-320,h-320,c-at_max`) that ImageKit renders and caches at its edge.
import { basename, dirname } from 'node:path';
import ImageKit from 'imagekit';
import { assertMediaKey } from '../domain/images.js';
import { type MediaStorage, type StoredFile, withDeadline } from './storage.js';

export interface ImageKitStorageOptions {
  publicKey: string;
  privateKey: string;
  urlEndpoint: string;
  /** folder in the ImageKit media library */
  folder: string;
  uploadEndpoint?: string | undefined;
  /** deadline of each API call (the SDK's HTTP client has none) */
  requestTimeoutMs?: number | undefined;
}

/** The part of the SDK the adapter uses. */
export type ImageKitClient = Pick<ImageKit, 'upload' | 'deleteFile' | 'url' | 'listFiles'>;

const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;
/** a good answer from the API is trusted this long by ping(), so readiness probes do not spend its rate limit */
const PING_FRESH_MS = 30_000;

export function createImageKitStorage(opts: ImageKitStorageOptions, client?: ImageKitClient): MediaStorage {
  const ik: ImageKitClient =
    client ??
    new ImageKit({
      publicKey: opts.publicKey,
      privateKey: opts.privateKey,
      urlEndpoint: opts.urlEndpoint,
      ...(opts.uploadEndpoint ? { uploadEndpoint: opts.uploadEndpoint } : {}),
    });
  const folder = `/${opts.folder.replace(/^\/+|\/+$/g, '')}`;
  const timeoutMs = opts.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  const deleteFile = async (fileId: string) => {
    try {
      await withDeadline('ImageKit delete', timeoutMs, ik.deleteFile(fileId));
    } catch (err) {
      // already gone is what we wanted
      if ((err as { $ResponseMetadata?: { statusCode?: number } }).$ResponseMetadata?.statusCode !== 404) throw err;
    }
  };
  let pingedAt = Number.NEGATIVE_INFINITY;
  return {
    kind: 'imagekit',
    resizesByUrl: true,

    async put(key: string, body: Buffer): Promise<StoredFile> {
      assertMediaKey(key);
      const upload = ik.upload({
        file: body,
        fileName: basename(key),
        folder: `${folder}/${dirname(key)}`,
        useUniqueFileName: false,
      });
      // an upload that lands after its deadline belongs to no image row: take it away again
      const uploaded = await withDeadline('ImageKit upload', timeoutMs, upload, (late) => {
        deleteFile(late.fileId).catch(() => {});
      });
      return { key: uploaded.filePath || `${folder}/${key}`, url: uploaded.url, ref: uploaded.fileId };
    },

    resizedUrl(file: StoredFile, size: number): string {
      return ik.url({ src: file.url, transformation: [{ width: String(size), height: String(size), crop: 'at_max' }] });
    },

    async remove(files) {
      await Promise.all(
        files.map(async (f) => {
          if (f.ref) await deleteFile(f.ref);
        }),
      );
    },

    /** One authenticated API call (a one-file listing of the folder): reachable, and the keys work. */
    async ping() {
      if (Date.now() - pingedAt < PING_FRESH_MS) return;
      await withDeadline('ImageKit ping', timeoutMs, ik.listFiles({ path: folder, limit: 1 }));
      pingedAt = Date.now();
    },

    async close() {},
  };
}
