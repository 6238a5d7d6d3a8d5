// The assistant service's configuration: the only place that reads process.env.
import { fileURLToPath } from 'node:url';
import { BusEnv, CommonEnv, type Env, loadEnv } from '@microbazaar/kit';
import { type Static, Type } from '@sinclair/typebox';

/** The FAQ shipped with the service (services/assistant/faq.md). */
export const DEFAULT_FAQ_PATH = fileURLToPath(new URL('../faq.md', import.meta.url));

const Url = (description: string, fallback: string) =>
  Type.String({ pattern: '^https?://', default: fallback, description });

export const AssistantConfigSchema = Type.Object({
  ...CommonEnv,
  ...BusEnv,
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 3006 }),
  DB_SCHEMA: Type.String({ default: 'assistant' }),
  PRODUCT_URL: Url('the product service: backfill pages and products to index', 'http://127.0.0.1:3001'),
  ORDER_URL: Url("the order service, called with the customer's token", 'http://127.0.0.1:3003'),
  CART_URL: Url("the cart service, called with the customer's token", 'http://127.0.0.1:3002'),
  /** per call to another service; past it the call fails (503) */
  UPSTREAM_TIMEOUT_MS: Type.Integer({ minimum: 100, default: 5000 }),
  /** the shop's FAQ, Markdown cut at its headings; default the shipped one */
  ASSISTANT_FAQ_PATH: Type.String({ default: DEFAULT_FAQ_PATH }),
  /** worker threads running the embedding model (each holds the model, ~120 MB) */
  ASSISTANT_EMBED_WORKERS: Type.Integer({ minimum: 1, maximum: 16, default: 1 }),
  /** words of a product's description the model reads besides its name and category (0: none, the fastest) */
  ASSISTANT_EMBED_DESCRIPTION_WORDS: Type.Integer({ minimum: 0, maximum: 64, default: 0 }),
  /** products per page of the backfill from the product API */
  ASSISTANT_BACKFILL_PAGE_SIZE: Type.Integer({ minimum: 1, maximum: 100, default: 100 }),
  /** the in-memory index looks for changes this often when no notification came */
  ASSISTANT_INDEX_SWEEP_MS: Type.Integer({ minimum: 50, default: 5000 }),
  /** the search vocabulary (filter words, word statistics) is rebuilt at most this often while the catalog changes;
   * a product changed since is matched by its own words meanwhile */
  ASSISTANT_VOCABULARY_REBUILD_MS: Type.Integer({ minimum: 0, default: 2000 }),
  /** searches kept (ids of results) until the catalog changes */
  ASSISTANT_SEARCH_CACHE_ENTRIES: Type.Integer({ minimum: 0, default: 2000 }),
  /** a conversation is deleted this long after its last message */
  ASSISTANT_CONVERSATION_TTL_HOURS: Type.Number({ exclusiveMinimum: 0, default: 720 }),
  /** how often expired conversations are deleted */
  ASSISTANT_CONVERSATION_SWEEP_MS: Type.Integer({ minimum: 50, default: 600_000 }),
  /** chat messages per user (or per IP for guests) per window; 0 = no limit */
  ASSISTANT_CHAT_RATE_LIMIT: Type.Integer({ minimum: 0, default: 30 }),
  ASSISTANT_CHAT_RATE_WINDOW_MS: Type.Integer({ minimum: 1000, default: 60_000 }),
  /** an OpenAI-compatible API (…/v1); unset = offline only */
  LLM_BASE_URL: Type.Optional(Type.String({ pattern: '^https?://' })),
  LLM_API_KEY: Type.Optional(Type.String({ minLength: 1 })),
  LLM_MODEL: Type.String({ default: 'gpt-4o-mini' }),
  /** per call to the language model; past it the offline assistant answers */
  LLM_TIMEOUT_MS: Type.Integer({ minimum: 100, default: 15_000 }),
  /** model calls per chat turn (each may call tools) before the offline assistant answers instead */
  LLM_MAX_ROUNDS: Type.Integer({ minimum: 1, maximum: 10, default: 4 }),
});

export type AssistantConfig = Static<typeof AssistantConfigSchema>;

export function loadConfig(env: Env = process.env): AssistantConfig {
  return loadEnv(AssistantConfigSchema, env);
}
