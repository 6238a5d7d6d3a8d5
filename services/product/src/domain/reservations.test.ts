import { describe, expect, it } from 'vitest';
import {
  aggregateLines,
  canTransition,
  planReservation,
  ReservationTransitionError,
  transition,
} from './reservations.js';

const A = '00000000-0000-4000-8000-00000000000a';
const B = '00000000-0000-4000-8000-00000000000b';

describe('aggregateLines', () => {
  it('adds up repeated products and sorts by id (the lock order)', () => {
    expect(
      aggregateLines([
        { productId: B, quantity: 1 },
        { productId: A, quantity: 2 },
        { productId: B.toUpperCase(), quantity: 3 },
      ]),
    ).toEqual([
      { productId: A, quantity: 2 },
      { productId: B, quantity: 4 },
    ]);
  });
});

describe('planReservation', () => {
  const level = (productId: string, onHand: number, reserved: number, forSale = true) => ({
    productId,
    onHand,
    reserved,
    forSale,
  });

  it('fits when every line has enough available', () => {
    const lines = [{ productId: A, quantity: 3 }];
    expect(planReservation(lines, [level(A, 5, 2)])).toEqual({ ok: true, lines });
  });

  it('lists every short line: too few, unknown, archived', () => {
    const C = '00000000-0000-4000-8000-00000000000c';
    const plan = planReservation(
      [
        { productId: A, quantity: 4 },
        { productId: B, quantity: 1 },
        { productId: C, quantity: 1 },
      ],
      [level(A, 5, 2), level(C, 9, 0, false)],
    );
    expect(plan).toEqual({
      ok: false,
      short: [
        { productId: A, requested: 4, available: 3 },
        { productId: B, requested: 1, available: 0 },
        { productId: C, requested: 1, available: 0 },
      ],
    });
  });
});

describe('reservation state machine', () => {
  it('moves reserved to committed, released or expired', () => {
    expect(transition('reserved', 'commit')).toBe('committed');
    expect(transition('reserved', 'release')).toBe('released');
    expect(transition('reserved', 'expire')).toBe('expired');
    expect(transition('committed', 'restock')).toBe('restocked');
    expect(transition('expired', 'recommit')).toBe('committed');
  });

  it('refuses every other move', () => {
    expect(() => transition('committed', 'release')).toThrow(ReservationTransitionError);
    expect(() => transition('rejected', 'commit')).toThrow('a rejected reservation cannot commit');
    for (const end of ['released', 'rejected', 'cancelled', 'restocked'] as const) {
      for (const action of ['commit', 'release', 'expire', 'restock', 'recommit'] as const) {
        expect(canTransition(end, action)).toBe(false);
      }
    }
  });
});
