// What the auth service tells the rest of the platform, written into the outbox of the caller's
// transaction (the user row and its event commit together); the kit's relay publishes them.
import { enqueueEvent, type Sql } from '@microbazaar/kit';

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

/** Events through the transactional outbox on users_exchange: the default everywhere. */
export const outboxEvents: AuthEvents = {
  async userRegistered(tx, data, correlationId) {
    await enqueueEvent(tx, 'user.registered', data, { correlationId });
  },
  async passwordResetRequested(tx, data, correlationId) {
    await enqueueEvent(tx, 'user.password_reset_requested', data, { correlationId });
  },
};

/** For tests that look at the HTTP side only: events are dropped. */
export const noEvents: AuthEvents = {
  async userRegistered() {},
  async passwordResetRequested() {},
};
