// All orders, filtered by status, with ship, deliver and refund.
import { useState } from 'react';
import { useHead } from '../lib/hooks.js';
import { simpleHead } from '../lib/seo.js';
import type { OrderStatus } from '../lib/types.js';
import { OrdersTable, StatusFilter } from '../seller/SellerOrders.js';

const head = simpleHead('All orders');

export function AdminOrders() {
  useHead(head);
  const [status, setStatus] = useState<OrderStatus | ''>('');
  return (
    <>
      <h1>All orders</h1>
      <StatusFilter value={status} onChange={setStatus} />
      <OrdersTable query={{ status }} refund />
    </>
  );
}
