// The cart use cases: lines priced from the read model, limits and stock checks, guest → user merge, events.
import type { EventOf, ProductClient } from '@microbazaar/contracts';
import { Conflict, Invalid, NotFound } from '@microbazaar/kit';
import {
  assertSellable,
  availableOf,
  type Cart,
  checkQuantity,
  insufficientStock,
  type Limits,
  mergeCaps,
  type ProductView,
  presentCart,
  productView,
} from '../domain/cart.js';
import type { CartStore, LineOutcome } from '../store/carts.js';

/** Whose cart a request is about: a user's, or a guest's by its cart id. */
export interface Owner {
  /** store key: u:<userId> or g:<cartId> */
  key: string;
  id: string;
  userId: string | null;
}

export const userOwner = (userId: string): Owner => ({ key: `u:${userId}`, id: userId, userId });
export const guestOwner = (cartId: string): Owner => ({ key: `g:${cartId}`, id: cartId, userId: null });

export interface CartsDeps {
  store: CartStore;
  catalog: ProductClient;
  limits: Limits;
}

export function createCarts({ store, catalog, limits }: CartsDeps) {
  /** From the read model; a product it has never heard of is read once from the catalog and kept. */
  async function productViews(ids: readonly string[], requestId?: string): Promise<Map<string, ProductView>> {
    const found = await store.products(ids);
    const missing = ids.filter((id) => !found.has(id));
    if (missing.length) {
      const fetched = await Promise.all(missing.map((id) => catalog.product(id, requestId ? { requestId } : {})));
      for (const product of fetched) {
        if (!product) continue;
        // what we read now is at least as new as any event that occurred before now
        const view = productView(product, Date.now());
        await store.putProduct(view);
        found.set(view.productId, view);
      }
    }
    return found;
  }

  async function view(owner: Owner, requestId?: string): Promise<Cart> {
    const lines = await store.lines(owner.key);
    const products = await productViews(
      lines.map((l) => l.productId),
      requestId,
    );
    return presentCart(owner, lines, products);
  }

  function refuse(outcome: Exclude<LineOutcome, { ok: true }>, product: ProductView): never {
    switch (outcome.problem) {
      case 'too_many_lines':
        throw new Conflict(`A cart holds at most ${limits.maxLines} different products`, 'CART_FULL');
      case 'above_limit':
        throw new Invalid(`At most ${limits.maxQuantity} of one product per cart (you have ${outcome.current})`, [
          { path: 'body/quantity', message: `total must be ≤ ${limits.maxQuantity}` },
        ]);
      case 'above_stock':
        throw insufficientStock(product);
      case 'absent':
        throw new NotFound('That product is not in the cart', 'LINE_NOT_FOUND');
    }
  }

  async function sellable(productId: string, requestId?: string): Promise<ProductView> {
    const product = (await productViews([productId], requestId)).get(productId);
    assertSellable(product, productId);
    return product;
  }

  return {
    view,

    async add(owner: Owner, productId: string, quantity: number, requestId?: string): Promise<Cart> {
      checkQuantity(quantity, limits);
      const product = await sellable(productId, requestId);
      const outcome = await store.add(owner.key, productId, quantity, { ...limits, available: availableOf(product) });
      if (!outcome.ok) refuse(outcome, product);
      return view(owner, requestId);
    },

    async change(owner: Owner, productId: string, quantity: number, requestId?: string): Promise<Cart> {
      checkQuantity(quantity, limits);
      const product = await sellable(productId, requestId);
      const outcome = await store.change(owner.key, productId, quantity, {
        ...limits,
        available: availableOf(product),
      });
      if (!outcome.ok) refuse(outcome, product);
      return view(owner, requestId);
    },

    async remove(owner: Owner, productId: string, requestId?: string): Promise<Cart> {
      await store.remove(owner.key, productId);
      return view(owner, requestId);
    },

    async clear(owner: Owner): Promise<void> {
      await store.clear(owner.key);
    },

    /** The guest cart's lines join the user's (quantities add, capped by stock and the limit); the guest cart is gone. */
    async merge(user: Owner, guestCartId: string, requestId?: string): Promise<Cart> {
      const guest = guestOwner(guestCartId);
      const lines = await store.lines(guest.key);
      if (lines.length) {
        const ids = lines.map((l) => l.productId);
        await store.merge(
          guest.key,
          user.key,
          mergeCaps(ids, await productViews(ids, requestId), limits),
          limits.maxLines,
        );
      }
      return view(user, requestId);
    },

    // ---- events ----

    async productChanged(event: EventOf<'product.created' | 'product.updated'>): Promise<boolean> {
      const d = event.data;
      return store.putProduct({
        productId: d.productId,
        name: d.name,
        price: d.price,
        stock: d.stock,
        status: d.status,
        sellerId: d.sellerId,
        slug: d.slug,
        version: Date.parse(event.occurredAt),
      });
    },

    async productDeleted(event: EventOf<'product.deleted'>): Promise<boolean> {
      const d = event.data;
      const known = (await store.products([d.productId])).get(d.productId);
      return store.putProduct({
        productId: d.productId,
        name: known?.name ?? 'Unavailable product',
        price: known?.price ?? { amount: 0, currency: 'USD' },
        stock: 0,
        status: 'deleted',
        sellerId: d.sellerId,
        slug: d.slug ?? known?.slug ?? d.productId,
        version: Date.parse(event.occurredAt),
      });
    },

    /** The order is paid: what was ordered leaves the buyer's cart (once per event). */
    orderConfirmed(event: EventOf<'order.confirmed'>): Promise<boolean> {
      return store.removeOrdered(
        userOwner(event.data.userId).key,
        event.id,
        event.data.items.map((i) => ({ productId: i.productId, quantity: i.quantity })),
      );
    },
  };
}

export type Carts = ReturnType<typeof createCarts>;
