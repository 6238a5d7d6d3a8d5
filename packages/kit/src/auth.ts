// Access-token verification from the auth service's JWKS, plus role and ownership guards.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { createRemoteJWKSet, errors, type JWTVerifyGetKey, jwtVerify } from 'jose';
import { Forbidden, NotFound, Unauthorized, Unavailable } from './errors.js';
import { httpRevocationSource, RevocationList, revocationsUrlFor } from './revocations.js';

export const ROLES = ['customer', 'seller', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export interface Principal {
  userId: string;
  role: Role;
  email: string;
  /** seconds since epoch */
  exp: number;
  /** the user's token version when the token was issued (`ver`); older than the published one = revoked */
  tokenVersion?: number;
}

export interface TokenVerifier {
  verify(token: string): Promise<Principal>;
  /** Checks an already verified principal (a stream ticket's) against the revocation list again. */
  recheck?(principal: Principal): Promise<void>;
}

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
}

export const ACCESS_TOKEN_ALGORITHMS = ['EdDSA'];

export interface VerifierOptions {
  issuer: string;
  audience: string;
  /** verified tokens kept (until they expire) so a hot token costs one map lookup */
  cacheSize?: number;
  /** tokens revoked before they expire (disabled, demoted or reset users); every token is checked against it */
  revocations?: RevocationList | undefined;
}

export interface JwksVerifierOptions extends Omit<VerifierOptions, 'revocations'> {
  /**
   * The auth service's revocation feed; default the JWKS origin's TOKEN_REVOCATIONS_PATH. A verifier
   * that cannot refresh it for 30 s answers 503 rather than accept tokens that may be revoked.
   */
  revocationsUrl?: string | undefined;
}

/** Verifies against any jose key resolver; the auth service passes its own keys, others the JWKS. */
export function createTokenVerifier(getKey: JWTVerifyGetKey, opts: VerifierOptions): TokenVerifier {
  const cacheSize = opts.cacheSize ?? 10_000;
  const cache = new Map<string, Principal>();
  const revocations = opts.revocations;
  const recheck = async (principal: Principal) => {
    await revocations?.check(principal);
  };
  return {
    recheck,
    async verify(token) {
      const hit = cache.get(token);
      if (hit) {
        if (hit.exp * 1000 > Date.now()) {
          await recheck(hit);
          return hit;
        }
        cache.delete(token);
      }
      let payload: Record<string, unknown>;
      try {
        ({ payload } = await jwtVerify(token, getKey, {
          issuer: opts.issuer,
          audience: opts.audience,
          algorithms: ACCESS_TOKEN_ALGORITHMS,
          requiredClaims: ['sub', 'exp', 'iat'],
        }));
      } catch (err) {
        if (err instanceof Unavailable) throw err;
        if (err instanceof errors.JWKSTimeout || (err instanceof TypeError && /fetch/i.test(err.message))) {
          throw new Unavailable('Token keys are unavailable, try again shortly', 'AUTH_KEYS_UNAVAILABLE', err);
        }
        if (err instanceof errors.JWTExpired) throw new Unauthorized('Token expired', 'TOKEN_EXPIRED');
        throw new Unauthorized('Invalid token', 'INVALID_TOKEN');
      }
      const role = payload.role;
      if (typeof payload.sub !== 'string' || !ROLES.includes(role as Role) || typeof payload.exp !== 'number') {
        throw new Unauthorized('Invalid token', 'INVALID_TOKEN');
      }
      const principal: Principal = {
        userId: payload.sub,
        role: role as Role,
        email: typeof payload.email === 'string' ? payload.email : '',
        exp: payload.exp,
        tokenVersion: Number.isSafeInteger(payload.ver) ? (payload.ver as number) : 0,
      };
      if (cache.size >= cacheSize) {
        const oldest = cache.keys().next().value;
        if (oldest !== undefined) cache.delete(oldest);
      }
      cache.set(token, principal);
      await recheck(principal);
      return principal;
    },
  };
}

/** Fetches and caches the JWKS; jose refetches on an unknown `kid` (at most once a second). */
export function createJwksVerifier(jwksUrl: string, opts: JwksVerifierOptions): TokenVerifier {
  const jwks = createRemoteJWKSet(new URL(jwksUrl), {
    timeoutDuration: 3000,
    // short: the auth service signs with a new key as soon as it rotates, and jose counts the cooldown from the
    // last fetch, so a long one rejects fresh tokens as invalid for that long after a rotation
    cooldownDuration: 1000,
    cacheMaxAge: 10 * 60_000,
  });
  // only "no such key" says something about the token; a refused, failed, slow or malformed fetch is an outage
  const getKey: JWTVerifyGetKey = async (header, token) => {
    try {
      return await jwks(header, token);
    } catch (err) {
      if (
        err instanceof errors.JWKSNoMatchingKey ||
        err instanceof errors.JWKSMultipleMatchingKeys ||
        err instanceof errors.JOSENotSupported
      ) {
        throw err;
      }
      throw new Unavailable('Token keys are unavailable, try again shortly', 'AUTH_KEYS_UNAVAILABLE', err);
    }
  };
  const revocations = new RevocationList({
    source: httpRevocationSource(opts.revocationsUrl ?? revocationsUrlFor(jwksUrl)),
  });
  return createTokenVerifier(getKey, { ...opts, revocations });
}

export function bearerToken(req: FastifyRequest): string | undefined {
  const header = req.headers.authorization;
  if (!header) return undefined;
  const match = /^Bearer ([A-Za-z0-9._~+/=-]+)$/i.exec(header.trim());
  if (!match) throw new Unauthorized('Authorization header must be "Bearer <token>"', 'INVALID_TOKEN');
  return match[1];
}

/** preHandler factories: `{ preHandler: guard.authenticated }` or `guard.role('admin')`. */
export function createGuards(verifier: TokenVerifier) {
  const authenticate = async (req: FastifyRequest): Promise<Principal> => {
    const token = bearerToken(req);
    if (!token) throw new Unauthorized();
    const principal = await verifier.verify(token);
    req.principal = principal;
    return principal;
  };
  return {
    verifier,
    authenticate,
    /** Sets req.principal when a token is present; anonymous otherwise. */
    optional: async (req: FastifyRequest, _reply: FastifyReply) => {
      req.principal = null;
      if (req.headers.authorization) await authenticate(req);
    },
    authenticated: async (req: FastifyRequest, _reply: FastifyReply) => {
      await authenticate(req);
    },
    role:
      (...roles: Role[]) =>
      async (req: FastifyRequest, _reply: FastifyReply) => {
        const principal = await authenticate(req);
        if (!roles.includes(principal.role)) throw new Forbidden(`Requires role ${roles.join(' or ')}`);
      },
  };
}

export type Guards = ReturnType<typeof createGuards>;

export function principalOf(req: FastifyRequest): Principal {
  if (!req.principal) throw new Unauthorized();
  return req.principal;
}

/** Private resources (orders, carts, notices): someone else's is "not found", admins see all. */
export function assertOwnsPrivate(principal: Principal, ownerId: string, what = 'Resource'): void {
  if (principal.role !== 'admin' && principal.userId !== ownerId) throw new NotFound(`${what} not found`);
}

/** Public resources (products): someone else's is "forbidden" to change, admins may. */
export function assertMayChange(principal: Principal, ownerId: string): void {
  if (principal.role !== 'admin' && principal.userId !== ownerId) throw new Forbidden('You do not own this resource');
}
