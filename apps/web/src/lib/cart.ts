// The cart: a guest's (cookie + x-cart-id) or the signed-in user's, merged when a guest signs in.
import { type QueryClient, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, forgetGuestCart, guestCartId } from './api.js';
import { useHydrated } from './hooks.js';
import { session, useUser } from './session.js';
import type { Cart, SessionTokens } from './types.js';

export const cartKey = ['cart'] as const;

export function useCart() {
  const hydrated = useHydrated();
  const user = useUser();
  return useQuery({
    queryKey: [...cartKey, user?.id ?? 'guest'],
    queryFn: ({ signal }) => api<Cart>('/api/cart', { signal }),
    // the cart lives in the browser's cookie and storage: never on the server
    enabled: hydrated,
  });
}

export function cartCount(cart: Cart | undefined): number {
  return cart?.items.reduce((n, l) => n + l.quantity, 0) ?? 0;
}

function useCartMutation<V>(fn: (v: V) => Promise<Cart>) {
  const client = useQueryClient();
  const user = useUser();
  return useMutation({
    mutationFn: fn,
    onSuccess: (cart) => client.setQueryData([...cartKey, user?.id ?? 'guest'], cart),
  });
}

export const useAddToCart = () =>
  useCartMutation((v: { productId: string; quantity: number }) =>
    api<Cart>('/api/cart/items', { method: 'POST', json: v }),
  );

export const useChangeQuantity = () =>
  useCartMutation((v: { productId: string; quantity: number }) =>
    api<Cart>(`/api/cart/items/${v.productId}`, { method: 'PATCH', json: { quantity: v.quantity } }),
  );

export const useRemoveLine = () =>
  useCartMutation((v: { productId: string }) => api<Cart>(`/api/cart/items/${v.productId}`, { method: 'DELETE' }));

/**
 * Moves the guest's cart into the user's, then stores the session: the page never reads the
 * user's cart from before the merge.
 */
export async function signedIn(client: QueryClient, tokens: SessionTokens): Promise<void> {
  const guest = guestCartId();
  if (guest) {
    try {
      const merged = await api<Cart>('/api/cart/merge', {
        method: 'POST',
        json: { cartId: guest },
        token: tokens.token,
      });
      forgetGuestCart();
      client.setQueryData([...cartKey, tokens.user.id], merged);
    } catch {
      // the guest cart stays in storage; the next sign-in tries again
    }
  }
  session.set(tokens);
  await client.invalidateQueries({ queryKey: cartKey });
}
