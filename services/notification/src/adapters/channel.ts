// What email and SMS implement: one message to one address, retried. In-app notices are stored and streamed instead.

/** A rendered message for one recipient. */
export interface OutgoingMessage {
  /** delivery id: the same on every attempt, so receivers can tell a retry from a new message */
  id: string;
  to: string;
  subject?: string | null;
  text: string;
  html?: string | null;
  correlationId?: string | null;
}

export interface Receipt {
  /** the provider's id for the message (SMTP message id, Twilio SID...) */
  providerId?: string | undefined;
}

export interface Channel<M = OutgoingMessage> {
  readonly name: string;
  /** Sends one message; throws on failure (PermanentSendError when retrying cannot help). */
  send(message: M): Promise<Receipt>;
  close(): Promise<void>;
}

/** The receiver refused the message for good (unknown mailbox, invalid number): no retry. */
export class PermanentSendError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PermanentSendError';
  }
}
