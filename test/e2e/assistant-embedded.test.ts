// The shopping assistant inside `npm start` (every service in one process on PGlite, the in-memory cache and
// bus), with the demo catalog: the same scenarios as distributed.
import { afterAll, beforeAll, describe, it } from 'vitest';
import {
  assistantAnswersBadInputWith4xx,
  assistantFollowsTheCatalog,
  assistantHandsOverAndKeepsConversationsPrivate,
  assistantKeepsOrdersToTheirOwner,
  assistantLearnsFromOrdersAndFillsCarts,
} from './assistant-scenarios.js';
import { type Customer, Shop } from './shop.js';
import { type Stack, startEmbeddedStack } from './stack.js';

let stack: Stack;
let shop: Shop;
let seller: Customer;

beforeAll(async () => {
  stack = await startEmbeddedStack({ label: 'e2eassistantembedded', env: { ASSISTANT_CHAT_RATE_LIMIT: '0' } });
  shop = new Shop(stack.gateway);
  seller = await shop.seller();
}, 240_000);
afterAll(() => stack?.stop(), 60_000);

describe('shopping assistant (embedded)', () => {
  it(
    'finds a product from its events: created, repriced, archived',
    () => assistantFollowsTheCatalog(shop, seller, 'embedded'),
    90_000,
  );
  it(
    "reads and cancels only the caller's own orders, through the order service",
    () => assistantKeepsOrdersToTheirOwner(shop, seller),
    90_000,
  );
  it(
    'fills the cart, learns bought-together from confirmed orders',
    () => assistantLearnsFromOrdersAndFillsCarts(shop, seller),
    90_000,
  );
  it(
    'hands over to a person (admins see it); conversations are their owner’s',
    () => assistantHandsOverAndKeepsConversationsPrivate(shop),
    60_000,
  );
  it('answers bad input with 4xx error bodies, and streams', () => assistantAnswersBadInputWith4xx(shop), 60_000);
});
