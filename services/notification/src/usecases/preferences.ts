// A user's notification preferences, and proving the phone number SMS go to with a one-time code.
import { randomUUID } from 'node:crypto';
import { Conflict, type Db, Invalid, TooMany } from '@microbazaar/kit';
import { CODE_TTL_MINUTES, codeHash, codeText, MAX_CODE_ATTEMPTS, newCode, sameHash } from '../domain/phoneCode.js';
import { applyChange, type Preferences, type PreferencesChange } from '../domain/preferences.js';
import { deliveryStore } from '../store/deliveries.js';
import { phoneVerificationStore } from '../store/phoneVerifications.js';
import { preferenceStore } from '../store/preferences.js';
import { PHONE_VERIFICATION, smsStore } from '../store/sms.js';

export interface SmsLimits {
  /** SMS a user may be sent per 24 hours, codes included */
  perUserPerDay: number;
  /** verification codes one number may be sent per 24 hours, whoever asks */
  codesPerNumberPerDay: number;
}

export interface PreferencesDeps {
  db: Db;
  limits: SmsLimits;
  /** after a code was queued: the dispatcher sends it now */
  onQueued(): void;
}

const secondsUntil = (at: Date | null) => (at ? Math.max(1, (new Date(at).getTime() - Date.now()) / 1000) : 60);

export function createPreferences({ db, limits, onQueued }: PreferencesDeps) {
  return {
    /** The user's preferences, or the defaults (email and in-app on, SMS off). */
    get: (userId: string): Promise<Preferences> => preferenceStore(db).get(userId),

    /** Fields left out keep their value; concurrent changes apply one after the other. */
    change: (userId: string, change: PreferencesChange): Promise<Preferences> =>
      db.transaction(async (tx) => {
        const store = preferenceStore(tx);
        return store.put(userId, applyChange(await store.getForUpdate(userId), change));
      }),

    /** Queues an SMS with a one-time code to the number in the preferences, within the daily limits. */
    async sendPhoneCode(userId: string, correlationId: string): Promise<{ phone: string; expiresAt: string }> {
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
          correlationId,
        });
        return { phone: prefs.phone, expiresAt: expiresAt.toISOString() };
      });
      onQueued();
      return sent;
    },

    /** The number is verified with the code it was sent (a few wrong tries void the code). */
    async verifyPhone(userId: string, code: string): Promise<Preferences> {
      const outcome = await db.transaction(async (tx) => {
        const pending = phoneVerificationStore(tx);
        const v = await pending.getForUpdate(userId);
        if (!v || new Date(v.expiresAt).getTime() <= Date.now() || v.attempts >= MAX_CODE_ATTEMPTS) {
          return 'none' as const;
        }
        if (!sameHash(v.codeHash, codeHash(userId, v.phone, code))) {
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
  };
}

export type PreferencesUseCase = ReturnType<typeof createPreferences>;
