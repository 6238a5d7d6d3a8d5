// A product's images after it exists: add (up to the limit), reorder and remove (files go after the commit).
import { assertMayChange, Conflict, type Db, Invalid, type Logger, NotFound, type Principal } from '@microbazaar/kit';
import type { MediaStorage } from '../adapters/storage.js';
import { type Product, presentProduct, snapshotOf } from '../domain/products.js';
import type { ProductEvents } from '../events/publish.js';
import { imageStore } from '../store/images.js';
import { findProduct, lockOwned } from './access.js';
import type { ImageFiles, Upload } from './image-files.js';

export interface ProductImagesDeps {
  db: Db;
  storage: MediaStorage;
  events: ProductEvents;
  files: ImageFiles;
  logger: Logger;
  maxPerProduct: number;
}

export function createProductImages(deps: ProductImagesDeps) {
  const { db, storage, events, files, logger } = deps;

  return {
    async add(principal: Principal, ref: string, uploads: readonly Upload[]): Promise<Product> {
      // cheap checks before the expensive image work; repeated under the lock below
      const current = await findProduct(db, ref);
      assertMayChange(principal, current.sellerId);
      const processed = await files.prepare(principal.userId, uploads, current.images.length);
      const { rows, files: stored } = await files.store(current.id, processed);
      const product = await files.withStoredFiles(stored, () =>
        db.transaction(async (tx) => {
          const row = await lockOwned(tx, principal, current.id);
          const images = imageStore(tx);
          const count = await images.count(row.id);
          if (count + rows.length > deps.maxPerProduct) {
            throw new Conflict(
              `A product has at most ${deps.maxPerProduct} images; this one has ${count}`,
              'IMAGE_LIMIT_REACHED',
            );
          }
          await images.insertMany(row.id, rows);
          const product = await findProduct(tx, row.id);
          await events.productUpdated(tx, snapshotOf(product, ['images']));
          return product;
        }),
      );
      return presentProduct(product);
    },

    /** Puts the images in this order: the list must name each of the product's images once (400 otherwise). */
    async reorder(principal: Principal, ref: string, imageIds: readonly string[]): Promise<Product> {
      const product = await db.transaction(async (tx) => {
        const row = await lockOwned(tx, principal, ref);
        const images = imageStore(tx);
        const current = await images.ids(row.id);
        const wanted = new Set(imageIds);
        if (
          wanted.size !== imageIds.length ||
          imageIds.length !== current.length ||
          !current.every((id) => wanted.has(id))
        ) {
          throw new Invalid(
            `body/imageIds must name each of the product's ${current.length} images once, in the new order`,
            undefined,
            'IMAGE_ORDER_INVALID',
          );
        }
        await images.reorder(row.id, imageIds);
        const product = await findProduct(tx, row.id);
        await events.productUpdated(tx, snapshotOf(product, ['images']));
        return product;
      });
      return presentProduct(product);
    },

    async remove(principal: Principal, ref: string, imageId: string): Promise<void> {
      const removed = await db.transaction(async (tx) => {
        const row = await lockOwned(tx, principal, ref);
        const image = await imageStore(tx).delete(row.id, imageId);
        if (!image) throw new NotFound('Image not found', 'IMAGE_NOT_FOUND');
        await events.productUpdated(tx, snapshotOf(await findProduct(tx, row.id), ['images']));
        return image;
      });
      // files go after the commit; seeded catalogs share files, so only those nobody points at any more
      if (removed.storage !== storage.kind) {
        logger.warn({ imageId, storage: removed.storage }, 'image files are in another storage; left in place');
        return;
      }
      if ((await imageStore(db).keysInUse([removed.originalKey])).size > 0) return;
      await files.discard(
        [removed.originalKey, removed.thumbnailKey, removed.mediumKey]
          .filter((k): k is string => Boolean(k))
          .map((key) => ({ key, ref: key === removed.originalKey ? removed.storageRef : null })),
      );
    },
  };
}

export type ProductImages = ReturnType<typeof createProductImages>;
