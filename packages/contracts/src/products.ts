// A product as the other services read it from the product service (GET /api/products/:id): the fields
// they rely on, one reader for the body, and the client interface their adapters implement.
import { type Static, Type } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';

export const ProductSummary = Type.Object(
  {
    id: Type.String({ minLength: 1 }),
    slug: Type.Optional(Type.String()),
    name: Type.String(),
    /** current price, integer minor units */
    price: Type.Object({
      amount: Type.Integer({ minimum: Number.MIN_SAFE_INTEGER, maximum: Number.MAX_SAFE_INTEGER }),
      currency: Type.String({ minLength: 1 }),
    }),
    sellerId: Type.String(),
    /** `active` unless the catalog says otherwise (archived...) */
    status: Type.Optional(Type.String()),
    /** units available now (on hand − reserved) */
    stock: Type.Optional(Type.Integer()),
  },
  // the full product carries more (description, images, attributes...): read what is needed, keep going
  { additionalProperties: true },
);
export type ProductSummary = Static<typeof ProductSummary>;

const check = TypeCompiler.Compile(ProductSummary);

/** The summary of a product body, or undefined when a field the other services rely on is missing or wrong. */
export function readProductSummary(body: unknown): ProductSummary | undefined {
  if (!check.Check(body)) return undefined;
  const { id, slug, name, price, sellerId, status, stock } = body;
  return {
    id,
    name,
    price: { amount: price.amount, currency: price.currency },
    sellerId,
    ...(slug === undefined ? {} : { slug }),
    ...(status === undefined ? {} : { status }),
    ...(stock === undefined ? {} : { stock }),
  };
}

/** What cart and order ask the product service; each implements it over HTTP in its adapters. */
export interface ProductClient {
  /** The product by id; undefined when the catalog does not know it. Throws when the catalog cannot answer. */
  product(id: string, ctx?: { requestId?: string }): Promise<ProductSummary | undefined>;
}
