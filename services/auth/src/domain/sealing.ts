// How a private signing key is kept at rest: an AES-256-GCM envelope under a key derived from the
// configured secret, or as it is when no secret is set (development).
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

export interface Sealer {
  seal(plain: string): string;
  /** the stored text back; a sealed one without the secret throws */
  open(stored: string): string;
}

const PREFIX = 'enc:v1:';

export function sealer(secret: string | undefined): Sealer {
  const key = secret ? createHash('sha256').update(secret).digest() : undefined;
  return {
    seal(plain) {
      if (!key) return plain;
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const data = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
      return `${PREFIX}${Buffer.concat([iv, cipher.getAuthTag(), data]).toString('base64')}`;
    },
    open(stored) {
      if (!stored.startsWith(PREFIX)) return stored;
      if (!key) throw new Error('signing keys are encrypted but JWT_KEY_ENCRYPTION_SECRET is not set');
      const raw = Buffer.from(stored.slice(PREFIX.length), 'base64');
      const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12));
      decipher.setAuthTag(raw.subarray(12, 28));
      return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
    },
  };
}
