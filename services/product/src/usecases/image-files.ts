// The files behind a product's images: checked and rendered before any transaction, stored, and removed
// again when the write that should record them fails (no half-uploaded images, no orphans on failure).
import { randomUUID } from 'node:crypto';
import { Conflict, type Logger, PayloadTooLarge, type RateLimiter, TooMany, Unavailable } from '@microbazaar/kit';
import type { ProcessedImage, Renderer, RenditionOptions } from '../adapters/renditions.js';
import type { MediaStorage, StoredFile } from '../adapters/storage.js';
import { assertImage } from '../domain/images.js';
import type { ImageRow } from '../store/images.js';

export interface Upload {
  filename?: string | undefined;
  body: Buffer;
}

export interface ImageFilesDeps {
  storage: MediaStorage;
  logger: Logger;
  /** decodes and renders, a few images at a time */
  renderer: Renderer;
  /** images per uploader and window; absent: no limit */
  uploads?: RateLimiter | undefined;
  images: RenditionOptions & { maxPerProduct: number };
}

export type NewImageRow = Omit<ImageRow, 'productId' | 'position'>;

export function createImageFiles(deps: ImageFilesDeps) {
  const { storage, logger } = deps;

  async function discard(files: ReadonlyArray<{ key: string; ref?: string | null | undefined }>): Promise<void> {
    if (files.length === 0) return;
    await storage.remove(files).catch((err: unknown) => {
      logger.error({ err, keys: files.map((f) => f.key) }, 'could not remove stored images; they are orphans now');
    });
  }

  /** Counts the images against the uploader's budget; a cache that is down lets uploads through (logged). */
  async function countUploads(uploaderId: string, count: number): Promise<void> {
    if (!deps.uploads) return;
    try {
      for (let i = 0; i < count; i++) await deps.uploads.consume(uploaderId);
    } catch (err) {
      if (err instanceof TooMany) throw err;
      logger.warn({ err: (err as Error).message }, 'upload limit unavailable (cache); upload allowed');
    }
  }

  return {
    discard,

    /**
     * Checks the count, the uploader's budget (429 with retry-after) and every file by content (415),
     * all before any image work; then decodes and renders them, a few at a time per instance.
     */
    async prepare(uploaderId: string, uploads: readonly Upload[], already = 0): Promise<ProcessedImage[]> {
      if (uploads.length === 0) return [];
      if (already + uploads.length > deps.images.maxPerProduct) {
        const message = `A product has at most ${deps.images.maxPerProduct} images`;
        if (already === 0) throw new PayloadTooLarge(message, 'TOO_MANY_IMAGES');
        throw new Conflict(`${message}; this one has ${already}`, 'IMAGE_LIMIT_REACHED');
      }
      await countUploads(uploaderId, uploads.length);
      for (const upload of uploads) assertImage(upload.body, upload.filename);
      const processed: ProcessedImage[] = [];
      for (const upload of uploads) {
        processed.push(
          await deps.renderer.process(upload.body, upload.filename, {
            ...deps.images,
            originalOnly: storage.resizesByUrl,
          }),
        );
      }
      return processed;
    },

    /** Puts the renditions in storage; on any failure removes what it had stored (no half-uploaded images). */
    async store(
      productId: string,
      processed: readonly ProcessedImage[],
    ): Promise<{ rows: NewImageRow[]; files: StoredFile[] }> {
      const files: StoredFile[] = [];
      const put = async (key: string, body: Buffer, contentType: string) => {
        const file = await storage.put(key, body, contentType);
        files.push(file);
        return file;
      };
      try {
        const rows: NewImageRow[] = [];
        for (const image of processed) {
          const id = randomUUID();
          const base = `products/${productId}/${id}`;
          const { original } = image;
          const stored = await put(`${base}/original.${original.extension}`, original.body, original.contentType);
          let thumbnail: StoredFile | undefined;
          let medium: StoredFile | undefined;
          if (image.thumbnail && image.medium) {
            // both settle before a failure is thrown: a put still running would store a file after the clean-up
            const settled = await Promise.allSettled([
              put(`${base}/thumbnail.webp`, image.thumbnail.body, image.thumbnail.contentType),
              put(`${base}/medium.webp`, image.medium.body, image.medium.contentType),
            ]);
            const failed = settled.find((r) => r.status === 'rejected');
            if (failed) throw failed.reason;
            [thumbnail, medium] = settled.map((r) => (r as PromiseFulfilledResult<StoredFile>).value);
          }
          rows.push({
            id,
            storage: storage.kind,
            originalKey: stored.key,
            thumbnailKey: thumbnail?.key ?? null,
            mediumKey: medium?.key ?? null,
            storageRef: stored.ref ?? null,
            url: stored.url,
            thumbnailUrl: thumbnail?.url ?? storage.resizedUrl(stored, deps.images.thumbnailSize),
            mediumUrl: medium?.url ?? storage.resizedUrl(stored, deps.images.mediumSize),
            contentType: original.contentType,
            width: original.width,
            height: original.height,
            bytes: original.body.length,
          });
        }
        return { rows, files };
      } catch (err) {
        await discard(files);
        logger.warn({ err }, 'image upload to storage failed');
        throw new Unavailable('Image storage is unavailable, try again shortly', 'MEDIA_STORAGE_UNAVAILABLE', err);
      }
    },

    /** Runs a write that stored files first; if the transaction fails, the files go too. */
    async withStoredFiles<T>(files: readonly StoredFile[], write: () => Promise<T>): Promise<T> {
      try {
        return await write();
      } catch (err) {
        await discard(files);
        throw err;
      }
    },
  };
}

export type ImageFiles = ReturnType<typeof createImageFiles>;
