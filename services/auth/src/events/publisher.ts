// What the auth service tells the rest of the platform. Written in the caller's transaction.
import type { Sql } from '@microbazaar/kit';

export interface UserRegistered {
  userId: string;
  email: string;
  name: string;
}

export interface PasswordResetRequested {
  userId: string;
  email: string;
  name: string;
  resetUrl: string;
  expiresAt: string;
}

export interface AuthEvents {
  userRegistered(tx: Sql, data: UserRegistered, correlationId: string): Promise<void>;
  passwordResetRequested(tx: Sql, data: PasswordResetRequested, correlationId: string): Promise<void>;
}

/** For deployments without an event bus (and unit tests): events are dropped. */
export const noEvents: AuthEvents = {
  async userRegistered() {},
  async passwordResetRequested() {},
};
