// `@microbazaar/kit/testing`: what the tests of every service use. testing/backends.ts (a database per
// file, Redis prefixes, eventually), testing/servers.ts (loopback stand-ins, the token issuer),
// testing/harness.ts (a service on its own database and bus, with the rest of the platform beside it).
export * from './testing/backends.js';
export * from './testing/harness.js';
export * from './testing/servers.js';
