// The shopping assistant with the real shop around it, through the gateway: products it learns from the
// product service's events, orders it reads and cancels through the order service with the customer's own
// token (so another customer's are never seen nor touched), carts, what confirmed orders teach, hand-overs
// for admins, owner-only conversations and the 4xx answers to bad input. The same in every mode.
import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import { type Customer, eventually, type Reply, type Shop } from './shop.js';

interface Card {
  id: string;
  name: string;
  price: { amount: number; currency: string };
}

interface ChatAnswer {
  conversationId: string;
  reply: string;
  intent: string;
  products: Card[];
  actions?: Array<{ type: string; orderId?: string; productId?: string; status: string }>;
}

async function chat(shop: Shop, who: Customer | undefined, message: string, conversationId?: string) {
  const res = await shop.call<ChatAnswer>('POST', '/api/assistant/chat', {
    ...(who ? { token: who.token } : {}),
    body: { message, ...(conversationId ? { conversationId } : {}) },
  });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body;
}

async function search(shop: Shop, q: string, limit = 5) {
  const res = await shop.call<{ items: Card[]; interpreted: Record<string, unknown> }>(
    'GET',
    `/api/assistant/search?q=${encodeURIComponent(q)}&limit=${limit}`,
  );
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body;
}

async function createProduct(
  shop: Shop,
  seller: Customer,
  p: { name: string; description: string; price: number; category: string; attributes: Record<string, string> },
) {
  const res = await shop.call('POST', '/api/products', {
    token: seller.token,
    body: { ...p, currency: 'USD', stock: 20 },
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as { id: string; name: string; price: { amount: number; currency: string } };
}

/** Milliseconds from now until `check` passes (polled), for the freshness the issue asks to measure. */
async function timed(check: () => Promise<void>): Promise<number> {
  const started = performance.now();
  await eventually(check, 30_000, 50);
  return Math.round(performance.now() - started);
}

const tag = () => randomUUID().slice(0, 6);

export async function assistantFollowsTheCatalog(shop: Shop, seller: Customer, mode: string) {
  const word = `Zephyr${tag()}`;
  const flask = await createProduct(shop, seller, {
    name: `${word} Thermal Flask`,
    description: 'Double-walled steel flask that keeps tea hot all day.',
    price: 3200,
    category: 'kitchen',
    attributes: { color: 'teal', material: 'steel', brand: word },
  });
  const ids = async (q: string) => (await search(shop, q, 10)).items.map((i) => i.id);
  const created = await timed(async () => expect(await ids(`teal ${word} flask under $40`)).toContain(flask.id));
  // its colour becomes a filter word when the vocabulary is next rebuilt (at most every 2 s)
  await eventually(async () => {
    const found = await search(shop, `teal ${word} flask under $40`);
    expect(found.interpreted).toMatchObject({ maxPrice: 3999, attributes: { color: 'teal' } });
    expect(found.items.find((i) => i.id === flask.id)?.price).toEqual({ amount: 3200, currency: 'USD' });
  });

  const patched = await shop.call('PATCH', `/api/products/${flask.id}`, { token: seller.token, body: { price: 5200 } });
  expect(patched.status, JSON.stringify(patched.body)).toBe(200);
  const repriced = await timed(async () => {
    expect(await ids(`teal ${word} flask under $40`)).not.toContain(flask.id);
    expect(await ids(`teal ${word} flask under $60`)).toContain(flask.id);
  });

  expect((await shop.call('DELETE', `/api/products/${flask.id}`, { token: seller.token })).status).toBeLessThan(300);
  const archived = await timed(async () => expect(await ids(`${word} flask`)).not.toContain(flask.id));
  // the issue asks for a change to be searchable within 2 s: measured here, asserted nowhere (shared machine)
  console.log(
    `assistant freshness (${mode}, through the gateway): created ${created} ms, repriced ${repriced} ms, archived ${archived} ms`,
  );
}

export async function assistantKeepsOrdersToTheirOwner(shop: Shop, seller: Customer) {
  const clock = await createProduct(shop, seller, {
    name: `Quartz ${tag()} Desk Clock`,
    description: 'A quiet desk clock.',
    price: 2599,
    category: 'home-office',
    attributes: { color: 'black', material: 'wood' },
  });
  const ada = await shop.register('ada');
  const bob = await shop.register('bob');
  const placed = await shop.placeOrder(ada, { paymentToken: 'tok_ok', items: [{ productId: clock.id, quantity: 1 }] });
  expect(placed.status).toBe(202);
  const order = await shop.settled(ada, placed.body.id);
  expect(order.status).toBe('confirmed');

  const own = await chat(shop, ada, 'where is my order?');
  expect(own.intent).toBe('order_status');
  expect(own.reply).toContain(clock.name);
  expect(own.reply).toContain('$25.99');
  expect(own.reply).toContain(order.id.slice(0, 8).toUpperCase());

  const guest = await chat(shop, undefined, 'where is my order?');
  expect(guest.reply).toMatch(/sign in/i);

  for (const question of [`where is order ${order.id}?`, `did order ${order.id.slice(0, 8)} ship?`, 'my orders?']) {
    const answer = await chat(shop, bob, question);
    expect(answer.reply).not.toContain(clock.name);
    expect(answer.reply).not.toContain('25.99');
  }
  // bob cannot cancel it, even saying yes
  const bobs = await chat(shop, bob, `cancel order ${order.id}`);
  expect(bobs.actions).toBeUndefined();
  const bobYes = await chat(shop, bob, 'yes', bobs.conversationId);
  expect(bobYes.actions).toBeUndefined();
  expect((await shop.order(ada, order.id)).status).toBe('confirmed');

  // ada can: proposed first, then done by her yes, through the order service
  const asked = await chat(shop, ada, `please cancel order ${order.id.slice(0, 8)}`);
  expect(asked.intent).toBe('cancel_order');
  expect(asked.actions).toEqual([{ type: 'cancel_order', orderId: order.id, status: 'proposed' }]);
  expect((await shop.order(ada, order.id)).status).toBe('confirmed');
  const done = await chat(shop, ada, 'yes', asked.conversationId);
  expect(done.actions).toEqual([{ type: 'cancel_order', orderId: order.id, status: 'done' }]);
  expect(await shop.order(ada, order.id)).toMatchObject({ status: 'cancelled', cancelReason: 'customer' });
  await eventually(async () => expect(await shop.stock(clock.id)).toBe(20));
}

export async function assistantLearnsFromOrdersAndFillsCarts(shop: Shop, seller: Customer) {
  const t = tag();
  const grinder = await createProduct(shop, seller, {
    name: `Ember${t} Burr Grinder`,
    description: 'Grinds coffee beans evenly.',
    price: 4900,
    category: 'coffee-tea',
    attributes: { color: 'black', material: 'steel' },
  });
  const beans = await createProduct(shop, seller, {
    name: `Ember${t} Espresso Beans`,
    description: 'Dark roast coffee beans, 1 kg.',
    price: 1800,
    category: 'coffee-tea',
    attributes: { color: 'brown' },
  });
  const buyer = await shop.register('buyer');
  await eventually(async () => {
    const found = (await search(shop, `Ember${t}`, 10)).items.map((i) => i.id);
    expect(found).toEqual(expect.arrayContaining([grinder.id, beans.id]));
  });
  // in the cart through the assistant: found by name, then "the first one"
  const shown = await chat(shop, buyer, `Ember${t} burr grinder`);
  expect(shown.products[0]?.id).toBe(grinder.id);
  const added = await chat(shop, buyer, 'add the first one to my cart', shown.conversationId);
  expect(added.actions).toEqual([{ type: 'add_to_cart', productId: grinder.id, status: 'done' }]);
  expect((await shop.cart(buyer)).items).toEqual([expect.objectContaining({ productId: grinder.id, quantity: 1 })]);

  // confirmed together: each is the other's "bought together"
  const placed = await shop.placeOrder(buyer, {
    paymentToken: 'tok_ok',
    items: [
      { productId: grinder.id, quantity: 1 },
      { productId: beans.id, quantity: 2 },
    ],
  });
  expect((await shop.settled(buyer, placed.body.id)).status).toBe('confirmed');
  await eventually(async () => {
    const res = await shop.call('GET', `/api/assistant/recommendations?productId=${grinder.id}&limit=4`);
    expect(res.status).toBe(200);
    expect(res.body.kind).toBe('bought_together');
    expect(res.body.items[0].id).toBe(beans.id);
    expect(res.body.items.map((i: Card) => i.id)).not.toContain(grinder.id);
  });
  // and the buyer's own picks leave out what they bought
  const mine = await shop.call('GET', '/api/assistant/recommendations?limit=5', { token: buyer.token });
  expect(mine.body.kind).toBe('personal');
  expect(mine.body.items.map((i: Card) => i.id)).not.toContain(grinder.id);
}

export async function assistantHandsOverAndKeepsConversationsPrivate(shop: Shop) {
  const ada = await shop.register('ada');
  const bob = await shop.register('bob');
  const asked = await chat(shop, ada, 'I want to talk to a human please');
  expect(asked.intent).toBe('handoff');
  expect(asked.actions).toEqual([{ type: 'handoff', status: 'done' }]);

  const login = await shop.call('POST', '/api/auth/login', {
    body: { email: 'admin@microbazaar.local', password: 'admin12345' },
  });
  expect(login.status).toBe(200);
  const list = await shop.call('GET', '/api/assistant/handoffs?limit=100', { token: login.body.token });
  expect(list.status).toBe(200);
  const mine = list.body.items.find((x: { conversationId: string }) => x.conversationId === asked.conversationId);
  expect(mine).toMatchObject({ userId: ada.userId, email: ada.email, status: 'open' });
  expect((await shop.call('GET', '/api/assistant/handoffs', { token: ada.token })).status).toBe(403);
  expect((await shop.call('GET', '/api/assistant/handoffs')).status).toBe(401);

  const path = `/api/assistant/conversations/${asked.conversationId}`;
  const own = await shop.call('GET', path, { token: ada.token });
  expect(own.status).toBe(200);
  expect(own.body.messages.map((m: { text: string }) => m.text)[0]).toBe('I want to talk to a human please');
  expect((await shop.call('GET', path, { token: bob.token })).status).toBe(404);
  expect((await shop.call('GET', path)).status).toBe(401);
  const intrude = await shop.call('POST', '/api/assistant/chat', {
    token: bob.token,
    body: { message: 'where is my order?', conversationId: asked.conversationId },
  });
  expect(intrude.status).toBe(404);
}

export async function assistantAnswersBadInputWith4xx(shop: Shop) {
  const errorBody = (res: Reply, status: number) => {
    expect(res.status, JSON.stringify(res.body)).toBe(status);
    expect(res.body.error).toMatchObject({ code: expect.any(String), message: expect.any(String) });
    expect(res.body.error.requestId).toBe(res.headers.get('x-request-id'));
  };
  const post = (body: unknown) => shop.call('POST', '/api/assistant/chat', { body });
  errorBody(await post({ message: '' }), 400);
  errorBody(await post({ message: 'x'.repeat(10_000) }), 400);
  errorBody(await post({ message: 'hi', role: 'admin' }), 400);
  errorBody(await post({ message: 'hi', conversationId: 'not-a-uuid' }), 400);
  errorBody(await shop.call('GET', '/api/assistant/search?q=mug&limit=0'), 400);
  errorBody(await shop.call('GET', '/api/assistant/search?q='), 400);
  errorBody(await shop.call('GET', '/api/assistant/recommendations?productId=nope'), 400);
  errorBody(await shop.call('GET', `/api/assistant/recommendations?productId=${randomUUID()}`), 404);
  errorBody(await shop.call('GET', '/api/assistant/conversations/not-a-uuid', { headers: {} }), 400);
  const bad = await shop.call('POST', '/api/assistant/chat', {
    body: { message: 'hi' },
    headers: { authorization: 'Bearer not.a.token' },
  });
  errorBody(bad, 401);

  // the answer streams through the gateway too
  const res = await fetch(`${shop.base}/api/assistant/chat`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
    body: JSON.stringify({ message: 'hello' }),
    signal: AbortSignal.timeout(30_000),
  });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
  const text = await res.text();
  expect(text).toMatch(/^event: token\n/);
  expect(text).toMatch(/event: products\n[^\n]+\n\nevent: done\ndata: \{[^\n]*"intent":"greeting"[^\n]*\}\n\n$/);
}
