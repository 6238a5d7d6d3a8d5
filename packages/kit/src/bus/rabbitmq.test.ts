import { TEST_RABBITMQ_URL } from '../testing.js';
import { describeBusConformance } from './conformance.js';
import { RabbitBus } from './rabbitmq.js';
import { testPrefix } from './testkit.js';

describeBusConformance('rabbitmq', {
  open: async () => {
    const bus = new RabbitBus({ url: TEST_RABBITMQ_URL, prefix: testPrefix('rmq'), name: 'test-conformance' });
    await bus.ready();
    return bus;
  },
  dispose: async (bus) => {
    await (bus as RabbitBus).deleteTopology();
    await bus.close();
  },
});
