// Proving a phone number: a one-time code by SMS to the number in the preferences, then the code back.
import { randomUUID } from 'node:crypto';
import { type App, Conflict, type Db, errorResponses, Invalid, principalOf, TooMany } from '@microbazaar/kit';
import { CODE_TTL_MINUTES, codeHash, codeText, MAX_CODE_ATTEMPTS, newCode, sameHash } from '../domain/phoneCode.js';
import { deliveryStore } from '../store/deliveries.js';
import { phoneVerificationStore } from '../store/phoneVerifications.js';
import { preferenceStore } from '../store/preferences.js';
import { PHONE_VERIFICATION, smsStore } from '../store/sms.js';
import type { Access } from './access.js';
import { PhoneCodeSent, PhoneVerifyBody, Preferences } from './schemas.js';

export interface SmsLimits {
  /** SMS a user may be sent per 24 hours, codes included */
  perUserPerDay: number;
  /** verification codes one number may be sent per 24 hours, whoever asks */
  codesPerNumberPerDay: number;
}

const secondsUntil = (at: Date | null) => (at ? Math.max(1, (new Date(at).getTime() - Date.now()) / 1000) : 60);

export function phoneRoutes(app: App, deps: { db: Db; access: Access; limits: SmsLimits; onQueued: () => void }) {
  const { db, access, limits } = deps;
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
    async (req, reply) => {
      const userId = principalOf(req).userId;
      const sent = await db.transaction(async (tx) => {
        const prefs = await preferenceStore(tx).getForUpdate(userId);
        if (!prefs.phone) throw new Invalid('Set a phone number in the preferences first', undefined, 'NO_PHONE');
        if (prefs.phoneVerified) throw new Conflict('This phone number is already verified', 'PHONE_ALREADY_VERIFIED');
        const sms = smsStore(tx);
        const mine = await sms.sentToUser(userId);
        if (mine.count >= limits.perUserPerDay) {
          throw new TooMany(secondsUntil(mine.freesAt), 'Too many text messages today, try again later', 'SMS_LIMIT');
        }
        const theirs = await sms.codesToNumber(prefs.phone);
        if (theirs.count >= limits.codesPerNumberPerDay) {
          throw new TooMany(secondsUntil(theirs.freesAt), 'Too many codes for this number today', 'SMS_LIMIT');
        }
        const code = newCode();
        const expiresAt = new Date(Date.now() + CODE_TTL_MINUTES * 60_000);
        await phoneVerificationStore(tx).put(userId, {
          phone: prefs.phone,
          codeHash: codeHash(userId, prefs.phone, code),
          expiresAt,
        });
        await deliveryStore(tx).insert({
          eventId: randomUUID(),
          eventType: PHONE_VERIFICATION,
          userId,
          channel: 'sms',
          recipient: prefs.phone,
          subject: null,
          text: codeText(code),
          html: null,
          // the code is wiped from the row once sent; it is not worth sending after it expired
          sensitive: true,
          expiresAt,
          correlationId: req.id,
        });
        return { phone: prefs.phone, expiresAt: expiresAt.toISOString() };
      });
      deps.onQueued();
      return reply.status(202).send(sent);
    },
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
    async (req) => {
      const userId = principalOf(req).userId;
      const outcome = await db.transaction(async (tx) => {
        const pending = phoneVerificationStore(tx);
        const v = await pending.getForUpdate(userId);
        if (!v || new Date(v.expiresAt).getTime() <= Date.now() || v.attempts >= MAX_CODE_ATTEMPTS) {
          return 'none' as const;
        }
        if (!sameHash(v.codeHash, codeHash(userId, v.phone, req.body.code))) {
          await pending.countFailure(userId);
          return 'wrong' as const;
        }
        await pending.remove(userId);
        // the number may have changed since the code was sent: then nothing is verified
        if (!(await preferenceStore(tx).markPhoneVerified(userId, v.phone))) return 'none' as const;
        return 'verified' as const;
      });
      if (outcome === 'none') {
        throw new Invalid(
          'No code is pending for this number (or it expired): ask for a new one',
          undefined,
          'INVALID_CODE',
        );
      }
      if (outcome === 'wrong') throw new Invalid('The code is not right', undefined, 'INVALID_CODE');
      return preferenceStore(db).get(userId);
    },
  );
}
