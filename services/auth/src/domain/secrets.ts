// Refresh and reset tokens: random secrets handed to the user once, kept only as their hash.
import { createHash, randomBytes } from 'node:crypto';

/** 256 random bits, URL-safe: what the user gets. */
export function newSecret(): string {
  return randomBytes(32).toString('base64url');
}

/** What the database keeps of a secret: a leaked table gives no usable token. */
export function secretHash(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}
