// SQL for the signing keys behind the JWKS.
import type { Sql } from '@microbazaar/kit';
import type { JWK } from 'jose';

export interface SigningKeyRow {
  kid: string;
  alg: string;
  publicJwk: JWK;
  privateJwk: string;
  createdAt: Date;
  retiredAt: Date | null;
}

const COLUMNS = `kid, alg, public_jwk AS "publicJwk", private_jwk AS "privateJwk", created_at AS "createdAt", retired_at AS "retiredAt"`;

export function signingKeyStore(sql: Sql) {
  return {
    async lockForRotation(): Promise<void> {
      await sql.query('SELECT pg_advisory_xact_lock(hashtext($1))', ['auth:signing-keys']);
    },

    /** Keys that verify tokens: every unretired key plus those retired less than `graceSeconds` ago. */
    async verifying(graceSeconds: number): Promise<SigningKeyRow[]> {
      return sql.query<SigningKeyRow>(
        `SELECT ${COLUMNS} FROM signing_keys
         WHERE retired_at IS NULL OR retired_at > now() - make_interval(secs => $1)
         ORDER BY created_at DESC`,
        [graceSeconds],
      );
    },

    async insert(k: { kid: string; alg: string; publicJwk: JWK; privateJwk: string }): Promise<void> {
      await sql.query('INSERT INTO signing_keys (kid, alg, public_jwk, private_jwk) VALUES ($1, $2, $3, $4)', [
        k.kid,
        k.alg,
        k.publicJwk,
        k.privateJwk,
      ]);
    },

    async retireAllExcept(kid: string): Promise<void> {
      await sql.query('UPDATE signing_keys SET retired_at = now() WHERE kid <> $1 AND retired_at IS NULL', [kid]);
    },
  };
}
