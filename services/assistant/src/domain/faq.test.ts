import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { matchFaq, parseFaq, plainText } from './faq.js';

const shipped = parseFaq(readFileSync(new URL('../../faq.md', import.meta.url), 'utf8'));

describe('the FAQ', () => {
  it('cuts the shipped file into its topics', () => {
    expect(shipped.sections.map((s) => s.title)).toContain('Returns and refunds (return policy)');
    expect(shipped.sections.every((s) => s.body.length > 0)).toBe(true);
  });

  it.each([
    ['what is your return policy?', 'Returns and refunds (return policy)'],
    ['how long does shipping take', 'Shipping costs and delivery times'],
    ['do you ship to canada', 'Where we ship (international shipping)'],
    ['which payment methods do you take', 'Payment methods'],
    ['is there a warranty on headphones', 'Warranty'],
  ])('%s → %s', (question, title) => {
    expect(matchFaq(shipped, question)[0]?.section.title).toBe(title);
  });

  it('matches nothing for a question it has no words for', () => {
    expect(matchFaq(shipped, 'zebra quantum')).toEqual([]);
  });

  it('shows Markdown as plain text, cut at a sentence', () => {
    expect(plainText('See [the page](https://x) and **bold**\n- one\n- two')).toBe(
      'See the page and bold\n• one\n• two',
    );
    expect(plainText(`${'A sentence here. '.repeat(100)}`, 100).endsWith('…')).toBe(true);
  });
});
