// Response and query schemas of the payment API. No token or card data ever appears in them.

import { Money } from '@microbazaar/contracts';
import { Limit, Uuid } from '@microbazaar/kit';
import { Type } from '@sinclair/typebox';
import { PAYMENT_STATUSES } from '../domain/payment.js';

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) => Type.Union([schema, Type.Null()]);
const DateTime = Type.String({ format: 'date-time' });

export const Payment = Type.Object({
  id: Uuid,
  orderId: Uuid,
  userId: Nullable(Uuid),
  status: Type.Union(
    PAYMENT_STATUSES.map((s) => Type.Literal(s)),
    {
      description:
        'awaiting → charging → succeeded | failed (a decline); unknown: no answer yet, the provider may have taken the money, asked again until it says; processing: the provider decides later; voided: cancelled before any charge; refunding → refunded (also a capture that turned up after failed or voided)',
    },
  ),
  amount: Nullable(Money),
  provider: Type.String(),
  failureReason: Nullable(Type.String()),
  refundedAmount: Nullable(Money),
  chargedAt: Nullable(DateTime),
  refundedAt: Nullable(DateTime),
  createdAt: DateTime,
  updatedAt: DateTime,
});

export const PaymentListQuery = Type.Object({
  orderId: Type.Optional(Uuid),
  limit: Limit,
  cursor: Type.Optional(Type.String({ maxLength: 512 })),
});

export const WebhookParams = Type.Object({ provider: Type.String({ pattern: '^[a-z]{1,32}$' }) });
export const WebhookAnswer = Type.Object({ received: Type.Boolean(), result: Type.String() });
