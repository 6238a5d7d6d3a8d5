// Rules about users: email normalisation, password policy, roles, and how a user is shown.
import { Invalid, type Role } from '@microbazaar/kit';

export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 128;
export const EMAIL_MAX = 254;

// Pragmatic shape check: one @, no spaces, a dot in the domain, no control characters, and none of the
// characters a mail header splits or groups addresses on (`,;<>` and friends), so an address is one recipient.
const EMAIL = /^[^\s@\p{Cc},;<>()[\]\\":]{1,64}@[^\s@\p{Cc},;<>()[\]\\":]+\.[^\s@\p{Cc},;<>()[\]\\":]{2,}$/u;

/** Trims and lower-cases, then validates; throws Invalid naming the field. */
export function normaliseEmail(raw: string): string {
  const email = raw.trim().toLowerCase();
  if (email.length > EMAIL_MAX || !EMAIL.test(email)) {
    throw new Invalid(
      'Invalid body/email: must be an email address',
      [{ path: 'body/email', message: 'must be an email address' }],
      'VALIDATION_FAILED',
    );
  }
  return email;
}

export function defaultName(email: string): string {
  return email.split('@')[0] ?? email;
}

export interface UserRecord {
  id: string;
  email: string;
  name: string;
  passwordHash: string;
  role: Role;
  disabledAt: Date | null;
  /** bumped when the user is disabled, demoted or promoted, or resets the password: older tokens are revoked */
  tokenVersion: number;
  createdAt: Date;
  updatedAt: Date;
}

export interface PublicUser {
  id: string;
  email: string;
  name: string;
  role: Role;
  disabled: boolean;
  createdAt: string;
}

/** The only shape of a user that leaves the service: never the hash. */
export function presentUser(user: UserRecord): PublicUser {
  return {
    id: user.id,
    email: user.email,
    name: user.name,
    role: user.role,
    disabled: user.disabledAt !== null,
    createdAt: user.createdAt.toISOString(),
  };
}

export interface AccessClaims {
  sub: string;
  role: Role;
  email: string;
  /** the user's token version: verifiers refuse a token older than the version the auth service publishes */
  ver: number;
}

export function accessClaims(user: UserRecord): AccessClaims {
  return { sub: user.id, role: user.role, email: user.email, ver: user.tokenVersion };
}
