// SMS through a provider: a Twilio-compatible Messages API, or a log file in embedded mode.
import { appendFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Logger } from '@microbazaar/kit';
import { type Channel, type OutgoingMessage, PermanentSendError, type Receipt } from './channel.js';

export interface SmsProvider {
  readonly name: string;
  send(sms: { id: string; to: string; body: string }): Promise<Receipt>;
}

export interface TwilioOptions {
  accountSid: string;
  authToken: string;
  from: string;
  /** https://api.twilio.com, or any service speaking the same API */
  apiUrl: string;
  timeoutMs?: number;
}

/** POST /2010-04-01/Accounts/{sid}/Messages.json with basic auth, as Twilio documents it. */
export function twilioProvider(opts: TwilioOptions): SmsProvider {
  const url = `${opts.apiUrl.replace(/\/+$/, '')}/2010-04-01/Accounts/${encodeURIComponent(opts.accountSid)}/Messages.json`;
  const authorization = `Basic ${Buffer.from(`${opts.accountSid}:${opts.authToken}`).toString('base64')}`;
  return {
    name: 'twilio',
    async send(sms) {
      const res = await fetch(url, {
        method: 'POST',
        headers: { authorization, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ To: sms.to, From: opts.from, Body: sms.body }),
        signal: AbortSignal.timeout(opts.timeoutMs ?? 10_000),
      });
      const text = await res.text();
      let body: { sid?: string; message?: string; code?: number } = {};
      try {
        body = JSON.parse(text);
      } catch {
        // not JSON: reported by status below
      }
      if (res.ok) return { providerId: body.sid };
      const why = `SMS provider answered ${res.status}${body.code ? ` (code ${body.code})` : ''}: ${body.message ?? text.slice(0, 200)}`;
      // 400/404: a bad number or message, the same again will not help; 401/403, 429 and 5xx may pass later
      if (res.status === 400 || res.status === 404 || res.status === 422) throw new PermanentSendError(why);
      throw new Error(why);
    },
  };
}

/** Embedded mode: one JSON line per message in a log file (and the service log). */
export function logProvider(file: string, logger: Logger): SmsProvider {
  let ready: Promise<unknown> | undefined;
  return {
    name: 'log',
    async send(sms) {
      ready ??= mkdir(dirname(file), { recursive: true });
      await ready;
      await appendFile(file, `${JSON.stringify({ at: new Date().toISOString(), ...sms })}\n`);
      logger.info({ to: sms.to, smsId: sms.id }, 'sms written to the log');
      return { providerId: `log-${sms.id}` };
    },
  };
}

export function createSmsChannel(provider: SmsProvider): Channel {
  return {
    name: 'sms',
    send: (message: OutgoingMessage) => provider.send({ id: message.id, to: message.to, body: message.text }),
    async close() {},
  };
}
