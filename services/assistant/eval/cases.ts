// The assistant's evaluation set over the demo catalog (services/product/src/seed/demo-products.ts):
// plain-words queries whose right answers are judged by the products' category, attributes and
// price (the name only where a kind of product has no attribute of its own), and support and
// chit-chat lines with the intent they should get. `npm run eval:assistant` runs them.
import type { Intent } from '../src/domain/intents.js';

/** What makes a product a right answer; every field given must hold. */
export interface Judge {
  category?: string | string[];
  /** value (or one of the values); `true`/`false` for yes/no attributes; `'*'` for "has the key" */
  attributes?: Record<string, string | number | boolean | Array<string | number>>;
  /** inclusive, minor units */
  minPrice?: number;
  maxPrice?: number;
  /** a regular expression on the name (a kind of product the attributes do not name) */
  name?: string;
  /** the name must not match this */
  notName?: string;
}

export interface SearchCase {
  q: string;
  /** relevant when any of these holds */
  relevant: Judge | Judge[];
}

export const SEARCH_CASES: SearchCase[] = [
  // the examples
  {
    q: 'red running shoes under $50',
    relevant: { category: 'shoes', attributes: { color: 'red', activity: 'running' }, maxPrice: 5000 },
  },
  {
    q: 'a gift for someone who loves coffee',
    relevant: [{ category: 'coffee-tea', notName: 'tea' }, { name: 'coffee|espresso|bean|cup' }],
  },
  { q: 'something to keep my tea hot', relevant: [{ attributes: { insulated: true } }, { name: 'teapot|kettle' }] },
  {
    q: 'quiet mechanical keyboard for the office',
    relevant: { category: 'computers', attributes: { switch: 'silent' }, name: 'keyboard' },
  },
  {
    q: 'cheapest wireless headphones',
    relevant: { category: 'audio', attributes: { connectivity: 'wireless', fit: ['over-ear', 'on-ear', 'in-ear'] } },
  },
  {
    q: 'sneakers for jogging',
    relevant: { category: 'shoes', attributes: { activity: ['running', 'trail running'] } },
  },
  // shoes and clothing
  { q: 'blue running shoes', relevant: { category: 'shoes', attributes: { color: 'blue', activity: 'running' } } },
  {
    q: 'running shoes between $70 and $130',
    relevant: { category: 'shoes', attributes: { activity: 'running' }, minPrice: 7000, maxPrice: 13000 },
  },
  { q: 'waterproof shoes for muddy trails', relevant: { category: 'shoes', attributes: { waterproof: true } } },
  { q: 'boots for hiking', relevant: { category: 'shoes', attributes: { activity: 'hiking' } } },
  { q: 'white leather sneakers', relevant: { category: 'shoes', attributes: { color: 'white', material: 'leather' } } },
  {
    q: 'yellow rain jacket',
    relevant: { category: 'clothing', attributes: { color: 'yellow', waterproof: true } },
  },
  { q: 'organic cotton t-shirt', relevant: { category: 'clothing', attributes: { material: 'organic cotton' } } },
  { q: 'warm merino wool socks', relevant: { category: 'clothing', attributes: { material: 'merino wool' } } },
  {
    q: 'a top to wear on my morning run',
    relevant: { category: 'clothing', attributes: { activity: 'running' } },
  },
  { q: 'gift for a runner under $40', relevant: { attributes: { activity: 'running' }, maxPrice: 4000 } },
  // bags
  { q: 'backpack for my commute to work', relevant: { category: 'bags', name: 'backpack' } },
  { q: 'leather wallet', relevant: { category: 'bags', attributes: { material: 'leather' } } },
  { q: 'hard suitcase for the plane', relevant: { category: 'bags', name: 'carry-on|suitcase|luggage' } },
  // audio and computers
  { q: 'noise cancelling headphones', relevant: { category: 'audio', attributes: { noiseCancelling: true } } },
  { q: 'earbuds under $60', relevant: { category: 'audio', attributes: { fit: 'in-ear' }, maxPrice: 6000 } },
  { q: 'wired headphones', relevant: { category: 'audio', attributes: { connectivity: 'wired' } } },
  { q: 'speaker I can take to the beach', relevant: { category: 'audio', name: 'speaker' } },
  { q: 'hedphones wireles', relevant: { category: 'audio', attributes: { connectivity: 'wireless' } } },
  { q: 'headphones over $150', relevant: { category: 'audio', minPrice: 15001, name: 'headphones' } },
  {
    q: 'a mouse that does not click loudly',
    relevant: { category: 'computers', attributes: { switch: 'silent' }, name: 'mouse' },
  },
  { q: 'camera for video calls', relevant: { category: 'computers', name: 'webcam' } },
  { q: 'keyboards', relevant: { category: 'computers', name: 'keyboard' } },
  // gadgets
  { q: 'watch that tracks my workouts', relevant: { category: 'electronics', name: 'watch' } },
  { q: 'charge my phone on the go', relevant: { category: 'electronics', name: 'power bank' } },
  // coffee, tea, drinkware, kitchen
  { q: 'dark roast coffee beans', relevant: { category: 'coffee-tea', attributes: { roast: 'dark' } } },
  { q: 'whole bean coffee from ethiopia', relevant: { attributes: { origin: 'Ethiopia' } } },
  { q: 'loose leaf green tea', relevant: { attributes: { tea: 'green' } } },
  { q: 'coffee grinder', relevant: { category: 'coffee-tea', name: 'grinder|mill' } },
  { q: 'electric kettle', relevant: { category: 'coffee-tea', attributes: { power: 'electric' }, name: 'kettle' } },
  { q: 'dishwasher safe mugs', relevant: { category: 'drinkware', attributes: { dishwasherSafe: true } } },
  { q: 'insulated water bottle', relevant: { category: 'drinkware', attributes: { insulated: true } } },
  { q: 'flask that keeps soup warm all day', relevant: { attributes: { insulated: true } } },
  { q: 'cast iron skillet', relevant: { category: 'kitchen', attributes: { material: 'cast iron' } } },
  { q: 'sharp knife for chopping vegetables', relevant: { category: 'kitchen', name: 'knife' } },
  { q: 'make smoothies at home', relevant: { category: 'kitchen', name: 'blender' } },
  // home, sports, outdoors, toys, pets, stationery
  { q: 'soft cushion for the sofa', relevant: { category: 'home', name: 'cushion' } },
  { q: 'something that makes the room smell nice', relevant: { category: 'home', name: 'candle' } },
  { q: 'bedside lamp', relevant: { category: 'home', name: 'lamp' } },
  { q: 'non-slip yoga mat', relevant: { category: 'sports', attributes: { activity: 'yoga' } } },
  { q: 'weights for working out at home', relevant: { category: 'sports', attributes: { activity: 'training' } } },
  { q: 'helmet for cycling to work', relevant: { category: 'sports', attributes: { activity: 'cycling' } } },
  { q: 'tent for two people', relevant: { category: 'outdoors', name: 'tent' } },
  { q: 'something to cook on when camping', relevant: { category: 'outdoors', name: 'stove' } },
  { q: 'binoculars for bird watching', relevant: { category: 'outdoors', attributes: { magnification: '*' } } },
  { q: '1000 piece jigsaw puzzle', relevant: { category: 'toys', attributes: { pieces: 1000 } } },
  { q: 'board game for family night', relevant: { category: 'toys', attributes: { players: '*' } } },
  { q: 'bowl for my dog', relevant: { category: 'pets', attributes: { pet: 'dog' } } },
  { q: 'comfy bed for my cat', relevant: { category: 'pets', attributes: { pet: 'cat' } } },
  { q: 'dotted notebook', relevant: { category: 'stationery', attributes: { ruling: 'dotted' } } },
];

export interface IntentCase {
  message: string;
  intent: Intent;
}

/** Support and chit-chat lines (and a few shopping ones), each sent as the first message of a guest's conversation. */
export const INTENT_CASES: IntentCase[] = [
  { message: 'hi', intent: 'greeting' },
  { message: 'hello there!', intent: 'greeting' },
  { message: 'good morning', intent: 'greeting' },
  { message: 'thanks a lot', intent: 'greeting' },
  { message: 'thank you so much!', intent: 'greeting' },
  { message: 'bye', intent: 'greeting' },
  { message: 'who are you?', intent: 'greeting' },
  { message: 'are you a robot?', intent: 'greeting' },
  { message: 'what can you help me with?', intent: 'greeting' },
  { message: 'how are you today?', intent: 'greeting' },
  { message: 'where is my order?', intent: 'order_status' },
  { message: 'has my package shipped yet?', intent: 'order_status' },
  { message: 'track my order', intent: 'order_status' },
  { message: 'when will my order arrive?', intent: 'order_status' },
  { message: "what's the status of order 3f2a9c1d?", intent: 'order_status' },
  { message: 'show me my recent orders', intent: 'order_status' },
  { message: "my parcel still hasn't arrived", intent: 'order_status' },
  { message: 'cancel my order', intent: 'cancel_order' },
  { message: 'I want to cancel order 3f2a9c1d', intent: 'cancel_order' },
  { message: 'please cancel my last purchase', intent: 'cancel_order' },
  { message: "I don't want my order anymore", intent: 'cancel_order' },
  { message: 'what is your return policy?', intent: 'faq' },
  { message: 'how long does shipping take?', intent: 'faq' },
  { message: 'do you ship to Canada?', intent: 'faq' },
  { message: 'can I pay with PayPal?', intent: 'faq' },
  { message: 'how do refunds work?', intent: 'faq' },
  { message: 'is there a warranty on electronics?', intent: 'faq' },
  { message: 'how much does delivery cost?', intent: 'faq' },
  { message: 'can I exchange something for a different size?', intent: 'faq' },
  { message: 'do you sell gift cards?', intent: 'faq' },
  { message: 'which payment methods do you accept?', intent: 'faq' },
  { message: 'I want to talk to a human', intent: 'handoff' },
  { message: 'can I speak to a real person please', intent: 'handoff' },
  { message: 'connect me to customer service', intent: 'handoff' },
  { message: "I'd like to make a complaint", intent: 'handoff' },
  { message: 'get me an agent', intent: 'handoff' },
  { message: 'what do you recommend?', intent: 'recommendation' },
  { message: 'any gift ideas?', intent: 'recommendation' },
  { message: "what's popular right now?", intent: 'recommendation' },
  { message: 'show me your best sellers', intent: 'recommendation' },
  { message: 'do you have yoga mats?', intent: 'product_search' },
  { message: 'I need a new kettle', intent: 'product_search' },
  { message: "what's the weather like tomorrow?", intent: 'unknown' },
  { message: 'what is the capital of France', intent: 'unknown' },
  { message: 'asdfghjkl', intent: 'unknown' },
];
