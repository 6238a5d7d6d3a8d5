// Composition root of the product service: the catalog's use cases and routes, and its background work
// (the outbox relay, the reservation expiry sweep and the inventory_queue consumer).
import multipart from '@fastify/multipart';
import { QUEUES } from '@microbazaar/contracts';
import {
  type App,
  type Bus,
  type Cache,
  createServiceApp,
  type Db,
  type Logger,
  type OutboxRelay,
  type Periodic,
  RateLimiter,
  serviceEvents,
  serviceMigrations,
  startPeriodic,
  startWorkers,
  type TokenVerifier,
  type WorkersOption,
} from '@microbazaar/kit';
import { createRenderer, type Renderer } from './adapters/renditions.js';
import type { MediaStorage } from './adapters/storage.js';
import type { LocalStorage } from './adapters/storage-local.js';
import type { ProductConfig } from './config.js';
import { inventoryFastPaths, inventoryHandlers } from './events/handlers.js';
import { outboxEvents, type ProductEvents } from './events/publish.js';
import { categoryRoutes } from './http/categories.js';
import { mediaRoutes } from './http/media.js';
import { productRoutes } from './http/products.js';
import { hasTrigram } from './store/listing.js';
import { type Categories, createCategories } from './usecases/categories.js';
import { createImageFiles } from './usecases/image-files.js';
import { createProductImages, type ProductImages } from './usecases/images.js';
import { createInventory, type Inventory } from './usecases/inventory.js';
import { createListing, type Listing } from './usecases/listing.js';
import { createProducts, type Products } from './usecases/products.js';
import { createStock, type StockLevels } from './usecases/stock.js';

/** The service's tables after the kit's outbox and inbox (same schema, so events commit with state). */
export const migrations = serviceMigrations(new URL('../migrations', import.meta.url));

export interface ProductDeps extends WorkersOption {
  config: ProductConfig;
  logger: Logger;
  db: Db;
  bus: Bus;
  /** counters of the per-uploader image limit (Redis across instances) */
  cache: Cache;
  storage: MediaStorage;
  /** defaults to the auth service's JWKS at config.AUTH_JWKS_URL */
  verifier?: TokenVerifier;
  events?: ProductEvents;
  now?: () => Date;
}

export interface ProductService {
  app: App;
  products: Products;
  images: ProductImages;
  stock: StockLevels;
  categories: Categories;
  listing: Listing;
  inventory: Inventory;
  /** the image work of this instance (IMAGE_JOBS at once) */
  renderer: Renderer;
  /** pg_trgm is installed: misspelt searches are corrected */
  trigram: boolean;
  /** absent when built without workers */
  relay?: OutboxRelay;
  sweeper?: Periodic;
}

export async function buildApp(deps: ProductDeps): Promise<ProductService> {
  const { config, logger, db, bus, storage } = deps;
  const events = deps.events ?? outboxEvents;
  const trigram = await hasTrigram(db);
  if (!trigram) logger.info('pg_trgm is not installed: misspelt searches fall back to prefix matching only');

  const listing = createListing({
    db,
    logger,
    trigram,
    cacheTtlMs: config.SEARCH_CACHE_TTL_MS,
    cacheMaxEntries: config.SEARCH_CACHE_MAX_ENTRIES,
    rankWindow: config.SEARCH_RANK_WINDOW,
  });
  const renderer = createRenderer({ concurrency: config.IMAGE_JOBS, threads: config.IMAGE_THREADS });
  const files = createImageFiles({
    storage,
    logger,
    renderer,
    uploads:
      config.IMAGE_UPLOAD_LIMIT > 0
        ? new RateLimiter(
            deps.cache,
            'image-uploads',
            config.IMAGE_UPLOAD_LIMIT,
            config.IMAGE_UPLOAD_WINDOW_SECONDS * 1000,
            `At most ${config.IMAGE_UPLOAD_LIMIT} images per ${config.IMAGE_UPLOAD_WINDOW_SECONDS} s: try again later`,
          )
        : undefined,
    images: {
      maxPixels: config.IMAGE_MAX_PIXELS,
      thumbnailSize: config.THUMBNAIL_SIZE,
      mediumSize: config.MEDIUM_SIZE,
      maxPerProduct: config.IMAGES_PER_PRODUCT,
    },
  });
  const products = createProducts({ db, events, files, listing });
  const images = createProductImages({
    db,
    storage,
    events,
    files,
    logger,
    maxPerProduct: config.IMAGES_PER_PRODUCT,
  });
  const stock = createStock({ db, events });
  const categories = createCategories({ db, listing });
  const inventory = createInventory({
    db,
    reservationTtlMs: config.RESERVATION_TTL_SECONDS * 1000,
    events,
    ...(deps.now ? { now: deps.now } : {}),
  });

  const { app, guards } = await createServiceApp({
    name: 'product',
    description: 'Catalog, images, search and inventory (stock and reservations)',
    config,
    logger,
    verifier: deps.verifier,
    readiness: { db: () => db.ping(), storage: () => storage.ping(), bus: () => bus.ping() },
  });
  await app.register(multipart, {
    limits: {
      fileSize: config.IMAGE_MAX_BYTES,
      files: config.IMAGES_PER_PRODUCT,
      fields: 20,
      fieldSize: 128 * 1024,
      parts: config.IMAGES_PER_PRODUCT + 20,
    },
    throwFileSizeLimit: true,
  });
  productRoutes(app, {
    products,
    images,
    stock,
    listing,
    guards,
    maxImageBytes: config.IMAGE_MAX_BYTES,
    maxImages: config.IMAGES_PER_PRODUCT,
  });
  categoryRoutes(app, { categories, guards });
  if (storage.kind === 'local') mediaRoutes(app, { storage: storage as LocalStorage, prefix: mediaPrefix(config) });

  // cached searches end when another instance changes the catalog (an HTTP-only instance needs it too)
  const unfollow = await listing.follow().catch((err: unknown) => {
    logger.warn({ err }, 'cannot LISTEN for catalog changes: cached searches rely on their TTL');
    return async () => {};
  });
  app.addHook('onClose', async () => unfollow());

  const service = { app, products, images, stock, categories, listing, inventory, renderer, trigram };
  if (deps.workers === false) return service;
  const eventWorkers = serviceEvents({ app, db, bus, logger, config });
  const workers = await startWorkers(app, async (add) => {
    const relay = add(await eventWorkers.relay());
    const sweeper = add(
      startPeriodic(
        'release-expired-reservations',
        config.RESERVATION_SWEEP_INTERVAL_MS,
        async () => {
          const released = await inventory.releaseExpired();
          if (released) logger.info({ released }, 'expired reservations released');
        },
        logger,
      ),
    );
    // started last, stopped first: no new orders while the sweep and the relay finish
    add(await eventWorkers.consume(QUEUES.inventory, inventoryHandlers(inventory), inventoryFastPaths(inventory)));
    return { relay, sweeper };
  });
  return { ...service, ...workers };
}

/** The path local media is served under: MEDIA_BASE_URL's path ('/media' by default). */
export function mediaPrefix(config: ProductConfig): string {
  const path = /^https?:\/\//.test(config.MEDIA_BASE_URL)
    ? new URL(config.MEDIA_BASE_URL).pathname
    : config.MEDIA_BASE_URL;
  return `/${path.replace(/^\/+|\/+$/g, '')}`;
}
