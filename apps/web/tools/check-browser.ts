// First step of `npm test`: the browser tests need Debian's Chromium; fail at once naming the install command.
import { assertChromium } from '../test/e2e/harness.js';

try {
  assertChromium();
} catch (err) {
  console.error((err as Error).message);
  process.exit(1);
}
