// Composition root of the assistant: the in-memory catalog index, search, recommendations, chat and
// routes; workers: the assistant_queue consumer, the reindex queue, the backfill and the conversation sweeper.
import { readFileSync } from 'node:fs';
import { QUEUES } from '@microbazaar/contracts';
import {
  type App,
  type Bus,
  busMetrics,
  type Cache,
  createServiceApp,
  type Db,
  type Logger,
  retryPolicyFrom,
  serviceMigrations,
  startPeriodic,
  startWorkers,
  subscribeWithInbox,
  type TokenVerifier,
  type WorkersOption,
  wakeLoop,
} from '@microbazaar/kit';
import { Gauge } from 'prom-client';
import type { CartClient } from './adapters/cart.js';
import type { CatalogSource } from './adapters/catalog.js';
import type { Embedder } from './adapters/embedder.js';
import { openAiModel } from './adapters/llm.js';
import type { OrdersClient } from './adapters/orders.js';
import type { AssistantConfig } from './config.js';
import { type Faq, parseFaq } from './domain/faq.js';
import { assistantHandlers } from './events/handlers.js';
import { assistantRoutes } from './http/routes.js';
import { catalogChannel } from './store/catalog.js';
import { handoffsStore } from './store/handoffs.js';
import { purchasesStore } from './store/purchases.js';
import { type BackfillResult, needsBackfill, runBackfill } from './usecases/backfill.js';
import { type CatalogIndex, openCatalogIndex } from './usecases/catalog-index.js';
import { type Chat, createChat, type ModelAgent } from './usecases/chat.js';
import { createIndexer, type Indexer } from './usecases/indexer.js';
import { modelAgent } from './usecases/model.js';
import { createRecommendations, type Recommendations } from './usecases/recommendations.js';
import { createSearch, type Search } from './usecases/search.js';
import { createTools } from './usecases/tools.js';

export const migrations = serviceMigrations(new URL('../migrations', import.meta.url));

export interface AssistantDeps extends WorkersOption {
  config: AssistantConfig;
  logger: Logger;
  db: Db;
  bus: Bus;
  /** rate-limit counters */
  cache: Cache;
  embedder: Embedder;
  source: CatalogSource;
  orders: OrdersClient;
  cart: CartClient;
  /** the language model; default an OpenAI-compatible API when LLM_BASE_URL is set, else none */
  model?: ModelAgent | undefined;
  /** default: the Markdown file at ASSISTANT_FAQ_PATH */
  faq?: Faq;
  /** defaults to the auth service's JWKS at config.AUTH_JWKS_URL */
  verifier?: TokenVerifier;
  /** run the backfill at start when the read model needs one (default true; tests drive it themselves) */
  backfill?: boolean;
}

export interface AssistantService {
  app: App;
  index: CatalogIndex;
  search: Search;
  recommendations: Recommendations;
  chat: Chat;
  indexer: Indexer;
  /** the backfill started with the service, when one was needed */
  backfill?: Promise<BackfillResult | undefined>;
}

export async function buildApp(deps: AssistantDeps): Promise<AssistantService> {
  const { config, logger, db, bus, embedder } = deps;
  const channel = catalogChannel(db.schema);
  const index = await openCatalogIndex({
    db,
    logger,
    model: embedder.model,
    sweepMs: config.ASSISTANT_INDEX_SWEEP_MS,
    vocabularyEveryMs: config.ASSISTANT_VOCABULARY_REBUILD_MS,
  });
  const search = createSearch({ index, embedder, cacheEntries: config.ASSISTANT_SEARCH_CACHE_ENTRIES });
  const recommendations = createRecommendations({
    index,
    purchases: purchasesStore(db),
    orders: deps.orders,
    cart: deps.cart,
  });
  const faq = deps.faq ?? parseFaq(readFileSync(config.ASSISTANT_FAQ_PATH, 'utf8'));
  const tools = await createTools({
    db,
    index,
    search,
    recommendations,
    orders: deps.orders,
    cart: deps.cart,
    faq,
    embedder,
  });
  const model =
    deps.model ??
    (config.LLM_BASE_URL
      ? modelAgent({
          client: openAiModel({
            baseUrl: config.LLM_BASE_URL,
            apiKey: config.LLM_API_KEY,
            model: config.LLM_MODEL,
            timeoutMs: config.LLM_TIMEOUT_MS,
          }),
          maxRounds: config.LLM_MAX_ROUNDS,
          logger,
        })
      : undefined);
  const chat = createChat({
    db,
    tools,
    logger,
    ttlMs: config.ASSISTANT_CONVERSATION_TTL_HOURS * 3_600_000,
    model,
  });
  const indexer = createIndexer({
    db,
    embedder,
    source: deps.source,
    logger,
    categoryName: (slug) => index.categoryName(slug),
    descriptionWords: config.ASSISTANT_EMBED_DESCRIPTION_WORDS,
  });

  const { app, guards } = await createServiceApp({
    name: 'assistant',
    description: 'The AI shopping assistant: search in plain words, recommendations, support chat',
    config,
    logger,
    verifier: deps.verifier,
    readiness: { db: () => db.ping(), bus: () => bus.ping() },
  });
  app.addHook('onClose', () => index.close());
  new Gauge({
    name: 'assistant_catalog_products',
    help: "Active products in this instance's in-memory catalog index",
    registers: [app.metrics.registry],
    collect() {
      this.set(index.entries().reduce((n, e) => n + (e.item.status === 'active' ? 1 : 0), 0));
    },
  });
  assistantRoutes(app, {
    chat,
    search,
    recommendations,
    handoffs: handoffsStore(db),
    guards,
    cache: deps.cache,
    chatRateLimit: { limit: config.ASSISTANT_CHAT_RATE_LIMIT, windowMs: config.ASSISTANT_CHAT_RATE_WINDOW_MS },
  });

  const service: AssistantService = { app, index, search, recommendations, chat, indexer };
  if (deps.workers === false) return service;

  const metrics = busMetrics(app.metrics.registry);
  await startWorkers(app, async (add) => {
    // the reindex queue: woken by the NOTIFY its events send, swept for retries that come due
    const reindex = wakeLoop(async () => {
      try {
        while ((await indexer.drainQueue()) > 0 && !reindex.stopped) {}
      } catch (err) {
        logger.warn({ err: (err as Error).message }, 'reindexing failed; retrying on the next sweep');
      }
    }, 2000);
    const unlisten = await db.listen(channel, (what) => {
      if (what === 'reindex') reindex.wake();
    });
    add({
      async stop() {
        await unlisten();
        await reindex.stop();
      },
    });
    reindex.wake();

    if (deps.backfill !== false && (await needsBackfill(db))) {
      const abort = new AbortController();
      const running = runBackfill({
        db,
        source: deps.source,
        indexer,
        logger,
        pageSize: config.ASSISTANT_BACKFILL_PAGE_SIZE,
        signal: abort.signal,
      }).catch((err: unknown) => {
        logger.warn({ err: (err as Error).message }, 'catalog backfill stopped; it resumes at the next start');
        return undefined;
      });
      service.backfill = running;
      add({
        async stop() {
          abort.abort();
          await running;
        },
      });
    }

    add(
      startPeriodic(
        'delete-expired-conversations',
        config.ASSISTANT_CONVERSATION_SWEEP_MS,
        async () => {
          const deleted = await chat.deleteExpired();
          if (deleted) logger.info({ deleted }, 'expired conversations deleted');
        },
        logger,
      ),
    );
    // started last, stopped first
    add(
      await subscribeWithInbox({
        bus,
        db,
        queue: QUEUES.assistant,
        handlers: assistantHandlers({ channel }),
        logger,
        metrics,
        ...retryPolicyFrom(config),
      }),
    );
  });
  return service;
}
