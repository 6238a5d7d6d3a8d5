// What the assistant consumes on assistant_queue, through the inbox: product changes keep its read
// model current, confirmed orders teach it what sells and what is bought together.
import type { EventOf } from '@microbazaar/contracts';
import type { EventHandlers, HandlerOutcome, Sql } from '@microbazaar/kit';
import { announceChange, catalogStore } from '../store/catalog.js';
import { purchasesStore } from '../store/purchases.js';
import { reindexStore } from '../store/reindex.js';

/** Fields an event carries itself: a change to these needs no new read of the product (nor a new vector). */
const SNAPSHOT_FIELDS = new Set(['price', 'currency', 'stock', 'status']);

async function known(tx: Sql, id: string): Promise<boolean> {
  const rows = await tx.query('SELECT 1 FROM products WHERE id = $1', [id]);
  return rows.length > 0;
}

/**
 * A created or edited product is queued for the indexer (it reads the product, with its
 * description and attributes the event lacks, and embeds it); the event's own price, stock and
 * status apply at once. The NOTIFYs go out when the transaction commits.
 */
export function assistantHandlers(opts: { channel: string }): EventHandlers {
  const { channel } = opts;

  const productChanged = async (
    tx: Sql,
    event: EventOf<'product.created'> | EventOf<'product.updated'>,
  ): Promise<HandlerOutcome> => {
    const { productId, changed } = event.data;
    const { name, slug, category, price, stock, status } = event.data;
    const applied = await catalogStore(tx).applySnapshot(
      productId,
      { name, slug, category: category ?? null, price, stock, status },
      event.occurredAt,
    );
    if (applied) await announceChange(tx, channel, 'products');
    const snapshotOnly =
      event.type === 'product.updated' && changed?.length && changed.every((f) => SNAPSHOT_FIELDS.has(f));
    if (snapshotOnly && (applied || (await known(tx, productId)))) {
      return applied ? { status: 'handled' } : { status: 'skipped', reason: 'older than the read model' };
    }
    await reindexStore(tx).enqueue([productId]);
    await announceChange(tx, channel, 'reindex');
    return { status: 'handled', reason: 'queued for indexing' };
  };

  return {
    'product.created': productChanged,
    'product.updated': productChanged,
    'product.deleted': async (tx, event) => {
      const { productId, name, slug, price, stock } = event.data;
      const applied = await catalogStore(tx).applySnapshot(
        productId,
        { name, slug, price, stock, status: 'archived' },
        event.occurredAt,
      );
      if (!applied) return { status: 'skipped', reason: 'unknown or older than the read model' };
      await announceChange(tx, channel, 'products');
      return { status: 'handled' };
    },
    'order.confirmed': async (tx, event) => {
      await purchasesStore(tx).record(event.data.items);
      return { status: 'handled' };
    },
  };
}
