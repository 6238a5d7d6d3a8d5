import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor, idFromCursor, isUuid, keysetPage } from './schemas.js';

describe('keyset paging', () => {
  const rows = [{ id: 'a' }, { id: 'b' }, { id: 'c' }];

  it('keeps `limit` rows and a cursor after the last when the extra row was there', () => {
    const page = keysetPage(rows, 2, (r) => [r.id]);
    expect(page.items).toEqual([{ id: 'a' }, { id: 'b' }]);
    expect(decodeCursor(page.nextCursor as string, ['string'])).toEqual(['b']);
  });

  it('has no next cursor on the last page, nor on an empty one', () => {
    expect(keysetPage(rows, 3, (r) => [r.id])).toEqual({ items: rows, nextCursor: null });
    expect(keysetPage([], 3, (r: { id: string }) => [r.id])).toEqual({ items: [], nextCursor: null });
  });

  it('reads a one-id cursor back, and refuses one that does not name an id with a 400', () => {
    const id = randomUUID();
    expect(idFromCursor(undefined)).toBeUndefined();
    expect(idFromCursor(encodeCursor([id]))).toBe(id);
    expect(() => idFromCursor(encodeCursor(['not-an-id']))).toThrow(expect.objectContaining({ statusCode: 400 }));
    expect(() => idFromCursor('%%%')).toThrow(expect.objectContaining({ statusCode: 400 }));
  });
});

describe('isUuid', () => {
  it('takes any version in either case, nothing longer or shorter', () => {
    expect(isUuid(randomUUID())).toBe(true);
    expect(isUuid(randomUUID().toUpperCase())).toBe(true);
    expect(isUuid(`${randomUUID()}0`)).toBe(false);
    expect(isUuid('a-category-slug')).toBe(false);
  });
});
