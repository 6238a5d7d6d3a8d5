// What the auth service tells the rest of the platform: user.registered and user.password_reset_requested,
// written to the outbox in the transaction that makes the change (the user row and its event commit
// together); the relay publishes them on users_exchange. The request id is their correlation id.
import type { EventData, EventOf } from '@microbazaar/contracts';
import { newEvent } from '@microbazaar/kit';

/** A customer account exists: notification sends the welcome mail. */
export function userRegistered(data: EventData<'user.registered'>, correlationId: string): EventOf<'user.registered'> {
  return newEvent('user.registered', data, { correlationId });
}

/** Someone asked for a reset link: notification mails it (the link is scrubbed from the stored copy). */
export function passwordResetRequested(
  data: EventData<'user.password_reset_requested'>,
  correlationId: string,
): EventOf<'user.password_reset_requested'> {
  return newEvent('user.password_reset_requested', data, { correlationId });
}
