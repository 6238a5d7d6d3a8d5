// JSON over HTTP to a neighbour service: a keep-alive pool, deadlines, request id and trace headers passed on.
import { currentTraceHeaders, Unavailable } from '@microbazaar/kit';
import { type Dispatcher, Pool } from 'undici';

export interface JsonResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

export interface CallContext {
  /** the caller's `Authorization` header, passed on as it came: the other service checks it */
  authorization?: string | undefined;
  requestId?: string | undefined;
  headers?: Record<string, string>;
}

export interface JsonClient {
  request(method: 'GET' | 'POST' | 'DELETE', path: string, ctx?: CallContext, body?: unknown): Promise<JsonResponse>;
  close(): Promise<void>;
}

/**
 * A client for one service. A connection failure or a deadline passed is Unavailable (503 to our
 * caller) with `code`; an answer, whatever its status, is returned for the adapter to read.
 */
export function jsonClient(opts: { baseUrl: string; timeoutMs: number; code: string; what: string }): JsonClient {
  const base = new URL(opts.baseUrl);
  const prefix = base.pathname.replace(/\/+$/, '');
  const pool = new Pool(base.origin, { connections: 32, connect: { timeout: opts.timeoutMs } });
  return {
    async request(method, path, ctx = {}, body) {
      let res: Dispatcher.ResponseData;
      try {
        res = await pool.request({
          method,
          path: `${prefix}${path}`,
          headers: {
            accept: 'application/json',
            ...(body === undefined ? {} : { 'content-type': 'application/json' }),
            ...(ctx.authorization ? { authorization: ctx.authorization } : {}),
            ...(ctx.requestId ? { 'x-request-id': ctx.requestId } : {}),
            ...currentTraceHeaders(),
            ...ctx.headers,
          },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
          headersTimeout: opts.timeoutMs,
          bodyTimeout: opts.timeoutMs,
        });
      } catch (err) {
        throw new Unavailable(`The ${opts.what} is unavailable, try again shortly`, opts.code, err);
      }
      let parsed: unknown;
      try {
        const text = await res.body.text();
        parsed = text ? JSON.parse(text) : undefined;
      } catch (err) {
        if (res.statusCode < 300) throw new Unavailable(`The ${opts.what} answered unreadably`, opts.code, err);
        parsed = undefined;
      }
      return { status: res.statusCode, headers: res.headers, body: parsed };
    },
    close: () => pool.close(),
  };
}

/** The message of an error body (`{error: {message}}`), for telling the customer why something failed. */
export function errorMessage(body: unknown): string | undefined {
  const message = (body as { error?: { message?: unknown } } | undefined)?.error?.message;
  return typeof message === 'string' ? message : undefined;
}
