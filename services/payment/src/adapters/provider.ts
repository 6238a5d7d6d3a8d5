// The port every payment provider adapter implements (sandbox, Stripe).
import type { Money } from '@microbazaar/contracts';

export interface ChargeRequest {
  /** the same key on every retry: the provider charges once per key */
  idempotencyKey: string;
  orderId: string;
  amount: Money;
  token: string;
}

export type ChargeResult =
  | { outcome: 'succeeded'; reference: string }
  | { outcome: 'declined'; reason: string; reference?: string | undefined }
  /** accepted, decided later (a webhook says how it ended) */
  | { outcome: 'pending'; reference: string };

export interface RefundRequest {
  idempotencyKey: string;
  orderId: string;
  /** the provider's reference of the charge */
  chargeReference: string;
  amount: Money;
  reason?: string | undefined;
}

export type RefundResult =
  | { outcome: 'refunded'; reference: string }
  | { outcome: 'pending'; reference: string }
  | { outcome: 'failed'; reason: string };

/** What a verified webhook tells us. */
export type WebhookNews =
  | {
      kind: 'charge';
      eventId: string;
      type: string;
      orderId?: string | undefined;
      reference: string;
      result: ChargeResult;
    }
  | { kind: 'refund'; eventId: string; type: string; chargeReference: string; reference: string }
  | { kind: 'ignored'; eventId: string; type: string };

/** The call may or may not have reached the provider: retry with the same idempotency key. */
export class TransientProviderError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TransientProviderError';
  }
}

/** The webhook's signature does not verify. */
export class InvalidSignature extends Error {
  constructor(message = 'webhook signature does not verify') {
    super(message);
    this.name = 'InvalidSignature';
  }
}

export interface PaymentProvider {
  readonly name: 'sandbox' | 'stripe';
  charge(req: ChargeRequest, signal: AbortSignal): Promise<ChargeResult>;
  refund(req: RefundRequest, signal: AbortSignal): Promise<RefundResult>;
  /**
   * Where a charge the provider answered `pending` stands now (by its reference), for when no webhook came;
   * absent when the provider never answers `pending`.
   */
  lookUpCharge?(reference: string, signal: AbortSignal): Promise<ChargeResult>;
  /** Verifies and reads a webhook delivery; absent when the provider sends none (the sandbox). */
  readWebhook?(rawBody: Buffer, headers: Record<string, string | string[] | undefined>): WebhookNews;
}
