// Email (HTML + text) and SMS bodies rendered with Eta from templates/<event type>/; one folder per event.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Eta } from 'eta';
import type { MessageModel } from '../domain/messages.js';

export const TEMPLATES_DIR = fileURLToPath(new URL('../../templates', import.meta.url));

export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
}

export interface Templates {
  email(type: string, model: MessageModel, opts: { subject: string; transactional: boolean }): RenderedEmail;
  sms(type: string, model: MessageModel): string;
  /** Throws naming the first missing template (checked at start, not on the first event). */
  check(types: { type: string; email: boolean; sms: boolean }[]): void;
}

/** Blank runs left by template logic collapse to one empty line. */
function tidyText(text: string): string {
  return `${text
    .replace(/[ \t]+\n/g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim()}\n`;
}

export function createTemplates(dir: string = TEMPLATES_DIR): Templates {
  // HTML escapes every interpolation; text and SMS are plain (nothing there is interpreted as markup), and their
  // line breaks are kept as written: control tags end with -%> to drop their own
  const html = new Eta({ views: dir, autoEscape: true, cache: true });
  const text = new Eta({ views: dir, autoEscape: false, autoTrim: false, cache: true });
  const path = (type: string, file: string) => `/${type}/${file}`;
  return {
    email(type, model, opts) {
      const data = { ...model, subject: opts.subject, transactional: opts.transactional };
      return {
        subject: opts.subject,
        text: tidyText(text.render(path(type, 'email.text.eta'), data)),
        html: html.render(path(type, 'email.html.eta'), data),
      };
    },
    sms(type, model) {
      return text.render(path(type, 'sms.eta'), model).replace(/\s+/g, ' ').trim();
    },
    check(types) {
      for (const t of types) {
        const files = [...(t.email ? ['email.html.eta', 'email.text.eta'] : []), ...(t.sms ? ['sms.eta'] : [])];
        for (const f of files) {
          if (!existsSync(`${dir}/${t.type}/${f}`)) throw new Error(`missing template ${t.type}/${f} in ${dir}`);
        }
      }
    },
  };
}
