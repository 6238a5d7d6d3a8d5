// Guest cart ids the cart service issues itself: UUID-shaped, half random and half a keyed MAC of that half,
// so an id a client made up (or took from a list) is told apart from one this shop handed out.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { isUuid } from '@microbazaar/kit';

export interface GuestIds {
  /** A new id: 60 random bits (version 4 nibble) and 62 bits of HMAC-SHA256 over them (RFC 4122 variant). */
  issue(): string;
  /** Whether this shop issued the id (with the secret in use). */
  issued(id: string): boolean;
}

function format(bytes: Buffer): string {
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export function guestIds(secret: string): GuestIds {
  const tag = (random: Buffer): Buffer => {
    const mac = createHmac('sha256', secret).update(random).digest().subarray(0, 8);
    mac[0] = (mac[0]! & 0x3f) | 0x80;
    return mac;
  };
  return {
    issue() {
      const random = randomBytes(8);
      random[6] = (random[6]! & 0x0f) | 0x40;
      return format(Buffer.concat([random, tag(random)]));
    },
    issued(id) {
      if (!isUuid(id)) return false;
      const bytes = Buffer.from(id.replace(/-/g, ''), 'hex');
      return timingSafeEqual(bytes.subarray(8), tag(bytes.subarray(0, 8)));
    },
  };
}
