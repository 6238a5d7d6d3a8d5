// Proving a phone number: a one-time code by SMS to the number in the preferences, then the code back.
import { type App, errorResponses, principalOf } from '@microbazaar/kit';
import type { PreferencesUseCase } from '../usecases/preferences.js';
import type { Access } from './access.js';
import { PhoneCodeSent, PhoneVerifyBody, Preferences } from './schemas.js';

export function phoneRoutes(app: App, deps: { preferences: PreferencesUseCase; access: Access }) {
  const { preferences, access } = deps;
  const common = { tags: ['notifications'], security: [{ bearerAuth: [] }] };

  app.post(
    '/api/notifications/preferences/phone/code',
    {
      preHandler: access.user,
      schema: {
        ...common,
        summary: 'Text a one-time code to the phone number in my preferences (no other SMS goes to it before)',
        response: { 202: PhoneCodeSent, ...errorResponses(400, 401, 409, 429, 503) },
      },
    },
    async (req, reply) => reply.status(202).send(await preferences.sendPhoneCode(principalOf(req).userId, req.id)),
  );

  app.post(
    '/api/notifications/preferences/phone/verify',
    {
      preHandler: access.user,
      schema: {
        ...common,
        summary: 'Confirm my phone number with the code it was sent; SMS go to it from then on',
        body: PhoneVerifyBody,
        response: { 200: Preferences, ...errorResponses(400, 401, 503) },
      },
    },
    async (req) => preferences.verifyPhone(principalOf(req).userId, req.body.code),
  );
}
