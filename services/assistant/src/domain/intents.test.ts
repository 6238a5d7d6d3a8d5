import { describe, expect, it } from 'vitest';
import { classify, findOrderRef, type Intent } from './intents.js';

describe('classify', () => {
  const cases: Array<[string, Intent, boolean?]> = [
    ['where is my order?', 'order_status'],
    ['did order 3f2a9c1d ship?', 'order_status'],
    ['has my package been delivered yet', 'order_status'],
    ['show me my recent orders', 'order_status'],
    ['cancel my order', 'cancel_order'],
    ['please cancel order 3f2a9c1d', 'cancel_order'],
    ["I don't want my order anymore", 'cancel_order'],
    ['what is your return policy?', 'faq'],
    ['how long does shipping take?', 'faq'],
    ['do you accept paypal', 'faq'],
    ['can I talk to a human', 'handoff'],
    ['I want to speak with a manager', 'handoff'],
    ['hi there', 'greeting'],
    ['thanks!', 'greeting'],
    ['what can you do?', 'greeting'],
    ['can you recommend something for my dad', 'recommendation'],
    ["what's popular right now", 'recommendation'],
    ['red running shoes under $50', 'product_search', true],
    ['do you have wireless headphones', 'product_search'],
    ['show me cheaper ones', 'product_search'],
    ['add the second one to my cart', 'product_search'],
    ['what is the meaning of life', 'unknown'],
    ['asdfgh', 'unknown'],
  ];
  it.each(cases)('%s → %s', (text, intent, catalogSignal = false) => {
    expect(classify(text, { catalogSignal }).intent).toBe(intent);
  });

  it('reads yes and no only while an action waits for an answer', () => {
    expect(classify('yes', { catalogSignal: false, awaitingAnswer: true })).toMatchObject({ answer: 'yes' });
    expect(classify('no, keep it', { catalogSignal: false, awaitingAnswer: true })).toMatchObject({ answer: 'no' });
    expect(classify('yes', { catalogSignal: false }).answer).toBeUndefined();
  });

  it('finds ordinals, cart requests and follow-ups', () => {
    expect(classify('the second one, add it to my cart', { catalogSignal: false })).toMatchObject({
      ordinal: 2,
      addToCart: true,
    });
    expect(classify('the last one', { catalogSignal: false }).ordinal).toBe(-1);
    expect(classify('in blue?', { catalogSignal: true }).intent).toBe('product_search');
    expect(classify('anything cheaper?', { catalogSignal: false }).followUp).toBe('cheaper');
  });
});

describe('findOrderRef', () => {
  it('takes a full id or a hex prefix of at least six with a digit', () => {
    expect(findOrderRef('order 3F2A9C1D-0000-4000-8000-000000000001 please')).toBe(
      '3f2a9c1d-0000-4000-8000-000000000001',
    );
    expect(findOrderRef('did order 3F2A9C… ship?')).toBe('3f2a9c');
    expect(findOrderRef('my order #ab12cd')).toBe('ab12cd');
    expect(findOrderRef('my order deadbeef')).toBeUndefined();
    expect(findOrderRef('where is my order')).toBeUndefined();
  });
});
