// Request and response schemas of the product API (validation, OpenAPI and types from one source).
import { Money } from '@microbazaar/contracts';
import { Type } from '@sinclair/typebox';
import {
  ATTRIBUTE_NUMBER_MAX,
  CATEGORY_SLUG,
  DESCRIPTION_MAX,
  NAME_MAX,
  PRICE_MAX,
  STOCK_MAX,
} from '../domain/products.js';

const Uuid = Type.String({ format: 'uuid' });
const DateTime = Type.String({ format: 'date-time' });
const Slug = Type.String({ pattern: CATEGORY_SLUG, description: 'lower-case letters, digits and hyphens' });
const Currency = Type.String({ pattern: '^[A-Z]{3}$', description: 'ISO 4217, e.g. USD' });
const Price = Type.Integer({ minimum: 0, maximum: PRICE_MAX, description: 'minor units (cents)' });
const Name = Type.String({ minLength: 1, maxLength: NAME_MAX, pattern: '\\S' });
const Description = Type.String({ maxLength: DESCRIPTION_MAX });

const AttributeValue = Type.Union([
  Type.String({ maxLength: 500 }),
  // bounded: JSON `1e400` parses as Infinity, which jsonb would keep as null (and break every read)
  Type.Number({ minimum: -ATTRIBUTE_NUMBER_MAX, maximum: ATTRIBUTE_NUMBER_MAX }),
  Type.Boolean(),
  Type.Array(Type.String({ maxLength: 200 }), { maxItems: 20 }),
]);
export const Attributes = Type.Record(Type.String({ minLength: 1, maxLength: 64 }), AttributeValue, {
  maxProperties: 50,
  description: 'free-form facts: brand, colour, material... (searched)',
});

const PictureFields = {
  url: Type.String({ description: 'the original, metadata stripped' }),
  thumbnailUrl: Type.String(),
  mediumUrl: Type.String({ description: 'the original itself when it is no larger than the medium size' }),
  width: Type.Integer(),
  height: Type.Integer(),
};

export const Image = Type.Object({ id: Uuid, ...PictureFields }, { title: 'Image' });

/** A category's picture: the renditions of a product image, without an id. */
export const CategoryImage = Type.Object(PictureFields, { title: 'CategoryImage' });

export const Product = Type.Object(
  {
    id: Uuid,
    slug: Type.String(),
    name: Type.String(),
    description: Type.String(),
    price: Money,
    category: Type.Union([Type.String(), Type.Null()]),
    attributes: Type.Record(Type.String(), AttributeValue),
    stock: Type.Integer({ description: 'available: on hand − reserved' }),
    images: Type.Array(Image),
    sellerId: Uuid,
    status: Type.Union([Type.Literal('active'), Type.Literal('archived')]),
    createdAt: DateTime,
    updatedAt: DateTime,
  },
  { title: 'Product' },
);

export const ProductPage = Type.Object(
  {
    items: Type.Array(Product),
    nextCursor: Type.Union([Type.String(), Type.Null()]),
    total: Type.Integer({ description: 'exact up to 1 000 matches, an estimate above' }),
    totalExact: Type.Boolean(),
  },
  { title: 'ProductPage' },
);

export const ProductListQuery = Type.Object({
  q: Type.Optional(Type.String({ maxLength: 200, description: 'web-search syntax: words, "a phrase", -not, or' })),
  category: Type.Optional(Slug),
  minPrice: Type.Optional(Price),
  maxPrice: Type.Optional(Price),
  sellerId: Type.Optional(Uuid),
  status: Type.Optional(
    Type.Union([Type.Literal('active'), Type.Literal('archived')], {
      description: "default active; archived: that sellerId's archived products, for the seller and admins only",
    }),
  ),
  sort: Type.Optional(
    Type.Union(
      [Type.Literal('relevance'), Type.Literal('price_asc'), Type.Literal('price_desc'), Type.Literal('newest')],
      { description: 'default: relevance with q, newest without' },
    ),
  ),
  limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
  cursor: Type.Optional(Type.String({ maxLength: 512 })),
});

/** JSON body, or the text fields of a multipart/form-data body (attributes as a JSON string there). */
export const ProductCreate = Type.Object(
  {
    name: Name,
    description: Type.Optional(Description),
    price: Price,
    currency: Type.Optional(Currency),
    category: Type.Optional(Slug),
    attributes: Type.Optional(Attributes),
    stock: Type.Optional(Type.Integer({ minimum: 0, maximum: STOCK_MAX, default: 0 })),
  },
  { additionalProperties: false },
);

export const ProductUpdate = Type.Object(
  {
    name: Type.Optional(Name),
    description: Type.Optional(Description),
    price: Type.Optional(Price),
    currency: Type.Optional(Currency),
    category: Type.Optional(Type.Union([Slug, Type.Null()])),
    attributes: Type.Optional(Attributes),
    status: Type.Optional(Type.Union([Type.Literal('active'), Type.Literal('archived')])),
  },
  { additionalProperties: false, minProperties: 1 },
);

export const ProductParams = Type.Object({
  id: Type.String({ minLength: 1, maxLength: 200, description: 'id or slug' }),
});

export const ImageParams = Type.Object({ id: ProductParams.properties.id, imageId: Uuid });

export const ImageOrder = Type.Object(
  {
    imageIds: Type.Array(Uuid, {
      maxItems: 100,
      description: "each of the product's image ids once, in the new order (the first is the main picture)",
    }),
  },
  { additionalProperties: false },
);

export const NoFields = Type.Object({}, { additionalProperties: false });

export const Stock = Type.Object(
  {
    productId: Uuid,
    available: Type.Integer(),
    onHand: Type.Optional(Type.Integer({ description: 'owner and admin only' })),
    reserved: Type.Optional(Type.Integer({ description: 'owner and admin only' })),
    updatedAt: DateTime,
  },
  { title: 'Stock' },
);

export const StockUpdate = Type.Object(
  { quantity: Type.Integer({ minimum: 0, maximum: STOCK_MAX, description: 'units on hand' }) },
  { additionalProperties: false },
);

export const Category = Type.Object(
  {
    id: Uuid,
    slug: Type.String(),
    name: Type.String(),
    description: Type.String(),
    image: Type.Union([CategoryImage, Type.Null()], {
      description: 'the storefront tile (the demo and seeded catalogs draw one per category); null when none',
    }),
    createdAt: DateTime,
    updatedAt: DateTime,
  },
  { title: 'Category' },
);

export const CategoryPage = Type.Object(
  { items: Type.Array(Category), nextCursor: Type.Union([Type.String(), Type.Null()]) },
  { title: 'CategoryPage' },
);

export const CategoryListQuery = Type.Object({
  limit: Type.Integer({ minimum: 1, maximum: 100, default: 100 }),
  cursor: Type.Optional(Type.String({ maxLength: 512 })),
});

export const CategoryCreate = Type.Object(
  {
    slug: Slug,
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    description: Type.Optional(Type.String({ maxLength: 2000 })),
  },
  { additionalProperties: false },
);

export const CategoryUpdate = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    description: Type.Optional(Type.String({ maxLength: 2000 })),
  },
  { additionalProperties: false, minProperties: 1 },
);

export const CategoryParams = Type.Object({
  id: Type.String({ minLength: 1, maxLength: 64, description: 'slug or id' }),
});
