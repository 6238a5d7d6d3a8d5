// What the assistant can do, the same for the offline path and the language model's tool calls. Every
// call about orders or carts goes to the owning service with the caller's own token, so its checks apply.
import { randomUUID } from 'node:crypto';
import { type Db, isUuid, type Principal } from '@microbazaar/kit';
import type { AddOutcome, CartClient } from '../adapters/cart.js';
import type { Embedder } from '../adapters/embedder.js';
import type { CallContext } from '../adapters/http.js';
import type { CancelOutcome, OrdersClient, OrderView } from '../adapters/orders.js';
import type { IndexEntry } from '../domain/entry.js';
import { type Faq, type FaqSection, matchFaq } from '../domain/faq.js';
import { dot } from '../domain/vectors.js';
import type { StoredMessage } from '../store/conversations.js';
import { handoffsStore } from '../store/handoffs.js';
import type { CatalogIndex } from './catalog-index.js';
import type { Recommendations } from './recommendations.js';
import type { Search } from './search.js';

export interface Caller {
  principal: Principal | null;
  /** the caller's Authorization header, passed on to the order and cart services as it came */
  authorization?: string | undefined;
  /** a guest's cart id (x-cart-id), passed on to the cart service */
  cartId?: string | undefined;
  requestId: string;
}

export function callContext(caller: Caller): CallContext {
  return {
    ...(caller.authorization ? { authorization: caller.authorization } : {}),
    requestId: caller.requestId,
    ...(caller.cartId && !caller.principal ? { headers: { 'x-cart-id': caller.cartId } } : {}),
  };
}

export interface FaqAnswer {
  section: FaqSection;
  score: number;
}

export interface Tools {
  search: Search;
  recommendations: Recommendations;
  product(idOrSlug: string): IndexEntry | undefined;
  /** a word of some product's name, category or attributes */
  knownTerm(term: string): boolean;
  categoryName(slug: string): string | undefined;
  myOrders(caller: Caller, limit?: number): Promise<OrderView[]>;
  /** an order of the caller's by full id or by the start of its id (among their latest 50) */
  findOrder(caller: Caller, ref: string): Promise<OrderView | undefined>;
  cancelOrder(caller: Caller, orderId: string): Promise<CancelOutcome>;
  addToCart(caller: Caller, productId: string, quantity: number): Promise<AddOutcome | 'sign_in'>;
  faq(question: string): Promise<FaqAnswer | undefined>;
  handoff(caller: Caller, conversationId: string, message: string, transcript: StoredMessage[]): Promise<string>;
}

/** lexical share, or cosine, an FAQ section needs to count as the answer */
const FAQ_MIN_LEXICAL = 0.34;
const FAQ_MIN_SEMANTIC = 0.5;

export async function createTools(deps: {
  db: Db;
  index: CatalogIndex;
  search: Search;
  recommendations: Recommendations;
  orders: OrdersClient;
  cart: CartClient;
  faq: Faq;
  embedder: Embedder;
}): Promise<Tools> {
  const { index, orders, cart, faq, embedder } = deps;
  const handoffs = handoffsStore(deps.db);
  // each FAQ topic's title and opening, embedded once: questions in other words still find it
  const faqVectors = faq.sections.length
    ? await embedder.embed(
        faq.sections.map((s) => `${s.title}. ${s.body.split(/(?<=[.!?])\s/)[0] ?? ''}`),
        { priority: 'bulk' },
      )
    : [];

  return {
    search: deps.search,
    recommendations: deps.recommendations,
    knownTerm(term) {
      if (index.vocabulary().shopTerms.has(term)) return true;
      // a product changed since the vocabulary was built is known by its own words already, as search knows it
      for (const id of index.fresh()) {
        const entry = index.get(id);
        if (entry?.item.status === 'active' && (entry.nameTerms.has(term) || entry.facetTerms.has(term))) return true;
      }
      return false;
    },
    categoryName: (slug) => index.categoryName(slug),
    product(idOrSlug) {
      return isUuid(idOrSlug) ? index.get(idOrSlug.toLowerCase()) : index.bySlug(idOrSlug);
    },
    async myOrders(caller, limit = 5) {
      return orders.mine(callContext(caller), limit);
    },
    async findOrder(caller, ref) {
      const ctx = callContext(caller);
      if (isUuid(ref)) return orders.get(ref.toLowerCase(), ctx);
      const mine = await orders.mine(ctx, 50);
      const matches = mine.filter((o) => o.id.toLowerCase().startsWith(ref.toLowerCase()));
      return matches.length === 1 ? matches[0] : undefined;
    },
    cancelOrder: (caller, orderId) => orders.cancel(orderId, callContext(caller)),
    async addToCart(caller, productId, quantity) {
      if (!caller.principal && !caller.cartId) return 'sign_in';
      return cart.add(productId, quantity, callContext(caller));
    },
    async faq(question) {
      const lexical = matchFaq(faq, question, faq.sections.length);
      const [q] = faqVectors.length ? await embedder.embed([question.toLowerCase()]) : [];
      let best: FaqAnswer | undefined;
      faq.sections.forEach((section, i) => {
        const lex = lexical.find((m) => m.section === section)?.score ?? 0;
        const sem = q && faqVectors[i] ? dot(q, faqVectors[i] as Float32Array) : 0;
        if (lex < FAQ_MIN_LEXICAL && sem < FAQ_MIN_SEMANTIC) return;
        const score = lex + sem;
        if (!best || score > best.score) best = { section, score };
      });
      return best;
    },
    async handoff(caller, conversationId, message, transcript) {
      const id = randomUUID();
      await handoffs.create({
        id,
        conversationId,
        userId: caller.principal?.userId ?? null,
        email: caller.principal?.email ?? null,
        message,
        transcript: transcript.slice(-20),
      });
      return id;
    },
  };
}
