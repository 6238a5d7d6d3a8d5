// The key ring that signs access tokens: Ed25519 keys kept in the database (sealed at rest), rotated on age,
// published as a JWKS, and reloaded by every instance (the key-rotation worker in app.ts).
import { randomBytes } from 'node:crypto';
import type { Db } from '@microbazaar/kit';
import { ACCESS_TOKEN_ALGORITHMS } from '@microbazaar/kit';
import {
  createLocalJWKSet,
  exportJWK,
  generateKeyPair,
  importJWK,
  type JSONWebKeySet,
  type JWK,
  type JWTVerifyGetKey,
  errors as joseErrors,
  SignJWT,
} from 'jose';
import { type Sealer, sealer } from '../domain/sealing.js';
import { signingKeyStore } from '../store/signingKeys.js';

const ALG = ACCESS_TOKEN_ALGORITHMS[0] ?? 'EdDSA';

/** How often every instance reloads the ring (and rotates when due): a key another instance made is used within it. */
export const KEY_REFRESH_MS = 60_000;
/** An unknown kid reloads the ring at most this often, so forged kids cannot hammer the database. */
const UNKNOWN_KID_RELOAD_MS = 5_000;

interface ActiveKey {
  kid: string;
  key: Awaited<ReturnType<typeof importJWK>>;
}

export interface KeyRingOptions {
  accessTokenTtlSeconds: number;
  rotationDays: number;
  encryptionSecret?: string | undefined;
  issuer: string;
  audience: string;
}

export class KeyRing {
  private active: ActiveKey | undefined;
  private jwks: JSONWebKeySet = { keys: [] };
  private localSet: JWTVerifyGetKey = createLocalJWKSet({ keys: [] });
  private readonly sealing: Sealer;
  private reloadedForKidAt = 0;
  private reloading: Promise<void> | undefined;

  constructor(
    private readonly db: Db,
    private readonly opts: KeyRingOptions,
  ) {
    this.sealing = sealer(opts.encryptionSecret);
  }

  /** Creates the first key, or a new one when the newest is older than the rotation age; then loads. */
  async ensure(): Promise<void> {
    await this.db.transaction(async (tx) => {
      const store = signingKeyStore(tx);
      await store.lockForRotation();
      const newest = (await store.verifying(0))[0];
      const maxAgeMs = this.opts.rotationDays * 86_400_000;
      if (!newest || Date.now() - newest.createdAt.getTime() > maxAgeMs) {
        const { publicKey, privateKey } = await generateKeyPair(ALG, { crv: 'Ed25519', extractable: true });
        const kid = randomBytes(12).toString('base64url');
        const publicJwk: JWK = { ...(await exportJWK(publicKey)), kid, alg: ALG, use: 'sig' };
        const privateJwk = JSON.stringify({ ...(await exportJWK(privateKey)), kid, alg: ALG });
        await store.insert({ kid, alg: ALG, publicJwk, privateJwk: this.sealing.seal(privateJwk) });
        await store.retireAllExcept(kid);
      }
    });
    await this.load();
  }

  /** Reloads keys written by other instances (called periodically). */
  async load(): Promise<void> {
    // retired keys stay published while tokens they signed can still be alive: another instance may
    // sign with a key for up to KEY_REFRESH_MS after it was retired, and its tokens live a TTL more
    const rows = await signingKeyStore(this.db).verifying(
      this.opts.accessTokenTtlSeconds + (2 * KEY_REFRESH_MS) / 1000,
    );
    const newest = rows.find((r) => r.retiredAt === null) ?? rows[0];
    if (!newest) throw new Error('no signing key: ensure() was not run');
    if (this.active?.kid !== newest.kid) {
      const jwk = JSON.parse(this.sealing.open(newest.privateJwk)) as JWK;
      this.active = { kid: newest.kid, key: await importJWK(jwk, ALG) };
    }
    this.jwks = { keys: rows.map((r) => r.publicJwk) };
    this.localSet = createLocalJWKSet(this.jwks);
  }

  publicJwks(): JSONWebKeySet {
    return this.jwks;
  }

  /**
   * Key resolver for verifying our own tokens without an HTTP round trip. A kid this instance does not
   * know yet (another instance just rotated) reloads the ring once, instead of refusing the token.
   */
  readonly getKey: JWTVerifyGetKey = async (header, token) => {
    try {
      return await this.localSet(header, token);
    } catch (err) {
      if (
        !(err instanceof joseErrors.JWKSNoMatchingKey) ||
        Date.now() - this.reloadedForKidAt < UNKNOWN_KID_RELOAD_MS
      ) {
        throw err;
      }
      this.reloadedForKidAt = Date.now();
      this.reloading ??= this.load().finally(() => {
        this.reloading = undefined;
      });
      await this.reloading;
      return this.localSet(header, token);
    }
  };

  async sign(claims: { sub: string; role: string; email: string; ver?: number }): Promise<string> {
    if (!this.active) throw new Error('key ring not loaded');
    return new SignJWT({ role: claims.role, email: claims.email, ver: claims.ver ?? 0 })
      .setProtectedHeader({ alg: ALG, kid: this.active.kid, typ: 'JWT' })
      .setSubject(claims.sub)
      .setIssuer(this.opts.issuer)
      .setAudience(this.opts.audience)
      .setIssuedAt()
      .setJti(randomBytes(9).toString('base64url'))
      .setExpirationTime(`${this.opts.accessTokenTtlSeconds}s`)
      .sign(this.active.key);
  }
}
