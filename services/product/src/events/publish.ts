// What the product service tells the rest of the platform, written into the outbox of the caller's
// transaction (so the state change and its event commit together); the kit's relay publishes them.
import type { EventData } from '@microbazaar/contracts';
import { enqueueEvent, type NewEventOptions, type Sql } from '@microbazaar/kit';
import type { ProductSnapshot } from '../domain/products.js';

export type ProductDeleted = EventData<'product.deleted'>;
export type InventoryReserved = EventData<'inventory.reserved'>;
export type InventoryRejected = EventData<'inventory.rejected'>;
export type InventoryReleased = EventData<'inventory.released'>;

/** Correlation and causation default to the current request or handled event (kit event context). */
export type EventOptions = Pick<NewEventOptions, 'correlationId' | 'causationId'>;

export interface ProductEvents {
  productCreated(tx: Sql, data: ProductSnapshot, opts?: EventOptions): Promise<void>;
  productUpdated(tx: Sql, data: ProductSnapshot, opts?: EventOptions): Promise<void>;
  productDeleted(tx: Sql, data: ProductDeleted, opts?: EventOptions): Promise<void>;
  inventoryReserved(tx: Sql, data: InventoryReserved, opts?: EventOptions): Promise<void>;
  inventoryRejected(tx: Sql, data: InventoryRejected, opts?: EventOptions): Promise<void>;
  inventoryReleased(tx: Sql, data: InventoryReleased, opts?: EventOptions): Promise<void>;
}

/** Events through the transactional outbox (kit bus): the default everywhere. */
export const outboxEvents: ProductEvents = {
  async productCreated(tx, data, opts) {
    await enqueueEvent(tx, 'product.created', data, opts);
  },
  async productUpdated(tx, data, opts) {
    await enqueueEvent(tx, 'product.updated', data, opts);
  },
  async productDeleted(tx, data, opts) {
    await enqueueEvent(tx, 'product.deleted', data, opts);
  },
  async inventoryReserved(tx, data, opts) {
    await enqueueEvent(tx, 'inventory.reserved', data, opts);
  },
  async inventoryRejected(tx, data, opts) {
    await enqueueEvent(tx, 'inventory.rejected', data, opts);
  },
  async inventoryReleased(tx, data, opts) {
    await enqueueEvent(tx, 'inventory.released', data, opts);
  },
};
