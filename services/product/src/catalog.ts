// The catalog use cases: products, their images, categories and stock levels. Who may do what is decided here.
import { randomUUID } from 'node:crypto';
import {
  assertMayChange,
  Conflict,
  type Db,
  Forbidden,
  keysetPage,
  type Logger,
  NotFound,
  PayloadTooLarge,
  type Principal,
  type Sql,
  Unavailable,
} from '@microbazaar/kit';
import {
  type Attributes,
  type Category,
  categoryNameFromSlug,
  type Product,
  type ProductRecord,
  type ProductStatus,
  presentProduct,
  productSlug,
  snapshotOf,
} from './domain/products.js';
import type { ProductEvents } from './events/publisher.js';
import type { Listing } from './listing.js';
import { assertImage, type ProcessedImage, processImage, type RenditionOptions } from './media/renditions.js';
import type { MediaStorage, StoredFile } from './media/storage.js';
import { type CategoryRow, categoryStore } from './store/categories.js';
import { type ImageRow, imageStore } from './store/images.js';
import { announceCatalogChange, type ProductChange, productStore } from './store/products.js';
import { type StockRow, stockStore } from './store/stock.js';

export interface Upload {
  filename?: string | undefined;
  body: Buffer;
}

export interface ProductInput {
  name: string;
  description?: string | undefined;
  price: number;
  currency?: string | undefined;
  category?: string | undefined;
  attributes?: Attributes | undefined;
  stock?: number | undefined;
}

export interface ProductPatch {
  name?: string | undefined;
  description?: string | undefined;
  price?: number | undefined;
  currency?: string | undefined;
  category?: string | null | undefined;
  attributes?: Attributes | undefined;
  status?: ProductStatus | undefined;
}

export interface StockView {
  productId: string;
  available: number;
  /** owner and admin only */
  onHand?: number;
  reserved?: number;
  updatedAt: string;
}

export interface CatalogDeps {
  db: Db;
  storage: MediaStorage;
  events: ProductEvents;
  listing: Pick<Listing, 'invalidate'>;
  logger: Logger;
  images: RenditionOptions & { maxPerProduct: number };
}

const SLUG_ATTEMPTS = 5;

function presentCategory(c: CategoryRow): Category {
  return {
    id: c.id,
    slug: c.slug,
    name: c.name,
    description: c.description,
    image: c.image ?? null,
    createdAt: c.createdAt.toISOString(),
    updatedAt: c.updatedAt.toISOString(),
  };
}

function mayManage(principal: Principal | null, ownerId: string): boolean {
  return principal !== null && (principal.role === 'admin' || principal.userId === ownerId);
}

function isForeignKeyViolation(err: unknown): boolean {
  return (err as { code?: string })?.code === '23503';
}

export function createCatalog(deps: CatalogDeps) {
  const { db, storage, events, listing, logger } = deps;

  async function mustFind(sql: Sql, ref: string): Promise<ProductRecord> {
    const product = await productStore(sql).byRef(ref);
    if (!product) throw new NotFound('Product not found', 'PRODUCT_NOT_FOUND');
    return product;
  }

  /** Locks the product and checks the caller may change it: 404, then 403. */
  async function lockOwned(tx: Sql, principal: Principal, ref: string) {
    const row = await productStore(tx).lock(ref);
    if (!row) throw new NotFound('Product not found', 'PRODUCT_NOT_FOUND');
    assertMayChange(principal, row.sellerId);
    return row;
  }

  /** Checks every file by content first (415 before any work), then decodes and renders them. */
  async function prepareImages(uploads: readonly Upload[], already = 0): Promise<ProcessedImage[]> {
    if (already + uploads.length > deps.images.maxPerProduct) {
      const message = `A product has at most ${deps.images.maxPerProduct} images`;
      if (already === 0) throw new PayloadTooLarge(message, 'TOO_MANY_IMAGES');
      throw new Conflict(`${message}; this one has ${already}`, 'IMAGE_LIMIT_REACHED');
    }
    for (const upload of uploads) assertImage(upload.body, upload.filename);
    const processed: ProcessedImage[] = [];
    for (const upload of uploads) {
      processed.push(
        await processImage(upload.body, upload.filename, {
          ...deps.images,
          originalOnly: storage.resizesByUrl,
        }),
      );
    }
    return processed;
  }

  /** Puts the renditions in storage; on any failure removes what it had stored (no half-uploaded images). */
  async function storeImages(
    productId: string,
    processed: readonly ProcessedImage[],
  ): Promise<{ rows: Omit<ImageRow, 'productId' | 'position'>[]; files: StoredFile[] }> {
    const files: StoredFile[] = [];
    const put = async (key: string, body: Buffer, contentType: string) => {
      const file = await storage.put(key, body, contentType);
      files.push(file);
      return file;
    };
    try {
      const rows = [];
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
  }

  async function discard(files: ReadonlyArray<{ key: string; ref?: string | null | undefined }>): Promise<void> {
    if (files.length === 0) return;
    await storage.remove(files).catch((err: unknown) => {
      logger.error({ err, keys: files.map((f) => f.key) }, 'could not remove stored images; they are orphans now');
    });
  }

  /** Runs a write that stored files first; if the transaction fails, the files go too. */
  async function withStoredFiles<T>(files: readonly StoredFile[], write: () => Promise<T>): Promise<T> {
    try {
      return await write();
    } catch (err) {
      await discard(files);
      throw err;
    }
  }

  async function stockView(sql: Sql, product: ProductRecord, principal: Principal | null): Promise<StockView> {
    const row: StockRow | null = await stockStore(sql).get(product.id);
    const onHand = row?.onHand ?? 0;
    const reserved = row?.reserved ?? 0;
    return {
      productId: product.id,
      available: Math.max(0, onHand - reserved),
      ...(mayManage(principal, product.sellerId) ? { onHand, reserved } : {}),
      updatedAt: (row?.updatedAt ?? product.updatedAt).toISOString(),
    };
  }

  return {
    async get(ref: string): Promise<Product> {
      return presentProduct(await mustFind(db, ref));
    },

    async create(principal: Principal, input: ProductInput, uploads: readonly Upload[] = []): Promise<Product> {
      if (principal.role !== 'seller' && principal.role !== 'admin') {
        throw new Forbidden('Only sellers and admins add products');
      }
      const processed = await prepareImages(uploads);
      const id = randomUUID();
      const { rows: images, files } = await storeImages(id, processed);
      const product = await withStoredFiles(files, () =>
        db.transaction(async (tx) => {
          const products = productStore(tx);
          const category = input.category ?? null;
          if (category) await products.ensureCategory(category, categoryNameFromSlug(category));
          let inserted = false;
          for (let attempt = 0; !inserted && attempt < SLUG_ATTEMPTS; attempt++) {
            inserted = await products.insert({
              id,
              sellerId: principal.userId,
              slug: productSlug(input.name, attempt),
              name: input.name.trim(),
              description: input.description ?? '',
              priceAmount: input.price,
              currency: input.currency ?? 'USD',
              category,
              attributes: input.attributes ?? {},
            });
          }
          if (!inserted) throw new Conflict('Could not find a free slug for this name, try again', 'SLUG_TAKEN');
          await stockStore(tx).init(id, input.stock ?? 0);
          await imageStore(tx).insertMany(id, images);
          await announceCatalogChange(tx);
          const created = await mustFind(tx, id);
          await events.productCreated(tx, snapshotOf(created));
          return created;
        }),
      );
      listing.invalidate();
      return presentProduct(product);
    },

    async update(principal: Principal, ref: string, patch: ProductPatch): Promise<Product> {
      const { product, changed } = await db.transaction(async (tx) => {
        const row = await lockOwned(tx, principal, ref);
        const products = productStore(tx);
        if (patch.category) await products.ensureCategory(patch.category, categoryNameFromSlug(patch.category));
        const change: ProductChange = {
          name: patch.name?.trim(),
          description: patch.description,
          priceAmount: patch.price,
          currency: patch.currency,
          category: patch.category,
          attributes: patch.attributes,
          status: patch.status,
        };
        const changed = await products.update(row.id, change);
        const product = await mustFind(tx, row.id);
        if (changed.length) {
          await announceCatalogChange(tx);
          if (changed.includes('status') && product.status === 'archived') {
            await events.productDeleted(tx, snapshotOf(product));
          } else {
            await events.productUpdated(tx, snapshotOf(product, changed));
          }
        }
        return { product, changed };
      });
      if (changed.length) listing.invalidate();
      return presentProduct(product);
    },

    /** Soft delete: archived, gone from lists and search, still readable by id or slug (orders show it). */
    async archive(principal: Principal, ref: string): Promise<void> {
      const archived = await db.transaction(async (tx) => {
        const row = await lockOwned(tx, principal, ref);
        if (row.status === 'archived') return false;
        await productStore(tx).update(row.id, { status: 'archived' });
        await announceCatalogChange(tx);
        await events.productDeleted(tx, snapshotOf(await mustFind(tx, row.id)));
        return true;
      });
      if (archived) listing.invalidate();
    },

    async addImages(principal: Principal, ref: string, uploads: readonly Upload[]): Promise<Product> {
      // cheap checks before the expensive image work; repeated under the lock below
      const current = await mustFind(db, ref);
      assertMayChange(principal, current.sellerId);
      const processed = await prepareImages(uploads, current.images.length);
      const { rows, files } = await storeImages(current.id, processed);
      const product = await withStoredFiles(files, () =>
        db.transaction(async (tx) => {
          const row = await lockOwned(tx, principal, current.id);
          const images = imageStore(tx);
          const count = await images.count(row.id);
          if (count + rows.length > deps.images.maxPerProduct) {
            throw new Conflict(
              `A product has at most ${deps.images.maxPerProduct} images; this one has ${count}`,
              'IMAGE_LIMIT_REACHED',
            );
          }
          await images.insertMany(row.id, rows);
          const product = await mustFind(tx, row.id);
          await events.productUpdated(tx, snapshotOf(product, ['images']));
          return product;
        }),
      );
      return presentProduct(product);
    },

    async removeImage(principal: Principal, ref: string, imageId: string): Promise<void> {
      const removed = await db.transaction(async (tx) => {
        const row = await lockOwned(tx, principal, ref);
        const image = await imageStore(tx).delete(row.id, imageId);
        if (!image) throw new NotFound('Image not found', 'IMAGE_NOT_FOUND');
        await events.productUpdated(tx, snapshotOf(await mustFind(tx, row.id), ['images']));
        return image;
      });
      // files go after the commit; seeded catalogs share files, so only those nobody points at any more
      if (removed.storage !== storage.kind) {
        logger.warn({ imageId, storage: removed.storage }, 'image files are in another storage; left in place');
        return;
      }
      if ((await imageStore(db).keysInUse([removed.originalKey])).size > 0) return;
      await discard(
        [removed.originalKey, removed.thumbnailKey, removed.mediumKey]
          .filter((k): k is string => Boolean(k))
          .map((key) => ({ key, ref: key === removed.originalKey ? removed.storageRef : null })),
      );
    },

    async getStock(principal: Principal | null, ref: string): Promise<StockView> {
      const product = await mustFind(db, ref);
      return stockView(db, product, principal);
    },

    /** Sets the units on hand; never below what open orders have reserved (409). */
    async setStock(principal: Principal, ref: string, quantity: number): Promise<StockView> {
      return db.transaction(async (tx) => {
        const row = await lockOwned(tx, principal, ref);
        const stock = stockStore(tx);
        const updated = await stock.setOnHand(row.id, quantity);
        if (!updated) {
          const current = await stock.get(row.id);
          if (!current) {
            await stock.init(row.id, quantity);
          } else {
            throw new Conflict(
              `Open orders have reserved ${current.reserved} units; on-hand stock cannot go below that`,
              'STOCK_BELOW_RESERVED',
            );
          }
        }
        const product = await mustFind(tx, row.id);
        await events.productUpdated(tx, snapshotOf(product, ['stock']));
        return stockView(tx, product, principal);
      });
    },

    async listCategories(limit: number, afterSlug?: string): Promise<{ items: Category[]; nextCursor: string | null }> {
      const page = keysetPage(await categoryStore(db).page(limit + 1, afterSlug), limit, (c) => [c.slug]);
      return { items: page.items.map(presentCategory), nextCursor: page.nextCursor };
    },

    async getCategory(ref: string): Promise<Category> {
      const row = await categoryStore(db).byRef(ref);
      if (!row) throw new NotFound('Category not found', 'CATEGORY_NOT_FOUND');
      return presentCategory(row);
    },

    async createCategory(input: { slug: string; name?: string | undefined; description?: string | undefined }) {
      const row = await db.transaction(async (tx) => {
        const created = await categoryStore(tx).insert({
          slug: input.slug,
          name: input.name?.trim() || categoryNameFromSlug(input.slug),
          description: input.description ?? '',
        });
        if (!created) throw new Conflict('A category with this slug exists', 'CATEGORY_EXISTS');
        await announceCatalogChange(tx);
        return created;
      });
      listing.invalidate();
      return presentCategory(row);
    },

    async updateCategory(ref: string, change: { name?: string | undefined; description?: string | undefined }) {
      const row = await categoryStore(db).update(ref, { name: change.name?.trim(), description: change.description });
      if (!row) throw new NotFound('Category not found', 'CATEGORY_NOT_FOUND');
      return presentCategory(row);
    },

    /** Only a category no product (archived ones included) belongs to. */
    async deleteCategory(ref: string): Promise<void> {
      try {
        await db.transaction(async (tx) => {
          const categories = categoryStore(tx);
          const row = await categories.byRef(ref);
          if (!row) throw new NotFound('Category not found', 'CATEGORY_NOT_FOUND');
          const used = await categories.productCount(row.slug);
          if (used > 0) throw new Conflict(`${used} product(s) belong to this category`, 'CATEGORY_IN_USE');
          await categories.delete(row.id);
          await announceCatalogChange(tx);
        });
      } catch (err) {
        if (isForeignKeyViolation(err)) throw new Conflict('Products belong to this category', 'CATEGORY_IN_USE');
        throw err;
      }
      listing.invalidate();
    },
  };
}

export type Catalog = ReturnType<typeof createCatalog>;
