// Cart routes: guests by cart id (x-cart-id header or HttpOnly cookie), users by token; merge on login.
import {
  type App,
  errorResponses,
  type FastifyReply,
  type FastifyRequest,
  type Guards,
  principalOf,
} from '@microbazaar/kit';
import type { GuestIds } from '../domain/guestId.js';
import { type Carts, guestOwner, type Owner, userOwner } from '../usecases/carts.js';
import { AddItemBody, Cart, CartHeaders, ChangeItemBody, MergeBody, ProductParams } from './schemas.js';

export const CART_COOKIE = 'cart_id';

export interface CartRouteOptions {
  carts: Carts;
  guards: Guards;
  /** guest cart ids this service issues, and recognises */
  guestIds: GuestIds;
  cookie: { maxAgeSeconds: number; secure: boolean };
}

export function cartRoutes(app: App, { carts, guards, guestIds, cookie }: CartRouteOptions) {
  const tags = ['cart'];
  // a token is optional: without one the cart is a guest's
  const security: Array<Record<string, string[]>> = [{ bearerAuth: [] }, {}];

  /**
   * A token means the user's cart; otherwise the guest's, from the header or the cookie when this service
   * issued that id, else under a new id it issues (an id a client made up is never used: the answer names
   * the new one in x-cart-id and the cookie).
   */
  async function ownerOf(req: FastifyRequest, reply: FastifyReply): Promise<Owner> {
    await guards.optional(req, reply);
    if (req.principal) return userOwner(req.principal.userId);
    const header = req.headers['x-cart-id'];
    const presented = typeof header === 'string' ? header : req.cookies[CART_COOKIE];
    const known = presented !== undefined && guestIds.issued(presented);
    const id = known ? presented.toLowerCase() : guestIds.issue();
    reply.header('x-cart-id', id);
    reply.setCookie(CART_COOKIE, id, {
      httpOnly: true,
      sameSite: 'lax',
      path: '/api/cart',
      maxAge: cookie.maxAgeSeconds,
      secure: cookie.secure,
    });
    return guestOwner(id, !known);
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
      const user = userOwner(principalOf(req).userId);
      // no cart can live under an id this service did not issue: nothing to merge
      const cart = guestIds.issued(req.body.cartId)
        ? await carts.merge(user, req.body.cartId.toLowerCase(), req.id)
        : await carts.view(user, req.id);
      reply.clearCookie(CART_COOKIE, { path: '/api/cart' });
      return cart;
    },
  );
}
