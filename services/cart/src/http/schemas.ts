// Request and response schemas of the cart API.

import { Money } from '@microbazaar/contracts';
import { Uuid } from '@microbazaar/kit';
import { Type } from '@sinclair/typebox';

export const Cart = Type.Object({
  id: Type.String({ description: 'the guest cart id (also in x-cart-id), or the user id' }),
  userId: Type.Union([Uuid, Type.Null()]),
  items: Type.Array(
    Type.Object({
      productId: Uuid,
      name: Type.String(),
      unitPrice: Money,
      quantity: Type.Integer({ minimum: 1 }),
      available: Type.Integer({ minimum: 0, description: 'units that can be bought now' }),
    }),
  ),
  subtotal: Money,
});

export const CartHeaders = Type.Object({
  'x-cart-id': Type.Optional(Type.String({ format: 'uuid', description: "a guest's cart id (or the cart_id cookie)" })),
});

export const AddItemBody = Type.Object({ productId: Uuid, quantity: Type.Integer({ minimum: 1 }) });
export const ChangeItemBody = Type.Object({ quantity: Type.Integer({ minimum: 1 }) });
export const ProductParams = Type.Object({ productId: Uuid });
export const MergeBody = Type.Object({ cartId: Uuid });
