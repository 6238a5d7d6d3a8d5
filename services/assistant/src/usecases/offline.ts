// The offline assistant: rules, the catalog's own words, the embedding model and templates. It acts
// only on what the customer's own message asked for; product and FAQ text are only ever shown.
import { formatMoney } from '@microbazaar/contracts';
import type { OrderView } from '../adapters/orders.js';
import { attributeText, isBuyable, type ProductCard, toCard } from '../domain/catalog.js';
import {
  type ConversationState,
  isRefinement,
  pickShown,
  refineSearch,
  type ShownProduct,
} from '../domain/conversation.js';
import { plainText } from '../domain/faq.js';
import { classify, type Intent, type MessageSignals } from '../domain/intents.js';
import { hasFilters, type ParsedQuery } from '../domain/query.js';
import * as replies from '../domain/replies.js';
import type { ChatAction, StoredMessage } from '../store/conversations.js';
import type { Interpreted, SearchResult } from './search.js';
import type { Caller, Tools } from './tools.js';

export interface TurnResult {
  reply: string;
  intent: Intent;
  products: ProductCard[];
  filters?: Interpreted;
  actions?: ChatAction[];
  suggestions?: string[];
  state: ConversationState;
}

export interface TurnContext {
  message: string;
  state: ConversationState;
  caller: Caller;
  conversationId: string;
  /** the conversation so far, for a hand-over */
  history: () => Promise<StoredMessage[]>;
}

const SHOWN_LIMIT = 5;

function shownOf(cards: readonly ProductCard[]): ShownProduct[] {
  return cards.map((c) => ({ id: c.id, name: c.name, price: c.price }));
}

/** Did the catalog recognise anything in the message: a filter, a kind of product or a catalog word? */
export function catalogSignal(parsed: ParsedQuery, knownTerm: (t: string) => boolean): boolean {
  return hasFilters(parsed) || parsed.sort !== undefined || parsed.kinds.length > 0 || parsed.terms.some(knownTerm);
}

export async function answerOffline(tools: Tools, ctx: TurnContext): Promise<TurnResult> {
  const { message, caller } = ctx;
  const state: ConversationState = { ...ctx.state, turns: ctx.state.turns + 1 };
  const pending = state.pending;
  delete state.pending;
  const parsed = tools.search.parse(message);
  const signals = classify(message, {
    catalogSignal: catalogSignal(parsed, tools.knownTerm),
    awaitingAnswer: pending !== undefined,
  });
  const base = { intent: signals.intent, products: [] as ProductCard[], state };

  // an answer to a proposed cancellation: only this turn's yes, from the customer, cancels
  if (pending && signals.answer) {
    if (signals.answer === 'no') return { ...base, reply: replies.CANCEL_KEPT };
    if (!caller.principal) return { ...base, reply: replies.SIGN_IN_FOR_ORDERS };
    const outcome = await tools.cancelOrder(caller, pending.orderId);
    if (outcome.ok) {
      return {
        ...base,
        reply: replies.cancelDone(pending.orderId, pending.paid === true),
        actions: [{ type: 'cancel_order', orderId: pending.orderId, status: 'done' }],
        suggestions: [...replies.SUGGESTIONS.start],
      };
    }
    return {
      ...base,
      reply: replies.cancelFailed(pending.orderId, outcome.message),
      actions: [{ type: 'cancel_order', orderId: pending.orderId, status: 'failed' }],
    };
  }

  switch (signals.intent) {
    case 'greeting':
      return {
        ...base,
        reply: replies.greetingReply(state.turns, /\b(thanks|thank you|thx|cheers)\b/i.test(message)),
        suggestions: [...replies.SUGGESTIONS.start],
      };
    case 'handoff': {
      await tools.handoff(caller, ctx.conversationId, message, await ctx.history());
      return {
        ...base,
        reply: replies.handoffReply(caller.principal !== null),
        actions: [{ type: 'handoff', status: 'done' }],
      };
    }
    case 'faq':
    case 'unknown': {
      const answer = await tools.faq(message);
      if (answer) {
        return {
          ...base,
          intent: 'faq',
          reply: replies.faqReply(answer.section.title, plainText(answer.section.body)),
        };
      }
      return {
        ...base,
        reply: signals.intent === 'faq' ? replies.FAQ_UNKNOWN : replies.UNKNOWN_REPLY,
        suggestions: [...replies.SUGGESTIONS.start],
      };
    }
    case 'order_status':
      return orderStatus(tools, caller, signals, base);
    case 'cancel_order':
      return proposeCancel(tools, caller, signals, base);
    case 'recommendation':
      return recommend(tools, ctx, signals, parsed, base);
    default:
      return shop(tools, ctx, signals, parsed, base);
  }
}

type Base = { intent: Intent; products: ProductCard[]; state: ConversationState };

async function orderStatus(tools: Tools, caller: Caller, signals: MessageSignals, base: Base): Promise<TurnResult> {
  if (!caller.principal) return { ...base, reply: replies.SIGN_IN_FOR_ORDERS };
  if (signals.orderRef) {
    const order = await tools.findOrder(caller, signals.orderRef);
    return {
      ...base,
      reply: replies.orderStatusReply(order ? [order] : [], signals.orderRef),
      suggestions: [...replies.SUGGESTIONS.afterOrders],
    };
  }
  const orders = await tools.myOrders(caller, 3);
  return { ...base, reply: replies.orderStatusReply(orders), suggestions: [...replies.SUGGESTIONS.afterOrders] };
}

async function proposeCancel(tools: Tools, caller: Caller, signals: MessageSignals, base: Base): Promise<TurnResult> {
  if (!caller.principal) return { ...base, reply: replies.SIGN_IN_FOR_ORDERS };
  let order: OrderView | undefined;
  if (signals.orderRef) {
    order = await tools.findOrder(caller, signals.orderRef);
    if (!order) return { ...base, reply: replies.orderStatusReply([], signals.orderRef) };
  } else {
    const open = (await tools.myOrders(caller, 20)).filter((o) => replies.canCancel(o));
    if (open.length === 0) return { ...base, reply: 'You have no order that can still be cancelled.' };
    if (open.length > 1) {
      return {
        ...base,
        reply: [replies.WHICH_ORDER, ...open.slice(0, 5).map((o) => `• ${replies.orderLine(o)}`)].join('\n'),
      };
    }
    order = open[0] as OrderView;
  }
  if (!replies.canCancel(order)) return { ...base, reply: replies.cancelNotPossible(order) };
  base.state.pending = {
    type: 'cancel_order',
    orderId: order.id,
    at: new Date().toISOString(),
    paid: order.status === 'confirmed',
  };
  return {
    ...base,
    reply: replies.cancelProposal(order),
    actions: [{ type: 'cancel_order', orderId: order.id, status: 'proposed' }],
    suggestions: ['Yes, cancel it', 'No, keep it'],
  };
}

async function recommend(
  tools: Tools,
  ctx: TurnContext,
  signals: MessageSignals,
  parsed: ParsedQuery,
  base: Base,
): Promise<TurnResult> {
  const target = pickShown(ctx.state.shown, signals);
  if (target) {
    const rec = await tools.recommendations.forProduct(target.id, SHOWN_LIMIT);
    const reply = `${replies.recommendationReply(rec.kind, target.name)}\n${replies.productLines(rec.items)}`;
    return { ...base, reply, products: rec.items, state: { ...base.state, shown: shownOf(rec.items) } };
  }
  // "recommend headphones under $100" is a search
  if (hasFilters(parsed) || parsed.kinds.length > 0) return shop(tools, ctx, signals, parsed, base);
  const rec = await tools.recommendations.forCaller(ctx.caller.principal, callerContext(ctx.caller), SHOWN_LIMIT);
  const reply = rec.items.length
    ? `${replies.recommendationReply(rec.kind)}\n${replies.productLines(rec.items)}`
    : "The shop has nothing to recommend yet: it's empty.";
  return { ...base, reply, products: rec.items, state: { ...base.state, shown: shownOf(rec.items) } };
}

function callerContext(caller: Caller) {
  return {
    ...(caller.authorization ? { authorization: caller.authorization } : {}),
    requestId: caller.requestId,
  };
}

const DETAILS =
  /\b(tell me (?:more )?about|more about|details?|describe|what is|what's|info(?:rmation)? (?:on|about))\b/i;

async function shop(
  tools: Tools,
  ctx: TurnContext,
  signals: MessageSignals,
  parsed: ParsedQuery,
  base: Base,
): Promise<TurnResult> {
  const { state } = base;
  const target = pickShown(state.shown, signals);

  if (signals.addToCart) {
    if (!target) return { ...base, reply: replies.WHICH_PRODUCT };
    const entry = tools.product(target.id);
    if (!entry || !isBuyable(entry.item)) {
      return {
        ...base,
        reply: replies.addToCartFailed(target.name, 'it is sold out or no longer sold'),
        actions: [{ type: 'add_to_cart', productId: target.id, status: 'failed' }],
      };
    }
    const outcome = await tools.addToCart(ctx.caller, target.id, 1);
    if (outcome === 'sign_in') return { ...base, reply: replies.SIGN_IN_FOR_CART };
    if (!outcome.ok) {
      return {
        ...base,
        reply: replies.addToCartFailed(target.name, outcome.message),
        actions: [{ type: 'add_to_cart', productId: target.id, status: 'failed' }],
      };
    }
    return {
      ...base,
      reply: replies.addedToCart(target.name),
      products: [toCard(entry.item)],
      actions: [{ type: 'add_to_cart', productId: target.id, status: 'done' }],
      suggestions: ['Show me something similar', 'Where is my order?'],
    };
  }

  if (target && signals.ordinal !== undefined && DETAILS.test(ctx.message)) {
    const entry = tools.product(target.id);
    if (entry) {
      const it = entry.item;
      const facts = Object.entries(it.attributes)
        .map(([k, v]) => `${k}: ${attributeText(v)}`)
        .join(', ');
      const stock = it.status !== 'active' ? 'no longer sold' : it.stock > 0 ? 'in stock' : 'sold out';
      const reply = `${it.name} — ${formatMoney(it.price)}, ${stock}.${facts ? ` ${facts}.` : ''}\n${plainText(it.description, 400)}`;
      return { ...base, reply, products: [toCard(it)], suggestions: ['Add it to my cart', 'Show me similar ones'] };
    }
  }

  let query: (ParsedQuery & { page: number }) | undefined;
  if (state.search && signals.followUp) query = refineSearch(state.search, state.shown, signals.followUp);
  else if (state.search && isRefinement(parsed)) query = refineSearch(state.search, state.shown, undefined, parsed);
  const result: SearchResult = await tools.search.run(query ?? parsed, { limit: SHOWN_LIMIT, page: query?.page ?? 0 });
  const next = query ?? { ...parsed, page: 0 };
  return {
    ...base,
    intent: 'product_search',
    reply: replies.searchReply({
      query: result.query,
      categoryName: result.query.category ? tools.categoryName(result.query.category) : undefined,
      items: result.ranked.map((r) => ({
        name: r.entry.item.name,
        price: r.entry.item.price,
        soldOut: r.entry.item.stock === 0,
      })),
      relaxed: result.relaxed,
      turn: state.turns,
      followUp: query ? signals.followUp : undefined,
    }),
    products: result.items,
    filters: result.interpreted,
    suggestions: [...replies.SUGGESTIONS.afterSearch],
    state: { ...state, search: next, shown: result.items.length ? shownOf(result.items) : state.shown },
  };
}
