import { describeBusConformance } from './conformance.js';
import { MemoryBus } from './memory.js';
import { testPrefix } from './testkit.js';

describeBusConformance('memory', {
  open: async () => new MemoryBus({ prefix: testPrefix('mem') }),
  dispose: (bus) => bus.close(),
});
