// A real SMTP server on loopback (smtp-server) that keeps every message it receives, decoded; stop() and start() it to test an outage.
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { readHeaders } from '../src/adapters/mailbox.js';

export interface ReceivedMail {
  from: string;
  to: string[];
  raw: string;
  headers: Record<string, string>;
  subject: string;
  text: string;
  html: string;
}

function decodeQuotedPrintable(body: string): string {
  const bytes = body.replace(/=\r?\n/g, '').replace(/=([0-9A-Fa-f]{2})/g, (_m, hex: string) => `%${hex}`);
  // keep literal % signs intact: only escape sequences came from =XX
  return decodeURIComponent(bytes.replace(/%(?![0-9A-Fa-f]{2})/g, '%25'));
}

function decodePart(headers: Record<string, string>, body: string): string {
  const encoding = (headers['content-transfer-encoding'] ?? '7bit').toLowerCase();
  if (encoding === 'base64') return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  if (encoding === 'quoted-printable') return decodeQuotedPrintable(body);
  return body;
}

/** The text and HTML bodies of a message (single part or multipart/alternative, as nodemailer writes them). */
export function decodeMail(raw: string): { headers: Record<string, string>; text: string; html: string } {
  const headers = readHeaders(raw);
  const bodyStart = raw.search(/\r?\n\r?\n/);
  const body = raw.slice(bodyStart).replace(/^\r?\n\r?\n/, '');
  const type = headers['content-type'] ?? 'text/plain';
  const boundary = /boundary="?([^";]+)"?/i.exec(type)?.[1];
  const out = { headers, text: '', html: '' };
  const parts = boundary
    ? body
        .split(`--${boundary}`)
        .slice(1, -1)
        .map((part) => {
          const p = part.replace(/^\r?\n/, '');
          const end = p.search(/\r?\n\r?\n/);
          return {
            headers: readHeaders(p),
            body: p
              .slice(end)
              .replace(/^\r?\n\r?\n/, '')
              .replace(/\r?\n$/, ''),
          };
        })
    : [{ headers, body }];
  for (const part of parts) {
    const ct = (part.headers['content-type'] ?? 'text/plain').toLowerCase();
    const decoded = decodePart(part.headers, part.body).replace(/\r\n/g, '\n');
    if (ct.startsWith('text/html')) out.html = decoded;
    else if (ct.startsWith('text/plain')) out.text = decoded;
  }
  return out;
}

export interface TestSmtp {
  port: number;
  url: string;
  messages: ReceivedMail[];
  /** the server stops listening and drops its connections (an outage) */
  stop(): Promise<void>;
  /** listening again on the same port */
  start(): Promise<void>;
  close(): Promise<void>;
}

export async function startSmtp(): Promise<TestSmtp> {
  const messages: ReceivedMail[] = [];
  let server: SMTPServer | undefined;
  let port = 0;
  const start = async () => {
    const s = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      closeTimeout: 50,
      onData(stream, session, callback) {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          const raw = Buffer.concat(chunks).toString('utf8');
          const decoded = decodeMail(raw);
          messages.push({
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            to: session.envelope.rcptTo.map((r) => r.address),
            raw,
            headers: decoded.headers,
            subject: decoded.headers.subject ?? '',
            text: decoded.text,
            html: decoded.html,
          });
          callback();
        });
      },
    });
    s.on('error', () => {});
    await new Promise<void>((resolve) => {
      const net = s.listen(port, '127.0.0.1', () => {
        port = (net.address() as AddressInfo).port;
        resolve();
      });
    });
    server = s;
  };
  const stop = async () => {
    const s = server;
    server = undefined;
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  };
  await start();
  return {
    port,
    url: `smtp://127.0.0.1:${port}`,
    messages,
    stop,
    start: async () => {
      if (!server) await start();
    },
    close: stop,
  };
}
