// Conversation memory: what was searched and shown last, and an action waiting for the customer's yes.
import type { Money } from './catalog.js';
import type { MessageSignals } from './intents.js';
import type { ParsedQuery } from './query.js';

export interface ShownProduct {
  id: string;
  name: string;
  price: Money;
}

export interface PendingCancel {
  type: 'cancel_order';
  orderId: string;
  /** ISO time it was proposed; a confirmation must follow in the next turn */
  at: string;
  /** the order was paid (confirmed): cancelling refunds it */
  paid?: boolean;
}

export interface ConversationState {
  /** the last product search, as interpreted, and which page of it was shown */
  search?: ParsedQuery & { page: number };
  /** the products of the last answer, in order ("the second one") */
  shown: ShownProduct[];
  /** a cancellation proposed in the last answer, waiting for yes or no */
  pending?: PendingCancel;
  /** answers given so far */
  turns: number;
}

export function emptyState(): ConversationState {
  return { shown: [], turns: 0 };
}

/** Reads a stored state defensively (old rows, hand-edited JSON): unknown shapes become empty. */
export function readState(value: unknown): ConversationState {
  if (!value || typeof value !== 'object') return emptyState();
  const v = value as Partial<ConversationState>;
  return {
    shown: Array.isArray(v.shown) ? v.shown.filter((s) => s && typeof s.id === 'string') : [],
    turns: typeof v.turns === 'number' && Number.isSafeInteger(v.turns) ? v.turns : 0,
    ...(isSearch(v.search) ? { search: v.search } : {}),
    ...(v.pending?.type === 'cancel_order' && typeof v.pending.orderId === 'string' ? { pending: v.pending } : {}),
  };
}

function isSearch(s: unknown): s is ParsedQuery & { page: number } {
  if (!s || typeof s !== 'object') return false;
  const q = s as Partial<ParsedQuery & { page: number }>;
  return (
    typeof q.text === 'string' &&
    typeof q.semanticText === 'string' &&
    typeof q.page === 'number' &&
    [q.terms, q.filterTerms, q.kinds, q.corrections].every(Array.isArray) &&
    typeof q.attributes === 'object' &&
    typeof q.exclude === 'object'
  );
}

/** True when a message only adjusts the last search: "in blue?", "under $30", "what about leather". */
export function isRefinement(parsed: ParsedQuery): boolean {
  const adjusts =
    Object.keys(parsed.attributes).length > 0 ||
    Object.keys(parsed.exclude).length > 0 ||
    parsed.minPrice !== undefined ||
    parsed.maxPrice !== undefined ||
    parsed.sort !== undefined;
  if (!adjusts || parsed.category !== undefined || parsed.kinds.length > 0) return false;
  // every content word was a filter word
  return parsed.terms.every((t) => parsed.filterTerms.includes(t));
}

/** The last search with a follow-up applied: cheaper/pricier than what was shown, the next page, or new filters. */
export function refineSearch(
  previous: ParsedQuery & { page: number },
  shown: readonly ShownProduct[],
  followUp: MessageSignals['followUp'] | undefined,
  adjust?: ParsedQuery,
): ParsedQuery & { page: number } {
  const next: ParsedQuery & { page: number } = {
    ...previous,
    attributes: { ...previous.attributes },
    exclude: { ...previous.exclude },
    page: 0,
  };
  const prices = shown.map((s) => s.price.amount);
  if (followUp === 'cheaper' && prices.length) {
    next.maxPrice = Math.max(0, Math.min(...prices) - 1);
    delete next.minPrice;
  } else if (followUp === 'pricier' && prices.length) {
    next.minPrice = Math.max(...prices) + 1;
    delete next.maxPrice;
  } else if (followUp === 'more') {
    next.page = previous.page + 1;
  }
  if (adjust) {
    Object.assign(next.attributes, adjust.attributes);
    for (const key of Object.keys(adjust.attributes)) delete next.exclude[key];
    for (const [key, values] of Object.entries(adjust.exclude)) next.exclude[key] = values;
    if (adjust.minPrice !== undefined) next.minPrice = adjust.minPrice;
    if (adjust.maxPrice !== undefined) next.maxPrice = adjust.maxPrice;
    if (adjust.sort) next.sort = adjust.sort;
    next.terms = [...new Set([...previous.terms, ...adjust.terms])];
    next.filterTerms = [...new Set([...previous.filterTerms, ...adjust.filterTerms])];
    next.text = `${previous.text} ${adjust.text}`.trim();
  }
  return next;
}

/** The product a message points at ("the second one", "the last one", "it" when only one was shown). */
export function pickShown(shown: readonly ShownProduct[], signals: MessageSignals): ShownProduct | undefined {
  if (signals.ordinal === -1) return shown.at(-1);
  if (signals.ordinal !== undefined) return shown[signals.ordinal - 1];
  // "it" is clear only when one product was shown
  if (signals.refersToShown && shown.length === 1) return shown[0];
  return undefined;
}
