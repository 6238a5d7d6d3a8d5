// argon2id hashing on the libuv thread pool (never on the event loop).
import { type Algorithm, hash, verify } from '@node-rs/argon2';

// Algorithm.Argon2id (a const enum, which isolated modules cannot import by name)
const ARGON2ID = 2 as Algorithm;

export interface PasswordHasher {
  hash(password: string): Promise<string>;
  verify(hash: string, password: string): Promise<boolean>;
  /** Spends the same time as a real verify, so unknown emails are not revealed by timing. */
  verifyNobody(password: string): Promise<false>;
}

export function createPasswordHasher(opts: { memoryKiB: number; timeCost: number }): PasswordHasher {
  const params = { algorithm: ARGON2ID, memoryCost: opts.memoryKiB, timeCost: opts.timeCost, parallelism: 1 };
  let dummy: Promise<string> | undefined;
  return {
    hash: (password) => hash(password, params),
    async verify(stored, password) {
      try {
        return await verify(stored, password);
      } catch {
        return false;
      }
    },
    async verifyNobody(password) {
      dummy ??= hash('not-a-real-password-for-timing', params);
      await verify(await dummy, password).catch(() => false);
      return false;
    },
  };
}
