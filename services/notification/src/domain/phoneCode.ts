// One-time codes that prove a phone number belongs to the user before any SMS goes to it.
import { createHash, randomInt, timingSafeEqual } from 'node:crypto';

export const CODE_TTL_MINUTES = 10;
/** wrong codes before the pending one is void (a new code must be asked for) */
export const MAX_CODE_ATTEMPTS = 5;

export function newCode(): string {
  return randomInt(0, 1_000_000).toString().padStart(6, '0');
}

/** Bound to the user and the number, so a code sent for one number never verifies another. */
export function codeHash(userId: string, phone: string, code: string): string {
  return createHash('sha256').update(`${userId}\n${phone}\n${code}`).digest('hex');
}

export function sameHash(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && timingSafeEqual(x, y);
}

export function codeText(code: string): string {
  return `Your microBazaar code is ${code}. It expires in ${CODE_TTL_MINUTES} minutes. Nobody from the shop will ask you for it.`;
}
