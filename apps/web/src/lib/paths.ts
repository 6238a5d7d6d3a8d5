// The URLs the app answers, for the server: which are rendered there and which are a 404.
const KNOWN: readonly RegExp[] = [
  /^\/$/,
  /^\/search$/,
  /^\/categories\/[^/]+$/,
  /^\/products\/[^/]+$/,
  /^\/cart$/,
  /^\/checkout$/,
  /^\/signin$/,
  /^\/register$/,
  /^\/forgot-password$/,
  /^\/reset-password$/,
  /^\/account(\/notifications(\/preferences)?|\/orders(\/[^/]+)?)?$/,
  /^\/orders\/[^/]+$/,
  /^\/seller(\/.*)?$/,
  /^\/admin(\/.*)?$/,
];

/** Pages whose content the server renders (crawlers and link previews read them without JavaScript). */
const RENDERED: readonly RegExp[] = [/^\/$/, /^\/search$/, /^\/categories\/[^/]+$/, /^\/products\/[^/]+$/];

const trim = (p: string) => (p.length > 1 ? p.replace(/\/+$/, '') : p);

export const isAppPath = (pathname: string) => KNOWN.some((r) => r.test(trim(pathname)));
export const isRenderedPath = (pathname: string) => RENDERED.some((r) => r.test(trim(pathname)));
