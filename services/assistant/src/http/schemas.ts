// Request and response schemas of the assistant API (validation, OpenAPI and types from one source).
import { Money } from '@microbazaar/contracts';
import { Type } from '@sinclair/typebox';

const Uuid = Type.String({ format: 'uuid' });

export const ProductCard = Type.Object({
  id: Uuid,
  slug: Type.String(),
  name: Type.String(),
  price: Money,
  image: Type.Optional(Type.String()),
  reason: Type.Optional(Type.String({ description: 'why it is in the answer' })),
});

export const Sort = Type.Union([
  Type.Literal('relevance'),
  Type.Literal('price_asc'),
  Type.Literal('price_desc'),
  Type.Literal('newest'),
]);

export const Interpreted = Type.Object({
  text: Type.String(),
  category: Type.Optional(Type.String({ description: 'category slug' })),
  minPrice: Type.Optional(Type.Integer({ description: 'minor units, inclusive' })),
  maxPrice: Type.Optional(Type.Integer({ description: 'minor units, inclusive' })),
  attributes: Type.Optional(
    Type.Record(Type.String(), Type.String(), { description: "the catalog's own attribute keys and values" }),
  ),
  sort: Type.Optional(Sort),
});

export const Intent = Type.Union(
  ['product_search', 'recommendation', 'order_status', 'cancel_order', 'faq', 'handoff', 'greeting', 'unknown'].map(
    (i) => Type.Literal(i),
  ),
);

export const Action = Type.Object({
  type: Type.Union([Type.Literal('cancel_order'), Type.Literal('add_to_cart'), Type.Literal('handoff')]),
  orderId: Type.Optional(Uuid),
  productId: Type.Optional(Uuid),
  status: Type.Union([Type.Literal('proposed'), Type.Literal('done'), Type.Literal('failed')]),
});

export const ChatBody = Type.Object(
  {
    message: Type.String({ minLength: 1, maxLength: 2000, pattern: '\\S' }),
    conversationId: Type.Optional(Uuid),
  },
  { additionalProperties: false },
);

export const ChatHeaders = Type.Object({
  'x-cart-id': Type.Optional(Type.String({ format: 'uuid', description: "a guest's cart (the cart service's id)" })),
});

export const ChatResponse = Type.Object({
  conversationId: Uuid,
  reply: Type.String(),
  intent: Intent,
  products: Type.Array(ProductCard),
  filters: Type.Optional(Interpreted),
  actions: Type.Optional(Type.Array(Action)),
  suggestions: Type.Optional(Type.Array(Type.String())),
});

export const SearchQuery = Type.Object({
  q: Type.String({ minLength: 1, maxLength: 500, pattern: '\\S' }),
  limit: Type.Integer({ minimum: 1, maximum: 50, default: 10 }),
});

export const SearchResponse = Type.Object({ items: Type.Array(ProductCard), interpreted: Interpreted });

export const RecommendationsQuery = Type.Object({
  productId: Type.Optional(Uuid),
  limit: Type.Integer({ minimum: 1, maximum: 50, default: 8 }),
});

export const RecommendationsResponse = Type.Object({
  items: Type.Array(ProductCard),
  kind: Type.Union([
    Type.Literal('similar'),
    Type.Literal('bought_together'),
    Type.Literal('personal'),
    Type.Literal('popular'),
  ]),
});

export const Message = Type.Object({
  role: Type.Union([Type.Literal('user'), Type.Literal('assistant')]),
  text: Type.String(),
  intent: Type.Optional(Intent),
  products: Type.Optional(Type.Array(ProductCard)),
  actions: Type.Optional(Type.Array(Action)),
  at: Type.String({ format: 'date-time' }),
});

export const ConversationResponse = Type.Object({ id: Uuid, messages: Type.Array(Message) });

export const HandoffsQuery = Type.Object({
  limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
  cursor: Type.Optional(Type.String({ maxLength: 512 })),
});

export const Handoff = Type.Object({
  id: Uuid,
  conversationId: Uuid,
  userId: Type.Union([Uuid, Type.Null()]),
  email: Type.Union([Type.String(), Type.Null()]),
  message: Type.String(),
  transcript: Type.Array(
    Type.Object({
      role: Type.String(),
      text: Type.String(),
      at: Type.Optional(Type.String()),
    }),
  ),
  status: Type.Union([Type.Literal('open'), Type.Literal('closed')]),
  createdAt: Type.String({ format: 'date-time' }),
});

export const HandoffPage = Type.Object({
  items: Type.Array(Handoff),
  nextCursor: Type.Union([Type.String(), Type.Null()]),
});

export const IdParams = Type.Object({ id: Uuid });
