// The embedded mailbox: the .eml files the file transport wrote, newest first, with their headers decoded.
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';

export interface MailSummary {
  /** the file name */
  id: string;
  to: string;
  subject: string;
  date: string;
  size: number;
}

/** RFC 2047 encoded words (=?UTF-8?B?...?= / =?UTF-8?Q?...?=), which nodemailer uses for non-ASCII headers. */
function decodeWords(value: string): string {
  return value
    .replace(/\?=\s+=\?/g, '?==?')
    .replace(/=\?([^?]+)\?([BbQq])\?([^?]*)\?=/g, (_m, _charset: string, enc: string, text: string) => {
      if (enc.toUpperCase() === 'B') return Buffer.from(text, 'base64').toString('utf8');
      const bytes = text.replace(/_/g, ' ').replace(/=([0-9A-Fa-f]{2})/g, (_h, hex: string) => `%${hex}`);
      try {
        return decodeURIComponent(bytes);
      } catch {
        return text;
      }
    });
}

/** The header block of a message, unfolded, by lower-case name. */
export function readHeaders(raw: string): Record<string, string> {
  const end = raw.search(/\r?\n\r?\n/);
  const block = (end === -1 ? raw : raw.slice(0, end)).replace(/\r?\n[ \t]+/g, ' ');
  const headers: Record<string, string> = {};
  for (const line of block.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] ??= decodeWords(line.slice(colon + 1).trim());
  }
  return headers;
}

/** The bare addresses of an address header (`Ada <ada@example.com>, bob@example.com`). */
export function addresses(header: string): string[] {
  return header
    .split(',')
    .map((part) => (/<([^>]+)>/.exec(part)?.[1] ?? part).trim().toLowerCase())
    .filter(Boolean);
}

export function createMailbox(dir: string) {
  return {
    dir,
    /** Newest first; `to` keeps the messages addressed to that address (case-insensitive). */
    async list(opts: { limit: number; to?: string | undefined }): Promise<MailSummary[]> {
      let files: string[];
      try {
        files = (await readdir(dir)).filter((f) => f.endsWith('.eml') && !f.startsWith('.'));
      } catch (err) {
        if ((err as { code?: string }).code === 'ENOENT') return [];
        throw err;
      }
      // names start with an ISO timestamp: sorting them sorts by time
      files.sort().reverse();
      const out: MailSummary[] = [];
      const want = opts.to?.toLowerCase();
      for (const file of files) {
        if (out.length >= opts.limit) break;
        const path = join(dir, file);
        const [raw, info] = await Promise.all([readFile(path, 'utf8'), stat(path)]);
        const h = readHeaders(raw);
        const to = h.to ?? '';
        if (want && !addresses(to).includes(want)) continue;
        out.push({ id: file, to, subject: h.subject ?? '', date: h.date ?? info.mtime.toUTCString(), size: info.size });
      }
      return out;
    },

    /** The raw message, or null. */
    async read(id: string): Promise<string | null> {
      if (id.includes('/') || id.includes('\\') || id.startsWith('.')) return null;
      try {
        return await readFile(join(dir, id), 'utf8');
      } catch {
        return null;
      }
    },
  };
}

export type Mailbox = ReturnType<typeof createMailbox>;
