// The auth use cases in one object for the routes and the runner: signing in and sessions (sessions.ts),
// password reset (password-reset.ts), and users as admins manage them (users.ts).
import type { Cache, Db, Logger } from '@microbazaar/kit';
import type { KeyRing } from '../adapters/keys.js';
import type { PasswordHasher } from '../adapters/passwords.js';
import type { AuthConfig } from '../config.js';
import { createPasswordReset } from './password-reset.js';
import { createSessions } from './sessions.js';
import { createUsers } from './users.js';

export interface AccountsDeps {
  db: Db;
  cache: Cache;
  keys: KeyRing;
  hasher: PasswordHasher;
  config: AuthConfig;
  logger?: Logger | undefined;
}

export function createAccounts({ db, cache, keys, hasher, config, logger }: AccountsDeps) {
  return {
    ...createSessions({ db, cache, keys, hasher, config }),
    ...createPasswordReset({ db, cache, hasher, config, logger }),
    ...createUsers({ db, hasher }),
  };
}

export type Accounts = ReturnType<typeof createAccounts>;
