// Payment routes: the buyer's (or an admin's) payment records, and provider webhooks checked by signature.
import { type App, errorResponses, type Guards, Invalid, NotFound, Page, principalOf } from '@microbazaar/kit';
import { InvalidSignature, type PaymentProvider } from '../adapters/provider.js';
import type { Payments } from '../usecases/payments.js';
import { Payment, PaymentListQuery, WebhookAnswer, WebhookParams } from './schemas.js';

export function paymentRoutes(app: App, deps: { payments: Payments; guards: Guards; provider: PaymentProvider }) {
  const { payments, guards, provider } = deps;

  app.get(
    '/api/payments',
    {
      preHandler: guards.authenticated,
      schema: {
        tags: ['payments'],
        security: [{ bearerAuth: [] }],
        summary: "An order's payment (its buyer or an admin), or your payments newest first",
        querystring: PaymentListQuery,
        response: { 200: Page(Payment), ...errorResponses(400, 401, 404, 503) },
      },
    },
    async (req) => payments.list(principalOf(req), req.query),
  );

  // the signature covers the exact bytes: this scope keeps bodies raw
  app.register(async (scope: App) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
    scope.post(
      '/api/payments/webhooks/:provider',
      {
        schema: {
          tags: ['payments'],
          summary: 'Provider webhooks (Stripe: payment_intent.*, charge.refunded); the signature is checked',
          params: WebhookParams,
          response: { 200: WebhookAnswer, ...errorResponses(400, 404, 503) },
        },
      },
      async (req) => {
        if (req.params.provider !== provider.name || !provider.readWebhook) {
          throw new NotFound(`No webhook for provider ${req.params.provider}`, 'UNKNOWN_PROVIDER');
        }
        const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
        let news: ReturnType<NonNullable<PaymentProvider['readWebhook']>>;
        try {
          news = provider.readWebhook(raw, req.headers);
        } catch (err) {
          if (err instanceof InvalidSignature) throw new Invalid(err.message, undefined, 'INVALID_SIGNATURE');
          throw err;
        }
        return { received: true, result: await payments.applyWebhook(news) };
      },
    );
  });
}
