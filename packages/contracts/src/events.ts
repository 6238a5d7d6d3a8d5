// Event envelope, one payload schema per event type, compiled validators and the exchange of each domain.
import { type Static, type TSchema, Type } from '@sinclair/typebox';
import { type TypeCheck, TypeCompiler } from '@sinclair/typebox/compiler';

// Patterns rather than `format`, so the compiled checks need no global FormatRegistry setup.
const UUID = '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';
const ISO_DATE_TIME = '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d{1,9})?(Z|[+-]\\d{2}:\\d{2})$';

export const Id = Type.String({ pattern: UUID, description: 'UUID' });
export const DateTime = Type.String({ pattern: ISO_DATE_TIME, description: 'ISO 8601 timestamp' });
const Email = Type.String({ pattern: '^[^@\\s]+@[^@\\s]+$', maxLength: 320 });
const Name = Type.String({ minLength: 1, maxLength: 200 });

/** Integer minor units and an ISO 4217 code: `{ amount: 1999, currency: 'USD' }` is 19.99 USD. */
export const Money = Type.Object(
  {
    amount: Type.Integer({ minimum: 0, description: 'integer minor units (cents)' }),
    currency: Type.String({ pattern: '^[A-Z]{3}$', description: 'ISO 4217, e.g. USD' }),
  },
  // one named schema in every service's OpenAPI document
  { title: 'Money' },
);
export type Money = Static<typeof Money>;

// Payload objects stay open (extra fields allowed): a consumer built against version N keeps
// accepting an additive version N+1 instead of dead-lettering it (tolerant reader).

// ---- users (published by auth) ----
export const UserRegistered = Type.Object({ userId: Id, email: Email, name: Name });
export const UserPasswordResetRequested = Type.Object({
  userId: Id,
  email: Email,
  name: Name,
  /** The link the user follows; it carries the single-use token, so treat the event as a secret. */
  resetUrl: Type.String({ minLength: 1, maxLength: 2048 }),
  expiresAt: DateTime,
});

// ---- products and inventory (published by product) ----
export const ProductSnapshot = Type.Object({
  productId: Id,
  sellerId: Id,
  name: Name,
  slug: Type.String({ minLength: 1, maxLength: 200 }),
  category: Type.Optional(Type.String({ maxLength: 64 })),
  price: Money,
  /** available = on hand − reserved */
  stock: Type.Integer({ minimum: 0 }),
  /** e.g. active, draft, archived */
  status: Type.String({ minLength: 1, maxLength: 32 }),
  /** names of the fields that changed (product.updated) */
  changed: Type.Optional(Type.Array(Type.String())),
});
/**
 * The product left the catalog (archived: still readable by its orders), with the same snapshot as
 * product.created|updated and status `archived`. The snapshot fields are optional: events published
 * before it was added carry only the ids and the slug, and consumers validate what they receive.
 */
export const ProductDeleted = Type.Object({
  productId: Id,
  sellerId: Id,
  slug: Type.Optional(Type.String()),
  name: Type.Optional(ProductSnapshot.properties.name),
  category: Type.Optional(ProductSnapshot.properties.category),
  price: Type.Optional(Money),
  stock: Type.Optional(ProductSnapshot.properties.stock),
  status: Type.Optional(ProductSnapshot.properties.status),
});

const StockLine = Type.Object({ productId: Id, quantity: Type.Integer({ minimum: 1 }) });
export const InventoryReserved = Type.Object({
  orderId: Id,
  lines: Type.Array(StockLine, { minItems: 1 }),
  /** when an unconfirmed reservation is released by the sweeper */
  expiresAt: Type.Optional(DateTime),
});
export const InventoryRejected = Type.Object({
  orderId: Id,
  reason: Type.String({ minLength: 1 }),
  shortLines: Type.Array(
    Type.Object({
      productId: Id,
      requested: Type.Integer({ minimum: 1 }),
      available: Type.Integer({ minimum: 0 }),
    }),
  ),
});
export const InventoryReleased = Type.Object({
  orderId: Id,
  lines: Type.Array(StockLine),
  /** e.g. order_cancelled, expired */
  reason: Type.String({ minLength: 1 }),
});

// ---- orders (published by order) ----
export const OrderItem = Type.Object({
  productId: Id,
  quantity: Type.Integer({ minimum: 1 }),
  unitPrice: Money,
  /** the product's name when ordered (optional: mails show the lines by name when present) */
  name: Type.Optional(Name),
});
export const OrderCancelReason = Type.Union([
  Type.Literal('out_of_stock'),
  Type.Literal('payment_failed'),
  Type.Literal('expired'),
  Type.Literal('customer'),
]);
const OrderSummary = {
  orderId: Id,
  userId: Id,
  items: Type.Array(OrderItem, { minItems: 1 }),
  total: Money,
};
export const OrderCreated = Type.Object(OrderSummary);
/**
 * What the payment service needs to charge a new order once its stock is reserved. Published with
 * order.created by the same statement, bound by payments_queue only (TOPOLOGY): the token never
 * reaches the other consumers of order.created, and the outbox drops it once sent (SECRET_FIELDS).
 */
export const OrderPaymentRequested = Type.Object({
  orderId: Id,
  userId: Id,
  total: Money,
  /**
   * The buyer's payment-provider token (sandbox `tok_*`, a Stripe PaymentMethod id). A reference,
   * never card data; still, do not log it.
   */
  paymentToken: Type.String({ minLength: 1, maxLength: 255 }),
});
export const OrderConfirmed = Type.Object({ ...OrderSummary, paymentId: Type.Optional(Id) });
export const OrderCancelled = Type.Object({
  ...OrderSummary,
  reason: OrderCancelReason,
  /** confirmed orders were paid: cancelling one means a refund */
  previousStatus: Type.Optional(Type.Union([Type.Literal('pending'), Type.Literal('confirmed')])),
});
export const OrderShipped = Type.Object({
  orderId: Id,
  userId: Id,
  /** the order's one parcel (one seller, or all with the same carrier and number) */
  carrier: Type.Optional(Type.String()),
  trackingNumber: Type.Optional(Type.String()),
  /** several sellers shipped their lines apart: each parcel (the order is shipped when the last one is) */
  shipments: Type.Optional(
    Type.Array(Type.Object({ carrier: Type.Optional(Type.String()), trackingNumber: Type.Optional(Type.String()) })),
  ),
});
export const OrderDelivered = Type.Object({ orderId: Id, userId: Id });
export const OrderRefunded = Type.Object({
  orderId: Id,
  userId: Id,
  amount: Money,
  reason: Type.Optional(Type.String()),
});

// ---- payments (published by payment) ----
export const PaymentSucceeded = Type.Object({
  orderId: Id,
  paymentId: Id,
  amount: Money,
  provider: Type.Optional(Type.String()),
});
export const PaymentFailed = Type.Object({ orderId: Id, paymentId: Id, amount: Money, reason: Type.String() });
export const PaymentRefunded = Type.Object({
  orderId: Id,
  paymentId: Id,
  amount: Money,
  reason: Type.Optional(Type.String()),
});

/** Every event type and the schema of its `data`. Routing key = event type. */
export const EventDataSchemas = {
  'user.registered': UserRegistered,
  'user.password_reset_requested': UserPasswordResetRequested,
  'product.created': ProductSnapshot,
  'product.updated': ProductSnapshot,
  'product.deleted': ProductDeleted,
  'inventory.reserved': InventoryReserved,
  'inventory.rejected': InventoryRejected,
  'inventory.released': InventoryReleased,
  'order.created': OrderCreated,
  'order.payment_requested': OrderPaymentRequested,
  'order.confirmed': OrderConfirmed,
  'order.cancelled': OrderCancelled,
  'order.shipped': OrderShipped,
  'order.delivered': OrderDelivered,
  'order.refunded': OrderRefunded,
  'payment.succeeded': PaymentSucceeded,
  'payment.failed': PaymentFailed,
  'payment.refunded': PaymentRefunded,
} as const satisfies Record<string, TSchema>;

export type EventType = keyof typeof EventDataSchemas;
export const EVENT_TYPES = Object.keys(EventDataSchemas) as EventType[];
export type EventData<T extends EventType> = Static<(typeof EventDataSchemas)[T]>;

/**
 * The version of each type's `data` that publishers write now. Bump it (and keep accepting the
 * previous shape) when a change is not purely additive.
 */
export const EVENT_VERSIONS: Record<EventType, number> = Object.fromEntries(EVENT_TYPES.map((t) => [t, 1])) as Record<
  EventType,
  number
>;

export const EventEnvelopeSchema = Type.Object({
  id: Id,
  type: Type.String({ pattern: '^[a-z_]+(\\.[a-z_]+)+$' }),
  version: Type.Integer({ minimum: 1 }),
  occurredAt: DateTime,
  /** the HTTP request id that started the chain (x-request-id) */
  correlationId: Type.String({ minLength: 1, maxLength: 128 }),
  /** id of the event whose handler produced this one */
  causationId: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
  data: Type.Unknown(),
});

export interface EventEnvelope<T extends string = string, D = unknown> {
  id: string;
  type: T;
  version: number;
  occurredAt: string;
  correlationId: string;
  causationId?: string;
  data: D;
}

export type EventOf<T extends EventType> = EventEnvelope<T, EventData<T>>;
/** Any valid event, discriminated by `type`. */
export type AnyEvent = { [T in EventType]: EventOf<T> }[EventType];

export function isEventType(type: string): type is EventType {
  return Object.hasOwn(EventDataSchemas, type);
}

// ---- validation ----

let envelopeCheck: TypeCheck<typeof EventEnvelopeSchema> | undefined;
const dataChecks = new Map<EventType, TypeCheck<TSchema>>();

function dataCheck(type: EventType): TypeCheck<TSchema> {
  let check = dataChecks.get(type);
  if (!check) {
    check = TypeCompiler.Compile(EventDataSchemas[type]);
    dataChecks.set(type, check);
  }
  return check;
}

export type EventValidation = { ok: true; event: AnyEvent } | { ok: false; reason: string };

function describe(check: TypeCheck<TSchema>, value: unknown, at: string): string {
  return [...check.Errors(value)]
    .slice(0, 3)
    .map((e) => `${at}${e.path || '/'}: ${e.message}`)
    .join('; ');
}

/** Checks the envelope and the payload of its type; the reason names the first failing fields. */
export function validateEvent(value: unknown): EventValidation {
  envelopeCheck ??= TypeCompiler.Compile(EventEnvelopeSchema);
  if (!envelopeCheck.Check(value))
    return { ok: false, reason: `invalid envelope: ${describe(envelopeCheck, value, '')}` };
  if (!isEventType(value.type)) return { ok: false, reason: `unknown event type ${JSON.stringify(value.type)}` };
  const check = dataCheck(value.type);
  if (!check.Check(value.data)) {
    return { ok: false, reason: `invalid ${value.type} data: ${describe(check, value.data, '/data')}` };
  }
  return { ok: true, event: value as AnyEvent };
}

export class EventValidationError extends Error {
  constructor(
    readonly reason: string,
    readonly eventId?: string,
  ) {
    super(`event${eventId ? ` ${eventId}` : ''} is invalid: ${reason}`);
    this.name = 'EventValidationError';
  }
}

export function assertValidEvent(value: unknown): AnyEvent {
  const result = validateEvent(value);
  if (!result.ok) {
    const id = (value as { id?: unknown } | null)?.id;
    throw new EventValidationError(result.reason, typeof id === 'string' ? id : undefined);
  }
  return result.event;
}

// ---- topology ----

/**
 * One topic exchange per publishing domain. inventory.* events are published by the product
 * service, so they travel on products_exchange (a consumer binds `inventory.*` there).
 */
export const DOMAIN_EXCHANGES = {
  user: 'users_exchange',
  product: 'products_exchange',
  inventory: 'products_exchange',
  order: 'orders_exchange',
  payment: 'payments_exchange',
} as const;

export type ExchangeName = (typeof DOMAIN_EXCHANGES)[keyof typeof DOMAIN_EXCHANGES];
export const EXCHANGES: readonly ExchangeName[] = [...new Set(Object.values(DOMAIN_EXCHANGES))];

/** The exchange an event type (= routing key) is published to; undefined for an unknown domain. */
export function exchangeFor(type: string): ExchangeName | undefined {
  const domain = type.slice(0, type.indexOf('.'));
  return Object.hasOwn(DOMAIN_EXCHANGES, domain)
    ? DOMAIN_EXCHANGES[domain as keyof typeof DOMAIN_EXCHANGES]
    : undefined;
}

/**
 * The exchanges a binding pattern must be bound on: the domain's one when the first word is
 * literal (`order.*`, `inventory.reserved`), every exchange for `#` or `*.created`.
 */
export function exchangesForPattern(pattern: string): readonly ExchangeName[] {
  const first = pattern.split('.')[0] ?? '';
  if (first === '*' || first === '#') return EXCHANGES;
  const exchange = exchangeFor(`${first}.x`);
  return exchange ? [exchange] : [];
}

/**
 * Fields of an event's data that are secrets (a live reset link): the outbox removes them from its copy
 * once the broker has the event, so the database keeps no usable token after the send.
 */
export const SECRET_FIELDS: { readonly [T in EventType]?: readonly string[] } = {
  'user.password_reset_requested': ['resetUrl'],
  'order.payment_requested': ['paymentToken'],
};

/** Each consumer owns one durable queue, named after it. */
export const QUEUES = {
  inventory: 'inventory_queue',
  notifications: 'notifications_queue',
  orders: 'orders_queue',
  payments: 'payments_queue',
  assistant: 'assistant_queue',
  cart: 'cart_queue',
} as const;

/**
 * What each running consumer's queue is bound to: the broker topology the services declare when they
 * subscribe. `npm run events -- topology declare` declares it ahead of them at deploy time, so events
 * published before a consumer's first start wait in its queue instead of being dropped by the broker.
 */
export const TOPOLOGY = {
  [QUEUES.inventory]: ['order.created', 'order.confirmed', 'order.cancelled'],
  [QUEUES.notifications]: [
    'user.registered',
    'user.password_reset_requested',
    'order.confirmed',
    'order.cancelled',
    'order.shipped',
    'order.delivered',
    'payment.failed',
    'payment.refunded',
    'order.created',
  ],
  [QUEUES.orders]: [
    'inventory.rejected',
    'payment.succeeded',
    'payment.failed',
    'inventory.released',
    'payment.refunded',
  ],
  [QUEUES.payments]: ['order.payment_requested', 'inventory.reserved', 'order.cancelled', 'order.refunded'],
  [QUEUES.cart]: ['product.created', 'product.updated', 'product.deleted', 'order.confirmed'],
  [QUEUES.assistant]: ['product.created', 'product.updated', 'product.deleted', 'order.confirmed'],
} as const satisfies Partial<Record<(typeof QUEUES)[keyof typeof QUEUES], readonly EventType[]>>;
