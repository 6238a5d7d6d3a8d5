// Products: read, create (with their images), change and archive. Who may do what is decided here.
import { randomUUID } from 'node:crypto';
import { Conflict, type Db, Forbidden, type Principal } from '@microbazaar/kit';
import {
  type Attributes,
  categoryNameFromSlug,
  type Product,
  type ProductStatus,
  presentProduct,
  productSlug,
  snapshotOf,
} from '../domain/products.js';
import type { ProductEvents } from '../events/publish.js';
import { imageStore } from '../store/images.js';
import { announceCatalogChange, type ProductChange, productStore } from '../store/products.js';
import { stockStore } from '../store/stock.js';
import { findProduct, findVisible, lockOwned, type Viewer } from './access.js';
import type { ImageFiles, Upload } from './image-files.js';
import type { Listing } from './listing.js';

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

export interface ProductsDeps {
  db: Db;
  events: ProductEvents;
  files: ImageFiles;
  listing: Pick<Listing, 'invalidate'>;
}

const SLUG_ATTEMPTS = 5;

export function createProducts(deps: ProductsDeps) {
  const { db, events, files, listing } = deps;

  return {
    /** An archived product only for its seller and admins (404 to everyone else). */
    async get(ref: string, viewer: Viewer): Promise<Product> {
      return presentProduct(await findVisible(db, ref, viewer));
    },

    async create(principal: Principal, input: ProductInput, uploads: readonly Upload[] = []): Promise<Product> {
      if (principal.role !== 'seller' && principal.role !== 'admin') {
        throw new Forbidden('Only sellers and admins add products');
      }
      const processed = await files.prepare(principal.userId, uploads);
      const id = randomUUID();
      const { rows: images, files: stored } = await files.store(id, processed);
      const product = await files.withStoredFiles(stored, () =>
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
          const created = await findProduct(tx, id);
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
        const product = await findProduct(tx, row.id);
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

    /** Soft delete: archived, gone from lists, search and reads; its seller and admins still read it. */
    async archive(principal: Principal, ref: string): Promise<void> {
      const archived = await db.transaction(async (tx) => {
        const row = await lockOwned(tx, principal, ref);
        if (row.status === 'archived') return false;
        await productStore(tx).update(row.id, { status: 'archived' });
        await announceCatalogChange(tx);
        await events.productDeleted(tx, snapshotOf(await findProduct(tx, row.id)));
        return true;
      });
      if (archived) listing.invalidate();
    },
  };
}

export type Products = ReturnType<typeof createProducts>;
