import type { Db, Sql } from '@microbazaar/kit';
import { describe, expect, it } from 'vitest';
import { emptyState } from '../domain/conversation.js';
import { conversationsStore } from './conversations.js';

describe('conversationsStore.saveTurn', () => {
  it('writes the turn in a transaction of its own whose commit does not wait for the disk', async () => {
    const seen: Array<{ in: 'tx' | 'pool'; text: string }> = [];
    const tx: Sql = {
      query: async (text) => {
        seen.push({ in: 'tx', text });
        return [];
      },
      exec: async () => {},
    };
    const db = {
      query: async (text: string) => {
        seen.push({ in: 'pool', text });
        return [];
      },
      transaction: async <T>(fn: (t: Sql) => Promise<T>) => fn(tx),
    } as unknown as Db;
    await conversationsStore(db).saveTurn(
      '00000000-0000-4000-8000-000000000001',
      null,
      emptyState(),
      [{ role: 'user', text: 'hi' }],
      60_000,
    );
    expect(seen.map((s) => s.in)).toEqual(['tx', 'tx']);
    expect(seen[0]?.text).toBe("SELECT set_config('synchronous_commit', 'off', true)");
    expect(seen[1]?.text).toMatch(/INSERT INTO conversations[\s\S]*INSERT INTO messages/);
  });
});
