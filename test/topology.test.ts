// The deploy-time topology (contracts' TOPOLOGY, declared by `npm run events -- topology declare`) is
// exactly what each consumer binds when it subscribes: a queue declared ahead with fewer bindings
// would drop events, one with more would fill with events nobody handles.

import { assistantHandlers } from '@microbazaar/assistant/events/handlers';
import { cartHandlers } from '@microbazaar/cart/events/handlers';
import { QUEUES, TOPOLOGY } from '@microbazaar/contracts';
import { BINDINGS as NOTIFICATION_BINDINGS } from '@microbazaar/notification/events/handlers';
import { orderSagaHandlers } from '@microbazaar/order/events/handlers';
import { paymentSagaHandlers } from '@microbazaar/payment/events/handlers';
import { inventoryHandlers } from '@microbazaar/product/events/handlers';
import { describe, expect, it } from 'vitest';

// the handler factories only close over their dependencies: none is used to list the event types
const unused = {} as never;

const subscribed: Record<keyof typeof TOPOLOGY, readonly string[]> = {
  [QUEUES.inventory]: Object.keys(inventoryHandlers(unused)),
  [QUEUES.notifications]: NOTIFICATION_BINDINGS,
  [QUEUES.orders]: Object.keys(orderSagaHandlers(unused)),
  [QUEUES.payments]: Object.keys(paymentSagaHandlers(unused)),
  [QUEUES.cart]: Object.keys(cartHandlers(unused)),
  [QUEUES.assistant]: Object.keys(assistantHandlers({ channel: 'unused' })),
};

describe('broker topology', () => {
  it.each(Object.keys(TOPOLOGY) as Array<keyof typeof TOPOLOGY>)('%s binds what its consumer handles', (queue) => {
    expect([...TOPOLOGY[queue]].sort()).toEqual([...subscribed[queue]].sort());
  });
});
