// Email with nodemailer: SMTP when SMTP_URL is set, else .eml files in the embedded mailbox.
import { mkdirSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import { type Channel, type OutgoingMessage, PermanentSendError, type Receipt } from './channel.js';

export interface EmailOptions {
  /** smtp(s)://user:pass@host:port; unset = file mailbox */
  smtpUrl?: string | undefined;
  /** where the file mailbox writes */
  mailDir: string;
  from: string;
  poolSize?: number;
  timeoutMs?: number;
  tlsRejectUnauthorized?: boolean;
}

export interface EmailChannel extends Channel {
  readonly mode: 'smtp' | 'file';
}

function smtpOptions(opts: EmailOptions) {
  const url = new URL(opts.smtpUrl as string);
  const secure = url.protocol === 'smtps:';
  const timeout = opts.timeoutMs ?? 10_000;
  return {
    host: url.hostname,
    port: Number(url.port || (secure ? 465 : 587)),
    secure,
    ...(url.username
      ? { auth: { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) } }
      : {}),
    pool: true,
    maxConnections: opts.poolSize ?? 5,
    connectionTimeout: timeout,
    greetingTimeout: timeout,
    socketTimeout: timeout,
    tls: { rejectUnauthorized: opts.tlsRejectUnauthorized ?? true },
  };
}

/** The domain of the From address, for Message-IDs. */
function senderDomain(from: string): string {
  return /@([^>\s]+)>?\s*$/.exec(from)?.[1] ?? 'microbazaar.local';
}

/** SMTP 5xx and envelope errors are final; connection trouble and 4xx are worth another try. */
function classify(err: unknown): Error {
  const e = err as { responseCode?: number; code?: string; message?: string };
  if ((typeof e.responseCode === 'number' && e.responseCode >= 500) || e.code === 'EENVELOPE') {
    return new PermanentSendError(e.message ?? String(err), { cause: err });
  }
  return err instanceof Error ? err : new Error(String(err));
}

export function createEmailChannel(opts: EmailOptions): EmailChannel {
  const domain = senderDomain(opts.from);
  const mode = opts.smtpUrl ? 'smtp' : 'file';
  const transport =
    mode === 'smtp'
      ? nodemailer.createTransport(smtpOptions(opts))
      : nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'windows' });
  if (mode === 'file') mkdirSync(opts.mailDir, { recursive: true });

  return {
    name: 'email',
    mode,
    async send(message: OutgoingMessage): Promise<Receipt> {
      const mail = {
        from: opts.from,
        to: message.to,
        subject: message.subject ?? '',
        text: message.text,
        ...(message.html ? { html: message.html } : {}),
        // the same id on every attempt of one delivery: a receiver can drop a duplicate
        messageId: `<${message.id}@${domain}>`,
        headers: message.correlationId ? { 'X-Correlation-Id': message.correlationId } : {},
      };
      let info: { messageId?: string; message?: unknown };
      try {
        info = (await transport.sendMail(mail)) as typeof info;
      } catch (err) {
        throw classify(err);
      }
      if (mode === 'file') {
        // write then rename: the mailbox never lists half a message
        const name = `${new Date().toISOString().replace(/[:.]/g, '-')}_${message.id}.eml`;
        const tmp = join(opts.mailDir, `.${name}.tmp`);
        await writeFile(tmp, info.message as Buffer);
        await rename(tmp, join(opts.mailDir, name));
      }
      return { providerId: info.messageId };
    },
    async close() {
      transport.close();
    },
  };
}
