// Composition root of the product service: buildApp(deps) wires stores, search, storage, inventory and routes.
import { fileURLToPath } from 'node:url';
import multipart from '@fastify/multipart';
import {
  type App,
  type Bus,
  createApp,
  createGuards,
  createJwksVerifier,
  type Db,
  eventsMigrations,
  installEventContext,
  type Logger,
  migrate,
  type TokenVerifier,
} from '@microbazaar/kit';
import { createCatalog } from './catalog.js';
import type { ProductConfig } from './config.js';
import { createInventoryHandlers } from './events/handlers.js';
import { outboxEvents, type ProductEvents } from './events/publisher.js';
import { categoryRoutes } from './http/categories.js';
import { mediaRoutes } from './http/media.js';
import { productRoutes } from './http/products.js';
import { createListing } from './listing.js';
import type { LocalStorage } from './media/local.js';
import type { MediaStorage } from './media/storage.js';

export const MIGRATIONS_DIR = fileURLToPath(new URL('../migrations', import.meta.url));

/** The service's tables after the kit's outbox and inbox (same schema, so events commit with state). */
export function migrateProduct(db: Db): Promise<string[]> {
  return migrate(db, MIGRATIONS_DIR, { include: [eventsMigrations] });
}

/** pg_trgm is installed (PostgreSQL contrib, and loaded into the embedded PGlite by the kit); a server without it degrades to prefix matching. */
export async function hasTrigram(db: Db): Promise<boolean> {
  const [row] = await db.query<{ ok: boolean }>(
    `SELECT to_regprocedure('word_similarity(text, text)') IS NOT NULL AS ok`,
  );
  return row?.ok === true;
}

export interface ProductDeps {
  config: ProductConfig;
  logger: Logger;
  db: Db;
  storage: MediaStorage;
  /** for /health/ready; the relay and the inventory consumer are started by startWorkers */
  bus?: Bus;
  /** defaults to the auth service's JWKS at config.AUTH_JWKS_URL */
  verifier?: TokenVerifier;
  events?: ProductEvents;
  now?: () => Date;
}

export async function buildApp(deps: ProductDeps) {
  const { config, logger, db, storage, bus } = deps;
  const events = deps.events ?? outboxEvents;
  const trigram = await hasTrigram(db);
  if (!trigram) logger.info('pg_trgm is not installed: misspelt searches fall back to prefix matching only');

  const listing = createListing({
    db,
    logger,
    trigram,
    cacheTtlMs: config.SEARCH_CACHE_TTL_MS,
    cacheMaxEntries: config.SEARCH_CACHE_MAX_ENTRIES,
  });
  const images = {
    maxPixels: config.IMAGE_MAX_PIXELS,
    thumbnailSize: config.THUMBNAIL_SIZE,
    mediumSize: config.MEDIUM_SIZE,
    maxPerProduct: config.IMAGES_PER_PRODUCT,
  };
  const catalog = createCatalog({ db, storage, events, listing, logger, images });
  const inventory = createInventoryHandlers({
    reservationTtlMs: config.RESERVATION_TTL_SECONDS * 1000,
    events,
    ...(deps.now ? { now: deps.now } : {}),
  });
  const verifier =
    deps.verifier ??
    createJwksVerifier(config.AUTH_JWKS_URL, { issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE });
  const guards = createGuards(verifier);

  const app: App = await createApp({
    name: 'product',
    logger,
    description: 'Catalog, images, search and inventory (stock and reservations)',
    bodyLimit: config.BODY_LIMIT_BYTES,
    trustProxy: config.TRUST_PROXY,
    readiness: {
      db: () => db.ping(),
      storage: () => storage.ping(),
      ...(bus ? { bus: () => bus.ping() } : {}),
    },
  });
  // request id → correlationId of every event a request writes
  installEventContext(app);
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
    catalog,
    listing,
    guards,
    maxImageBytes: config.IMAGE_MAX_BYTES,
    maxImages: config.IMAGES_PER_PRODUCT,
  });
  categoryRoutes(app, { catalog, guards });
  if (storage.kind === 'local') mediaRoutes(app, { storage: storage as LocalStorage, prefix: mediaPrefix(config) });

  // cached searches end when another instance changes the catalog
  const unfollow = await listing.follow().catch((err: unknown) => {
    logger.warn({ err }, 'cannot LISTEN for catalog changes: cached searches rely on their TTL');
    return async () => {};
  });
  app.addHook('onClose', async () => unfollow());

  return { app, catalog, listing, inventory, trigram };
}

/** The path local media is served under: MEDIA_BASE_URL's path ('/media' by default). */
export function mediaPrefix(config: ProductConfig): string {
  const path = /^https?:\/\//.test(config.MEDIA_BASE_URL)
    ? new URL(config.MEDIA_BASE_URL).pathname
    : config.MEDIA_BASE_URL;
  return `/${path.replace(/^\/+|\/+$/g, '')}`;
}

export type ProductApp = Awaited<ReturnType<typeof buildApp>>;
