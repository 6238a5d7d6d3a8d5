// Real loopback servers for the gateway tests: upstreams that record what reached them (method, url, headers and
// body), the auth service's keys (the kit's token issuer), and the gateway itself.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, request, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type App, type Cache, createLogger, type Env, MemoryCache } from '@microbazaar/kit';
import { startTokenIssuer } from '@microbazaar/kit/testing';
import { type CryptoKey, SignJWT } from 'jose';
import { buildApp } from '../src/app.js';
import { type GatewayConfig, loadConfig } from '../src/config.js';

export interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  rawHeaders: string[];
  body: Buffer;
}

export interface TestServer {
  url: string;
  port: number;
  /** every request that reached the server, body read in full */
  seen: Seen[];
  close(): Promise<void>;
}

export type Handler = (req: IncomingMessage, res: ServerResponse, body: Buffer) => unknown;

/** A node:http server on a random loopback port; the handler gets the request body read in full. */
export async function startServer(handler: Handler, opts: { readBody?: boolean } = {}): Promise<TestServer> {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    const record = (body: Buffer) => {
      seen.push({
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        rawHeaders: req.rawHeaders,
        body,
      });
      Promise.resolve(handler(req, res, body)).catch((err: unknown) => {
        res.statusCode = 500;
        res.end(String(err));
      });
    };
    if (opts.readBody === false) return record(Buffer.alloc(0));
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => record(Buffer.concat(chunks)));
    req.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A loopback URL where nothing listens (a server was there a moment ago). */
export async function closedPortUrl(): Promise<string> {
  const s = await startServer(() => {});
  await s.close();
  return s.url;
}

export const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
};

export interface Jwks {
  url: string;
  /** an access token as the auth service issues it */
  sign(claims?: Record<string, unknown>, opts?: { expiresIn?: string | number }): Promise<string>;
  close(): Promise<void>;
}

/** The auth service's keys on loopback (the kit's token issuer); claims may be anything a test needs. */
export async function startJwks(): Promise<Jwks> {
  const issuer = await startTokenIssuer();
  return {
    url: issuer.jwksUrl,
    close: issuer.close,
    sign: ({ sub, ...claims } = {}, opts = {}) =>
      issuer.sign(typeof sub === 'string' ? sub : randomUUID(), 'customer', {
        email: 'ada@example.com',
        expiresIn: opts.expiresIn ?? '5m',
        claims,
      }),
  };
}

/** A token signed with any key and kid: a forgery, for the refusals at the edge. */
export async function signWith(
  key: CryptoKey | Uint8Array,
  kid: string,
  claims: Record<string, unknown>,
  expiresIn: string | number,
): Promise<string> {
  return new SignJWT({ role: 'customer', email: 'ada@example.com', ...claims })
    .setProtectedHeader({ alg: 'EdDSA', kid })
    .setSubject(typeof claims.sub === 'string' ? claims.sub : randomUUID())
    .setIssuer('microbazaar-auth')
    .setAudience('microbazaar')
    .setIssuedAt()
    .setExpirationTime(expiresIn)
    .sign(key);
}

export function testConfig(env: Env): GatewayConfig {
  return loadConfig({
    LOG_LEVEL: 'silent',
    HOST: '127.0.0.1',
    PORT: '0',
    RATE_LIMIT_PER_MINUTE: '0',
    AUTH_JWKS_URL: 'http://127.0.0.1:9/.well-known/jwks.json',
    // only the upstreams a test names are on
    PRODUCT_URL: 'off',
    CART_URL: 'off',
    ORDER_URL: 'off',
    PAYMENT_URL: 'off',
    NOTIFICATION_URL: 'off',
    ASSISTANT_URL: 'off',
    ...env,
  });
}

export interface TestGateway {
  app: App;
  url: string;
  cache: Cache;
  close(): Promise<void>;
}

/** buildApp with the given env, listening on a random loopback port. */
export async function startTestGateway(env: Env, cache: Cache = new MemoryCache()): Promise<TestGateway> {
  const config = testConfig(env);
  const { app } = await buildApp({ config, logger: createLogger('gateway-test', 'silent'), cache });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  return {
    app,
    url: `http://127.0.0.1:${port}`,
    cache,
    close: async () => {
      await app.close();
      await cache.close();
    },
  };
}

export interface Received {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  // biome-ignore lint/suspicious/noExplicitAny: tests read response bodies loosely
  json<T = any>(): T;
}

/** One request over real HTTP with exactly the given headers (fetch would add and drop some). */
export function send(
  base: string,
  path: string,
  opts: { method?: string; headers?: Record<string, string | string[]>; body?: Buffer | string | Buffer[] } = {},
): Promise<Received> {
  const { hostname, port } = new URL(base);
  const headers = { ...opts.headers };
  if (opts.body !== undefined && !Array.isArray(opts.body) && headers['transfer-encoding'] === undefined) {
    headers['content-length'] ??= String(Buffer.byteLength(opts.body));
  }
  return new Promise((resolve, reject) => {
    const req = request({ hostname, port, path, method: opts.method ?? 'GET', headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body,
          json: () => JSON.parse(body.toString('utf8')),
        });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    if (Array.isArray(opts.body)) {
      for (const chunk of opts.body) req.write(chunk);
      req.end();
    } else {
      req.end(opts.body);
    }
  });
}
