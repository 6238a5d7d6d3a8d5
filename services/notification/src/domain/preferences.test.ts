import { describe, expect, it } from 'vitest';
import { applyChange, DEFAULT_PREFERENCES, normalisePhone } from './preferences.js';

describe('preferences', () => {
  it('normalises phone numbers to E.164 and refuses what is not one', () => {
    expect(normalisePhone('+1 (415) 555-0123')).toBe('+14155550123');
    expect(normalisePhone('+44 20 7946 0958')).toBe('+442079460958');
    for (const bad of ['4155550123', '+0123456789', '+1 415', 'call me', '+1234567890123456']) {
      expect(() => normalisePhone(bad), bad).toThrow(/E\.164|international/);
    }
  });

  it('applies a partial change and keeps SMS off without a number', () => {
    expect(applyChange(DEFAULT_PREFERENCES, { email: false })).toEqual({
      email: false,
      sms: false,
      inApp: true,
      phone: null,
      phoneVerified: false,
    });
    expect(() => applyChange(DEFAULT_PREFERENCES, { sms: true })).toThrow(/phone/);
    const withPhone = { ...applyChange(DEFAULT_PREFERENCES, { sms: true, phone: '+14155550123' }), updatedAt: null };
    expect(withPhone.sms).toBe(true);
    // removing the number while SMS is on is refused; turning both off is fine
    expect(() => applyChange(withPhone, { phone: null })).toThrow(/phone/);
    expect(applyChange(withPhone, { phone: null, sms: false })).toMatchObject({ sms: false, phone: null });
  });

  it('keeps a number verified only while it stays the same number', () => {
    const verified = { ...DEFAULT_PREFERENCES, sms: true, phone: '+14155550123', phoneVerified: true };
    expect(applyChange(verified, { email: false }).phoneVerified).toBe(true);
    expect(applyChange(verified, { phone: '+1 415 555 0123' }).phoneVerified).toBe(true);
    expect(applyChange(verified, { phone: '+14155550124' }).phoneVerified).toBe(false);
    expect(applyChange(verified, { phone: null, sms: false }).phoneVerified).toBe(false);
    // a number never becomes verified by a change
    expect(applyChange(DEFAULT_PREFERENCES, { phone: '+14155550123' }).phoneVerified).toBe(false);
  });
});
