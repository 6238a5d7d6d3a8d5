// A user's choice of channels. Transactional messages (password reset) ignore it by design.
import { Invalid } from '@microbazaar/kit';

export const CHANNELS = ['email', 'sms', 'inApp'] as const;
export type ChannelName = (typeof CHANNELS)[number];

export interface Preferences {
  email: boolean;
  sms: boolean;
  inApp: boolean;
  /** E.164, e.g. +14155550123; SMS needs it */
  phone: string | null;
  /** the owner proved the number with a one-time code: no SMS goes to a number before that */
  phoneVerified: boolean;
  /** null until the user changes something */
  updatedAt: string | null;
}

/** What a user who never opened the settings gets: email and in-app on, SMS off (no number yet). */
export const DEFAULT_PREFERENCES: Preferences = Object.freeze({
  email: true,
  sms: false,
  inApp: true,
  phone: null,
  phoneVerified: false,
  updatedAt: null,
});

const E164 = /^\+[1-9]\d{6,14}$/;

/** Strips the usual separators and checks the result is an international number. */
export function normalisePhone(raw: string): string {
  const phone = raw.replace(/[\s().-]/g, '');
  if (!E164.test(phone)) {
    throw new Invalid(
      'Invalid body/phone: must be an international number such as +14155550123',
      [{ path: 'body/phone', message: 'must be in E.164 form (+ and 7 to 15 digits)' }],
      'VALIDATION_FAILED',
    );
  }
  return phone;
}

export interface PreferencesChange {
  email?: boolean | undefined;
  sms?: boolean | undefined;
  inApp?: boolean | undefined;
  phone?: string | null | undefined;
}

/** The preferences after a change; SMS cannot be on without a number, and a new number is not verified. */
export function applyChange(current: Preferences, change: PreferencesChange): Omit<Preferences, 'updatedAt'> {
  const phone =
    change.phone === undefined ? current.phone : change.phone === null ? null : normalisePhone(change.phone);
  const next = {
    email: change.email ?? current.email,
    sms: change.sms ?? current.sms,
    inApp: change.inApp ?? current.inApp,
    phone,
    phoneVerified: phone !== null && phone === current.phone && current.phoneVerified,
  };
  if (next.sms && !next.phone) {
    throw new Invalid(
      'Invalid body/sms: text messages need a phone number',
      [{ path: 'body/phone', message: 'is required while sms is on' }],
      'VALIDATION_FAILED',
    );
  }
  return next;
}
