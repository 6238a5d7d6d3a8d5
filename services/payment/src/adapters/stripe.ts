// Stripe through the official client: PaymentIntents confirmed server-side with our idempotency keys,
// refunds, and webhooks verified by their signature. Retries are ours (same key), never the client's.
import Stripe from 'stripe';
import {
  type ChargeRequest,
  type ChargeResult,
  InvalidSignature,
  type PaymentProvider,
  type RefundRequest,
  type RefundResult,
  TransientProviderError,
  type WebhookNews,
} from './provider.js';

export interface StripeOptions {
  secretKey: string;
  /** whsec_...: required, webhooks settle the payments Stripe finishes later */
  webhookSecret: string;
  /** another API base (a loopback server in tests, stripe-mock); default api.stripe.com */
  apiUrl?: string | undefined;
  timeoutMs: number;
}

function declineReason(err: Stripe.errors.StripeError): string {
  return err.decline_code ?? err.code ?? err.type ?? 'card_declined';
}

/** Errors where the charge may or may not exist: retry with the same key. Anything else is an answer. */
function isTransient(err: unknown): boolean {
  if (!(err instanceof Stripe.errors.StripeError)) return true;
  return (
    err instanceof Stripe.errors.StripeConnectionError ||
    err instanceof Stripe.errors.StripeAPIError ||
    err instanceof Stripe.errors.StripeRateLimitError ||
    err instanceof Stripe.errors.StripeIdempotencyError ||
    err instanceof Stripe.errors.StripeAuthenticationError ||
    err instanceof Stripe.errors.StripePermissionError ||
    (err.statusCode ?? 0) >= 500 ||
    err.statusCode === 409
  );
}

function fromIntent(pi: Stripe.PaymentIntent): ChargeResult {
  switch (pi.status) {
    case 'succeeded':
      return { outcome: 'succeeded', reference: pi.id };
    case 'processing':
      return { outcome: 'pending', reference: pi.id };
    case 'requires_action':
      // no customer on the line to complete 3-D Secure in this flow
      return { outcome: 'declined', reason: 'authentication_required', reference: pi.id };
    default:
      return {
        outcome: 'declined',
        reason: pi.last_payment_error?.decline_code ?? pi.last_payment_error?.code ?? pi.status,
        reference: pi.id,
      };
  }
}

export function stripeProvider(opts: StripeOptions): PaymentProvider {
  const base = opts.apiUrl ? new URL(opts.apiUrl) : undefined;
  const stripe = new Stripe(opts.secretKey, {
    maxNetworkRetries: 0,
    timeout: opts.timeoutMs,
    ...(base
      ? {
          host: base.hostname,
          port: base.port || (base.protocol === 'https:' ? 443 : 80),
          protocol: base.protocol === 'https:' ? 'https' : 'http',
        }
      : {}),
  });

  const transient = (err: unknown): never => {
    throw new TransientProviderError(`stripe: ${(err as Error).message}`, { cause: err });
  };

  return {
    name: 'stripe',

    async charge(req: ChargeRequest): Promise<ChargeResult> {
      try {
        const pi = await stripe.paymentIntents.create(
          {
            amount: req.amount.amount,
            currency: req.amount.currency.toLowerCase(),
            payment_method: req.token,
            confirm: true,
            automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
            metadata: { orderId: req.orderId },
          },
          { idempotencyKey: req.idempotencyKey },
        );
        return fromIntent(pi);
      } catch (err) {
        if (err instanceof Stripe.errors.StripeCardError) {
          return { outcome: 'declined', reason: declineReason(err), reference: err.payment_intent?.id };
        }
        if (isTransient(err)) return transient(err);
        // a token Stripe does not know, a parameter it refuses: retrying cannot help
        const e = err as Stripe.errors.StripeError;
        return { outcome: 'declined', reason: e.code ?? 'invalid_request', reference: e.payment_intent?.id };
      }
    },

    async lookUpCharge(reference: string): Promise<ChargeResult> {
      try {
        return fromIntent(await stripe.paymentIntents.retrieve(reference));
      } catch (err) {
        if (isTransient(err)) return transient(err);
        const e = err as Stripe.errors.StripeError;
        // Stripe knows no such PaymentIntent: nothing was taken
        return { outcome: 'declined', reason: e.code ?? 'invalid_request', reference };
      }
    },

    async refund(req: RefundRequest): Promise<RefundResult> {
      try {
        const refund = await stripe.refunds.create(
          {
            payment_intent: req.chargeReference,
            amount: req.amount.amount,
            reason: 'requested_by_customer',
            metadata: { orderId: req.orderId, ...(req.reason ? { note: req.reason.slice(0, 500) } : {}) },
          },
          { idempotencyKey: req.idempotencyKey },
        );
        if (refund.status === 'succeeded') return { outcome: 'refunded', reference: refund.id };
        if (refund.status === 'pending' || refund.status === 'requires_action') {
          return { outcome: 'pending', reference: refund.id };
        }
        return { outcome: 'failed', reason: refund.failure_reason ?? refund.status ?? 'failed' };
      } catch (err) {
        if (isTransient(err)) return transient(err);
        const e = err as Stripe.errors.StripeError;
        // already refunded in full: the refund we wanted exists
        if (e.code === 'charge_already_refunded')
          return { outcome: 'refunded', reference: `already:${req.chargeReference}` };
        return { outcome: 'failed', reason: e.code ?? 'invalid_request' };
      }
    },

    readWebhook(rawBody: Buffer, headers: Record<string, string | string[] | undefined>): WebhookNews {
      const signature = headers['stripe-signature'];
      if (typeof signature !== 'string') throw new InvalidSignature('missing stripe-signature header');
      let event: Stripe.Event;
      try {
        event = stripe.webhooks.constructEvent(rawBody, signature, opts.webhookSecret);
      } catch {
        throw new InvalidSignature();
      }
      const object = event.data.object as unknown as Record<string, unknown>;
      switch (event.type) {
        case 'payment_intent.succeeded':
        case 'payment_intent.payment_failed': {
          const pi = object as unknown as Stripe.PaymentIntent;
          return {
            kind: 'charge',
            eventId: event.id,
            type: event.type,
            orderId: pi.metadata?.orderId,
            reference: pi.id,
            result:
              event.type === 'payment_intent.succeeded' ? { outcome: 'succeeded', reference: pi.id } : fromIntent(pi),
          };
        }
        case 'charge.refunded':
        case 'refund.updated':
        case 'refund.created': {
          const refunded = event.type === 'charge.refunded' ? object.refunded === true : object.status === 'succeeded';
          const paymentIntent = object.payment_intent;
          const intentId = typeof paymentIntent === 'string' ? paymentIntent : (paymentIntent as { id?: string })?.id;
          if (!refunded || !intentId) return { kind: 'ignored', eventId: event.id, type: event.type };
          return {
            kind: 'refund',
            eventId: event.id,
            type: event.type,
            chargeReference: intentId,
            reference: String(object.id),
          };
        }
        default:
          return { kind: 'ignored', eventId: event.id, type: event.type };
      }
    },
  };
}

/** A `stripe-signature` header for a payload, as Stripe signs webhooks (tests and local tools). */
export function signStripeWebhook(payload: string, secret: string): string {
  return Stripe.webhooks.generateTestHeaderString({ payload, secret });
}
