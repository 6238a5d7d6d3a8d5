// Cart routes: guests by cart id (x-cart-id header or HttpOnly cookie), users by token; merge on login.
import { randomUUID } from 'node:crypto';
import {
  type App,
  errorResponses,
  type FastifyReply,
  type FastifyRequest,
  type Guards,
  isUuid,
  principalOf,
} from '@microbazaar/kit';
import { type Carts, guestOwner, type Owner, userOwner } from '../carts.js';
import { AddItemBody, Cart, CartHeaders, ChangeItemBody, MergeBody, ProductParams } from './schemas.js';

export const CART_COOKIE = 'cart_id';

export interface CartRouteOptions {
  carts: Carts;
  guards: Guards;
  cookie: { maxAgeSeconds: number; secure: boolean };
}

export function cartRoutes(app: App, { carts, guards, cookie }: CartRouteOptions) {
  const tags = ['cart'];
  // a token is optional: without one the cart is a guest's
  const security: Array<Record<string, string[]>> = [{ bearerAuth: [] }, {}];

  /** A token means the user's cart; otherwise the guest's, from the header, the cookie or a new id. */
  async function ownerOf(req: FastifyRequest, reply: FastifyReply): Promise<Owner> {
    await guards.optional(req, reply);
    if (req.principal) return userOwner(req.principal.userId);
    const header = req.headers['x-cart-id'];
    const fromCookie = req.cookies[CART_COOKIE];
    const id = typeof header === 'string' ? header : fromCookie && isUuid(fromCookie) ? fromCookie : randomUUID();
    reply.header('x-cart-id', id);
    reply.setCookie(CART_COOKIE, id, {
      httpOnly: true,
      sameSite: 'lax',
      path: '/api/cart',
      maxAge: cookie.maxAgeSeconds,
      secure: cookie.secure,
    });
    return guestOwner(id);
  }

  const errors = errorResponses(400, 401, 404, 409, 503);

  app.get(
    '/api/cart',
    {
      schema: {
        tags,
        security,
        summary: 'Your cart (a guest gets a cart id)',
        headers: CartHeaders,
        response: { 200: Cart, ...errors },
      },
    },
    async (req, reply) => carts.view(await ownerOf(req, reply), req.id),
  );

  app.post(
    '/api/cart/items',
    {
      schema: {
        tags,
        security,
        summary: 'Add units of a product (adds to a line already there)',
        headers: CartHeaders,
        body: AddItemBody,
        response: { 200: Cart, ...errors },
      },
    },
    async (req, reply) => carts.add(await ownerOf(req, reply), req.body.productId, req.body.quantity, req.id),
  );

  app.patch(
    '/api/cart/items/:productId',
    {
      schema: {
        tags,
        security,
        summary: 'Set the quantity of a line',
        headers: CartHeaders,
        params: ProductParams,
        body: ChangeItemBody,
        response: { 200: Cart, ...errors },
      },
    },
    async (req, reply) => carts.change(await ownerOf(req, reply), req.params.productId, req.body.quantity, req.id),
  );

  app.delete(
    '/api/cart/items/:productId',
    {
      schema: {
        tags,
        security,
        summary: 'Remove a line',
        headers: CartHeaders,
        params: ProductParams,
        response: { 200: Cart, ...errors },
      },
    },
    async (req, reply) => carts.remove(await ownerOf(req, reply), req.params.productId, req.id),
  );

  app.delete(
    '/api/cart',
    {
      schema: {
        tags,
        security,
        summary: 'Empty the cart',
        headers: CartHeaders,
        response: { 204: { type: 'null' }, ...errors },
      },
    },
    async (req, reply) => {
      await carts.clear(await ownerOf(req, reply));
      return reply.status(204).send();
    },
  );

  app.post(
    '/api/cart/merge',
    {
      preHandler: guards.authenticated,
      schema: {
        tags,
        security: [{ bearerAuth: [] }],
        summary:
          "After login: the guest cart's lines join yours (quantities add, capped by stock); the guest cart is gone",
        body: MergeBody,
        response: { 200: Cart, ...errorResponses(400, 401, 503) },
      },
    },
    async (req, reply) => {
      const cart = await carts.merge(userOwner(principalOf(req).userId), req.body.cartId, req.id);
      reply.clearCookie(CART_COOKIE, { path: '/api/cart' });
      return cart;
    },
  );
}
