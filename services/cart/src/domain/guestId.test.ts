import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { guestIds } from './guestId.js';

describe('guest cart ids', () => {
  const ids = guestIds('a secret of the shop, long enough');

  it('are UUIDs (version 4, RFC 4122 variant), all different, and recognised', () => {
    const issued = Array.from({ length: 1000 }, () => ids.issue());
    expect(new Set(issued).size).toBe(1000);
    for (const id of issued) {
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(ids.issued(id)).toBe(true);
      expect(ids.issued(id.toUpperCase())).toBe(true);
    }
  });

  it('refuse a client-made UUID, a changed id and one issued under another secret', () => {
    for (let i = 0; i < 100; i++) expect(ids.issued(randomUUID())).toBe(false);
    const id = ids.issue();
    const flipped = `${id.slice(0, -1)}${id.at(-1) === '0' ? '1' : '0'}`;
    expect(ids.issued(flipped)).toBe(false);
    expect(guestIds('another shop secret, long enough').issued(id)).toBe(false);
    expect(ids.issued('not-a-uuid')).toBe(false);
  });
});
