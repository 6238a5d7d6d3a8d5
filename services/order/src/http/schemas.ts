// Request and response schemas of the order API (validation, OpenAPI and types from one source).

import { Money } from '@microbazaar/contracts';
import { Limit, Uuid } from '@microbazaar/kit';
import { Type } from '@sinclair/typebox';
import { CANCEL_REASONS, LINE_FULFILMENTS, ORDER_STATUSES } from '../domain/order.js';

const OrderStatus = Type.Union(ORDER_STATUSES.map((s) => Type.Literal(s)));
const CancelReason = Type.Union(CANCEL_REASONS.map((r) => Type.Literal(r)));

export const ShippingAddress = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 200 }),
  line1: Type.String({ minLength: 1, maxLength: 200 }),
  line2: Type.Optional(Type.String({ maxLength: 200 })),
  city: Type.String({ minLength: 1, maxLength: 100 }),
  region: Type.Optional(Type.String({ maxLength: 100 })),
  postalCode: Type.String({ minLength: 1, maxLength: 20 }),
  country: Type.String({ pattern: '^[A-Z]{2}$', description: 'ISO 3166-1 alpha-2' }),
  phone: Type.Optional(Type.String({ pattern: '^\\+?[0-9 ()./-]{3,32}$' })),
});

export const OrderItem = Type.Object({
  productId: Uuid,
  name: Type.String(),
  unitPrice: Money,
  quantity: Type.Integer({ minimum: 1 }),
  lineTotal: Money,
  fulfilment: Type.Union(
    LINE_FULFILMENTS.map((f) => Type.Literal(f)),
    { description: "the line's own progress: each seller ships and delivers their lines" },
  ),
  shippedAt: Type.Optional(Type.String({ format: 'date-time' })),
  carrier: Type.Optional(Type.String()),
  trackingNumber: Type.Optional(Type.String()),
  deliveredAt: Type.Optional(Type.String({ format: 'date-time' })),
});

export const HistoryEntry = Type.Object({
  status: OrderStatus,
  at: Type.String({ format: 'date-time' }),
  cause: Type.String(),
});

export const Order = Type.Object(
  {
    id: Uuid,
    userId: Uuid,
    status: OrderStatus,
    cancelReason: Type.Union([CancelReason, Type.Null()]),
    items: Type.Array(OrderItem, { description: 'a seller reads their own lines only' }),
    total: Money,
    shippingAddress: ShippingAddress,
    history: Type.Array(HistoryEntry),
    createdAt: Type.String({ format: 'date-time' }),
    updatedAt: Type.String({ format: 'date-time' }),
  },
  {
    description:
      'Its buyer and admins read the whole order. A seller of some of its lines reads those lines, their total ' +
      "as `total`, the shipping address and the status changes; never other sellers' lines. The status follows " +
      'the lines once confirmed: shipped when every line is, delivered when every line is.',
  },
);

export const CheckoutHeaders = Type.Object({
  'idempotency-key': Type.String({
    minLength: 1,
    maxLength: 255,
    description: 'required; the same key with the same body returns the same order',
  }),
});

export const CheckoutBody = Type.Object({
  shippingAddress: ShippingAddress,
  paymentToken: Type.String({
    minLength: 1,
    maxLength: 255,
    description: 'provider token: sandbox tok_ok | tok_declined | tok_error | tok_slow, or a Stripe PaymentMethod id',
  }),
  items: Type.Optional(
    Type.Array(Type.Object({ productId: Uuid, quantity: Type.Integer({ minimum: 1 }) }), {
      minItems: 1,
      maxItems: 500,
      description: 'defaults to the lines of your cart',
    }),
  ),
});

export const OrderListQuery = Type.Object({
  limit: Limit,
  cursor: Type.Optional(Type.String({ maxLength: 512 })),
  status: Type.Optional(OrderStatus),
  fulfilment: Type.Optional(
    Type.Union(
      LINE_FULFILMENTS.map((f) => Type.Literal(f)),
      {
        description:
          'only orders with a line in this state that you can read (a seller: one of yours), e.g. `unshipped`: what is left to ship',
      },
    ),
  ),
});

export const ShipBody = Type.Object({
  carrier: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
  trackingNumber: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
});

export const RefundBody = Type.Object({ reason: Type.Optional(Type.String({ minLength: 1, maxLength: 500 })) });
