// Which channels a notice goes out on: the user's preferences applied to a plan, and what we know of their addresses.
import type { NoticePlan, Recipient } from './notices.js';
import type { ChannelName, Preferences } from './preferences.js';

export interface ChannelChoice {
  inApp: boolean;
  email: string | null;
  sms: string | null;
  /**
   * Channels the user wants that cannot be used because an address is missing: worth recording
   * (the inbox outcome). Channels switched off by preference are the expected case and are not.
   */
  unreachable: string[];
}

/** Applies the user's preferences (and what we know of their addresses) to a plan. */
export function chooseChannels(plan: NoticePlan, prefs: Preferences, recipient: Recipient | null): ChannelChoice {
  const unreachable: string[] = [];
  const allowed = (channel: ChannelName) => plan.transactional || prefs[channel];
  let email: string | null = null;
  if (plan.email && allowed('email')) {
    if (!recipient?.email) unreachable.push('email: no address known');
    else if (!isMailableAddress(recipient.email))
      unreachable.push('email: the address has characters mail headers split on');
    else email = recipient.email;
  }
  let sms: string | null = null;
  if (plan.sms && allowed('sms')) {
    if (!prefs.phone) unreachable.push('sms: no phone number');
    else if (!prefs.phoneVerified) unreachable.push('sms: the phone number is not verified');
    else sms = prefs.phone;
  }
  const inApp = plan.inApp !== undefined && allowed('inApp');
  return { inApp, email, sms, unreachable };
}

/** An address a mail header takes as one recipient: none of `,;<>` (nor quotes or brackets) can add another. */
export function isMailableAddress(address: string): boolean {
  return !/[,;<>"()[\]\\\s]/.test(address);
}
