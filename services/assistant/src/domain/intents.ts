// What a chat message asks for: the intent, and the references it carries (an order id, "the second one").

export const INTENTS = [
  'product_search',
  'recommendation',
  'order_status',
  'cancel_order',
  'faq',
  'handoff',
  'greeting',
  'unknown',
] as const;
export type Intent = (typeof INTENTS)[number];

export interface MessageSignals {
  intent: Intent;
  /** a full order id or the start of one (at least 6 hex digits), as written */
  orderRef?: string;
  /** 1-based position in the last list shown ("the second one"); -1 for "the last one" */
  ordinal?: number;
  /** the message says yes or no to a proposal */
  answer?: 'yes' | 'no';
  /** "add it to my cart", "I'll take it" */
  addToCart?: boolean;
  /** "cheaper ones", "more expensive", "show me more" */
  followUp?: 'cheaper' | 'pricier' | 'more';
  /** a product reference ("it", "that one", "the second one") */
  refersToShown?: boolean;
}

const UUID = /\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/i;
// "order 3F2A9C…", "#3f2a9c", "order id 3f2a9c1d"; at least six hex digits with a digit in them
const ORDER_PREFIX = /(?:\border(?:\s+(?:id|number|no\.?|#))?\s*#?|#)\s*([0-9a-f]{6,32})(?:…|\.\.\.)?/i;

const HANDOFF =
  /\b(human|real person|live person|agent|representative|operator|customer (?:service|support|care)|support team|someone real|talk to (?:someone|somebody|a person|you guys|staff)|speak (?:to|with) (?:someone|somebody|a person|staff|a manager)|call me|phone me|complain|complaint|manager|escalate)\b/;
const CANCEL =
  /\b(cancel(?:l?ed|l?ing)?|call off|stop (?:my|the|this) order|(?:dont|do not|no longer) (?:want|need) (?:my|the|this|that) (?:order|purchase))\b/;
const ORDER_WORDS = /\b(orders?|package|parcel|delivery|shipment|purchases?|bought|ordered)\b/;
const STATUS_WORDS =
  /\b(where|status|track(?:ing)?|shipped|ship|deliver(?:ed|y)?|arriv(?:e|ed|ing)|eta|dispatch(?:ed)?|come|coming|came|when will|late|lost|history|recent|my orders|latest)\b/;
const FAQ =
  /\b(return policy|returns?|returning|refunds?|exchange|shipping|ship to|delivery (?:time|times|cost|costs|fee|fees|options)|how long (?:does|do|will|is) (?:it|shipping|delivery)|postage|payment methods?|pay (?:with|by|using)|paypal|credit cards?|debit cards?|apple pay|warranty|guarantee|gift cards?|coupons?|discount codes?|promo codes?|vouchers?|international|customs|opening hours|privacy|data protection|size guide|sizing|track(?:ing)? number|contact (?:you|details|email|phone)|email address|phone number|terms)\b/;
const GREETING =
  /^(hi|hello|hey|hiya|howdy|yo|good (?:morning|afternoon|evening|day)|greetings|thanks|thank you|thx|cheers|bye|goodbye|see you|ok thanks|great thanks)\b/;
const CHIT_CHAT =
  /\b(how are you|who are you|what are you|are you (?:a |an )?(?:bot|robot|human|real|ai)|what can you do|what do you do|help me|can you help|your name|nice to meet you|good job|youre (?:great|awesome|helpful))\b/;
const RECOMMEND =
  /\b(recommend|recommendations?|suggest|suggestions?|ideas?|inspire|inspiration|what should i (?:buy|get)|popular|best ?sell(?:ers?|ing)|trending|top picks|you (?:may|might) (?:also )?like|similar|alternatives?|something like|like (?:this|that|the \w+ one)|go(?:es)? (?:well )?with|whats hot|what do you have|surprise me)\b/;
const SHOPPING =
  /\b(show|find|search|looking for|look for|need|want|buy|get me|shop for|browse|have you got|do you (?:have|sell|carry)|any|in stock|available)\b/;
const YES =
  /^(yes|yep|yeah|yup|sure|confirm(?:ed)?|ok(?:ay)?|do it|go ahead|please do|please cancel|cancel it|y|affirmative|absolutely|correct|thats right|right)\b/;
const NO = /^(no|nope|nah|dont|do not|stop|never ?mind|keep (?:it|the order)|leave it|n|wait)\b/;
const ADD_TO_CART =
  /\b((?:add|put|throw|place|pop)\b.{0,40}\b(?:cart|basket|bag|trolley)|ill take (?:it|that|this|the|one)|buy (?:it|that|this one|the \w+ one))\b/;

const ORDINALS: Array<[RegExp, number]> = [
  [/\b(first|1st|number one|#1|no\.? ?1|top one)\b/, 1],
  [/\b(second|2nd|number two|#2|no\.? ?2)\b/, 2],
  [/\b(third|3rd|number three|#3|no\.? ?3)\b/, 3],
  [/\b(fourth|4th|number four|#4|no\.? ?4)\b/, 4],
  [/\b(fifth|5th|number five|#5|no\.? ?5)\b/, 5],
  [/\b(last one|the last|last item)\b/, -1],
];

const CHEAPER =
  /\b(cheaper|less expensive|lower price|more affordable|too (?:expensive|pricey|much)|on a budget|something cheaper)\b/;
const PRICIER = /\b(more expensive|pricier|higher end|better quality|fancier|more premium|upmarket)\b/;
const MORE = /^(?:show me |any |got any |do you have |)(more|others?|next|next page|something else|anything else)\b/;

/** Lower case, accents and apostrophes off (don't → dont), single spaces. */
export function normalizeMessage(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/['’`]/g, '')
    .replace(/[^a-z0-9#$.,?!&\s-]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

export function findOrderRef(text: string): string | undefined {
  const uuid = UUID.exec(text);
  if (uuid) return uuid[0].toLowerCase();
  const m = ORDER_PREFIX.exec(text);
  if (m?.[1] && /\d/.test(m[1])) return m[1].toLowerCase();
  return undefined;
}

function ordinalOf(text: string): number | undefined {
  for (const [re, n] of ORDINALS) if (re.test(text)) return n;
  return undefined;
}

/**
 * Classifies one message by rules, most specific first: a pending yes/no, hand-over, cancel, order
 * status, FAQ topics, greetings and chit-chat, recommendations, then shopping. `catalogSignal` says
 * the catalog recognised something in the message (a category, an attribute, a price, a product
 * word); without it a message nothing else explains is `unknown`.
 */
export function classify(text: string, opts: { catalogSignal: boolean; awaitingAnswer?: boolean }): MessageSignals {
  const t = normalizeMessage(text);
  const orderRef = findOrderRef(text);
  const ordinal = ordinalOf(t);
  const addToCart = ADD_TO_CART.test(t);
  const refersToShown = ordinal !== undefined || /\b(it|that one|this one|that|those|these|them)\b/.test(t);
  const base = {
    ...(orderRef ? { orderRef } : {}),
    ...(ordinal !== undefined ? { ordinal } : {}),
    ...(addToCart ? { addToCart } : {}),
    ...(refersToShown ? { refersToShown } : {}),
  };
  const words = t.split(' ').length;

  if (opts.awaitingAnswer && words <= 8) {
    if (YES.test(t)) return { ...base, intent: 'cancel_order', answer: 'yes' };
    if (NO.test(t)) return { ...base, intent: 'cancel_order', answer: 'no' };
  }
  if (HANDOFF.test(t)) return { ...base, intent: 'handoff' };
  if (CANCEL.test(t) && (ORDER_WORDS.test(t) || orderRef || /\b(it|that|this)\b/.test(t))) {
    return { ...base, intent: 'cancel_order' };
  }
  const orderish = ORDER_WORDS.test(t) || orderRef !== undefined;
  if (orderish && (STATUS_WORDS.test(t) || orderRef !== undefined || /\bmy (?:orders?|package|parcel)\b/.test(t))) {
    // "how long does shipping take for orders" is about the policy; "where is my order" about one
    if (!(FAQ.test(t) && !/\bmy\b/.test(t) && !orderRef)) return { ...base, intent: 'order_status' };
  }
  if (FAQ.test(t)) return { ...base, intent: 'faq' };
  // "add it to my cart", "tell me more about the second one": about the products just shown
  if (addToCart || ordinal !== undefined) return { ...base, intent: 'product_search' };
  if ((GREETING.test(t) && words <= 6) || CHIT_CHAT.test(t)) return { ...base, intent: 'greeting' };
  const cheaper = CHEAPER.test(t);
  const pricier = PRICIER.test(t);
  const more = MORE.test(t);
  const followUp = cheaper ? 'cheaper' : pricier ? 'pricier' : more ? 'more' : undefined;
  if (RECOMMEND.test(t)) return { ...base, intent: 'recommendation', ...(followUp ? { followUp } : {}) };
  if (followUp) return { ...base, intent: 'product_search', followUp };
  if (opts.catalogSignal || SHOPPING.test(t)) return { ...base, intent: 'product_search' };
  if (GREETING.test(t)) return { ...base, intent: 'greeting' };
  return { ...base, intent: 'unknown' };
}
