// Order routes: checkout, the buyer's orders, seller fulfilment and admin refunds.
import {
  type App,
  errorResponses,
  type FastifyRequest,
  type Guards,
  IdParams,
  Page,
  principalOf,
} from '@microbazaar/kit';
import type { Orders } from '../usecases/orders.js';
import { CheckoutBody, CheckoutHeaders, Order, OrderListQuery, RefundBody, ShipBody } from './schemas.js';

/** Actions whose body is optional: no body reads as `{}` before validation. */
async function emptyBodyAsObject(req: FastifyRequest) {
  if (req.body === undefined || req.body === null) req.body = {};
}

export function orderRoutes(app: App, deps: { orders: Orders; guards: Guards }) {
  const { orders, guards } = deps;
  const common = { tags: ['orders'], security: [{ bearerAuth: [] }] };
  const fulfil = guards.role('seller', 'admin');

  app.post(
    '/api/orders',
    {
      preHandler: guards.authenticated,
      schema: {
        ...common,
        summary: 'Place an order (checkout); prices come from the catalog, stock and payment follow asynchronously',
        headers: CheckoutHeaders,
        body: CheckoutBody,
        response: { 202: Order, ...errorResponses(400, 401, 404, 409, 413, 415, 503) },
      },
    },
    async (req, reply) => {
      const order = await orders.place(principalOf(req), {
        idempotencyKey: req.headers['idempotency-key'],
        body: req.body,
        authorization: req.headers.authorization ?? '',
        requestId: req.id,
      });
      return reply.status(202).send(order);
    },
  );

  app.get(
    '/api/orders',
    {
      preHandler: guards.authenticated,
      schema: {
        ...common,
        summary:
          'Orders you placed (sellers: also those containing your products, with your lines only; admins: all), newest first',
        querystring: OrderListQuery,
        response: { 200: Page(Order), ...errorResponses(400, 401, 503) },
      },
    },
    async (req) => orders.list(principalOf(req), req.query),
  );

  app.get(
    '/api/orders/:id',
    {
      preHandler: guards.authenticated,
      schema: {
        ...common,
        summary: 'One order with its history (a seller of some of its lines: those lines only)',
        params: IdParams,
        response: { 200: Order, ...errorResponses(400, 401, 404, 503) },
      },
    },
    async (req) => orders.get(principalOf(req), req.params.id),
  );

  app.post(
    '/api/orders/:id/cancel',
    {
      preHandler: guards.authenticated,
      schema: {
        ...common,
        summary: 'Cancel a pending or confirmed order before any line shipped (a paid one is refunded)',
        params: IdParams,
        response: { 200: Order, ...errorResponses(400, 401, 403, 404, 409, 503) },
      },
    },
    async (req) => orders.cancel(principalOf(req), req.params.id),
  );

  app.post(
    '/api/orders/:id/ship',
    {
      preValidation: emptyBodyAsObject,
      preHandler: fulfil,
      schema: {
        ...common,
        summary:
          'Ship your lines of a confirmed order (an admin: every unshipped line); the order is shipped when all lines are',
        params: IdParams,
        body: ShipBody,
        response: { 200: Order, ...errorResponses(400, 401, 403, 404, 409, 503) },
      },
    },
    async (req) => orders.ship(principalOf(req), req.params.id, req.body),
  );

  app.post(
    '/api/orders/:id/deliver',
    {
      preHandler: fulfil,
      schema: {
        ...common,
        summary:
          'Mark your shipped lines delivered (an admin: every shipped line); the order is delivered when all lines are',
        params: IdParams,
        response: { 200: Order, ...errorResponses(400, 401, 403, 404, 409, 503) },
      },
    },
    async (req) => orders.deliver(principalOf(req), req.params.id),
  );

  app.post(
    '/api/orders/:id/refund',
    {
      preValidation: emptyBodyAsObject,
      preHandler: guards.role('admin'),
      schema: {
        ...common,
        summary: 'Refund a delivered order (admin); the payment service issues the refund',
        params: IdParams,
        body: RefundBody,
        response: { 200: Order, ...errorResponses(400, 401, 403, 404, 409, 503) },
      },
    },
    async (req) => orders.refund(principalOf(req), req.params.id, req.body.reason),
  );
}
