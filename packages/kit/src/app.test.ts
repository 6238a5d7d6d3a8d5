import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import { Type } from '@sinclair/typebox';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type App, createApp } from './app.js';
import { Conflict, NotFound } from './errors.js';
import { createLogger } from './logger.js';

let app: App;

beforeAll(async () => {
  app = await createApp({
    name: 'kit-test',
    logger: createLogger('kit-test', 'silent'),
    bodyLimit: 1024 * 1024,
    readiness: { db: async () => {}, cache: async () => Promise.reject(new Error('redis down')) },
  });
  app.post(
    '/things',
    {
      schema: {
        body: Type.Object({
          name: Type.String({ minLength: 1 }),
          count: Type.Integer({ minimum: 0 }),
          nested: Type.Optional(Type.Object({ a: Type.String() })),
        }),
      },
    },
    async (req, reply) => reply.status(201).send(req.body),
  );
  app.post('/actions/run', async (_req, reply) => reply.status(202).send({ ran: true }));
  app.post('/raw', async (req) => ({ type: typeof req.body }));
  app.get('/refused-value', async () => {
    throw Object.assign(new Error('invalid byte sequence for encoding "UTF8": 0x00'), { code: '22021' });
  });
  app.get('/boom', async () => {
    throw new Error('select * from secret_table failed');
  });
  app.get('/missing', async () => {
    throw new NotFound('Thing not found');
  });
  app.get('/conflict', async () => {
    throw new Conflict('Already shipped', 'ORDER_SHIPPED');
  });
  app.get(
    '/q',
    { schema: { querystring: Type.Object({ limit: Type.Integer({ minimum: 1, maximum: 100 }) }) } },
    async (req) => req.query,
  );
  await app.ready();
});

afterAll(() => app.close());

const post = (payload: string, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
  app.inject({ method: 'POST', url: '/things', payload, headers });

describe('createApp', () => {
  it('accepts a valid body', async () => {
    const res = await post(JSON.stringify({ name: 'x', count: 2 }));
    expect(res.statusCode).toBe(201);
    expect(res.json()).toEqual({ name: 'x', count: 2 });
  });

  it('rejects unknown fields, also nested, with 400 and details', async () => {
    const res = await post(JSON.stringify({ name: 'x', count: 2, role: 'admin' }));
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({
      code: 'VALIDATION_FAILED',
      details: [{ path: 'body/role', message: 'unknown field' }],
    });
    const nested = await post(JSON.stringify({ name: 'x', count: 2, nested: { a: 'b', z: 1 } }));
    expect(nested.statusCode).toBe(400);
  });

  it('refuses body fields on a route that takes no body, and lets an empty or absent body through', async () => {
    const run = (payload?: string) =>
      app.inject({
        method: 'POST',
        url: '/actions/run',
        ...(payload === undefined ? {} : { payload, headers: { 'content-type': 'application/json' } }),
      });
    const fields = await run(JSON.stringify({ force: true }));
    expect(fields.statusCode).toBe(400);
    expect(fields.json().error).toMatchObject({
      code: 'VALIDATION_FAILED',
      details: [{ path: 'body/force', message: 'unknown field' }],
    });
    expect((await run('[1]')).statusCode).toBe(400);
    expect((await run('{}')).statusCode).toBe(202);
    expect((await run()).statusCode).toBe(202);
    // bodies that are not JSON objects stay the route's to read
    const raw = await app.inject({
      method: 'POST',
      url: '/raw',
      payload: 'x=1',
      headers: { 'content-type': 'text/plain' },
    });
    expect(raw.json()).toEqual({ type: 'string' });
  });

  it('answers a value the database refuses with 400 INVALID_INPUT, without the database message', async () => {
    const res = await app.inject({ method: 'GET', url: '/refused-value' });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({ code: 'INVALID_INPUT', requestId: res.headers['x-request-id'] });
    expect(res.body).not.toContain('UTF8');
  });

  it('answers a malformed URL with the error body and a request id', async () => {
    const res = await app.inject({ method: 'GET', url: '/things/%zz', headers: { 'x-request-id': 'bad-url-1' } });
    expect(res.statusCode).toBe(400);
    expect(res.headers['x-request-id']).toBe('bad-url-1');
    expect(res.json()).toEqual({
      error: { code: 'BAD_URL', message: 'The URL is malformed', requestId: 'bad-url-1' },
    });
  });

  it('answers an HTTP request node cannot parse with a JSON 400 and closes', async () => {
    const server = await createApp({ name: 'raw-test', logger: createLogger('raw-test', 'silent') });
    await server.listen({ port: 0, host: '127.0.0.1' });
    try {
      const { port } = server.server.address() as AddressInfo;
      const answer = await new Promise<string>((resolve, reject) => {
        let data = '';
        const socket = connect(port, '127.0.0.1', () =>
          socket.write('GET / HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n'),
        );
        socket.on('data', (d) => {
          data += d;
        });
        socket.on('end', () => resolve(data));
        socket.on('error', reject);
      });
      expect(answer).toMatch(/^HTTP\/1\.1 400 /);
      expect(JSON.parse(answer.split('\r\n\r\n')[1]!)).toMatchObject({ error: { code: 'BAD_REQUEST' } });
    } finally {
      await server.close();
    }
  });

  it('does not coerce body types', async () => {
    const res = await post(JSON.stringify({ name: 'x', count: '2' }));
    expect(res.statusCode).toBe(400);
  });

  it('coerces query strings and validates them', async () => {
    expect((await app.inject('/q?limit=5')).json()).toEqual({ limit: 5 });
    const bad = await app.inject('/q?limit=500');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe('VALIDATION_FAILED');
  });

  it('answers malformed JSON with 400 INVALID_JSON', async () => {
    const res = await post('{"name": "x",');
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('INVALID_JSON');
  });

  it('answers a wrong content type with 415', async () => {
    const res = await post('name=x', { 'content-type': 'application/x-www-form-urlencoded' });
    expect(res.statusCode).toBe(415);
    expect(res.json().error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
  });

  it('answers a 2 MB body with 413', async () => {
    const res = await post(JSON.stringify({ name: 'x'.repeat(2 * 1024 * 1024), count: 1 }));
    expect(res.statusCode).toBe(413);
    expect(res.json().error.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('never leaks internals of an unknown error', async () => {
    const res = await app.inject('/boom');
    expect(res.statusCode).toBe(500);
    expect(res.body).not.toContain('secret_table');
    expect(res.json().error).toMatchObject({ code: 'INTERNAL_ERROR', requestId: res.headers['x-request-id'] });
  });

  it('maps domain errors to status and code', async () => {
    expect((await app.inject('/missing')).statusCode).toBe(404);
    const c = await app.inject('/conflict');
    expect(c.statusCode).toBe(409);
    expect(c.json().error.code).toBe('ORDER_SHIPPED');
    const none = await app.inject('/nope');
    expect(none.statusCode).toBe(404);
    expect(none.json().error.code).toBe('ROUTE_NOT_FOUND');
  });

  it('echoes a sane x-request-id and replaces an unsafe one', async () => {
    const ok = await app.inject({ url: '/health/live', headers: { 'x-request-id': 'abc-123' } });
    expect(ok.headers['x-request-id']).toBe('abc-123');
    const bad = await app.inject({ url: '/health/live', headers: { 'x-request-id': 'a b\u0001<script>' } });
    expect(bad.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('reports readiness per dependency', async () => {
    const res = await app.inject('/health/ready');
    expect(res.statusCode).toBe(503);
    expect(res.json().checks).toEqual({ db: 'ok', cache: 'down: redis down' });
  });

  it('exposes Prometheus metrics by route and status', async () => {
    await app.inject('/missing');
    const res = await app.inject('/metrics');
    expect(res.statusCode).toBe(200);
    expect(res.body).toMatch(
      /http_requests_total\{method="GET",route="\/missing",status="404",service="kit-test"\} \d+/,
    );
    expect(res.body).toContain('http_request_duration_seconds_bucket');
    expect(res.body).toContain('process_cpu_user_seconds_total');
  });

  it('publishes an OpenAPI document of its routes', async () => {
    const res = await app.inject('/openapi.json');
    expect(res.json().paths['/things']).toBeDefined();
    expect(res.json().paths['/metrics']).toBeUndefined();
  });
});

describe('parseTrustProxy', () => {
  it('reads booleans, hop counts and address lists', async () => {
    const { parseTrustProxy } = await import('./app.js');
    expect(parseTrustProxy('true')).toBe(true);
    expect(parseTrustProxy('false')).toBe(false);
    expect(parseTrustProxy('1')).toBe(1);
    expect(parseTrustProxy('loopback,10.0.0.0/8')).toBe('loopback,10.0.0.0/8');
  });
});

describe('TRUST_PROXY decides which client address a service believes', () => {
  async function ipSeen(trustProxy: string, peer: string, forwardedFor: string): Promise<string> {
    const app = await createApp({ name: 'trust-test', logger: createLogger('trust-test', 'silent'), trustProxy });
    app.get('/ip', async (req) => ({ ip: req.ip }));
    try {
      const res = await app.inject({ url: '/ip', remoteAddress: peer, headers: { 'x-forwarded-for': forwardedFor } });
      return res.json().ip;
    } finally {
      await app.close();
    }
  }

  it('by address: the gateway is believed, anyone else is their own address', async () => {
    expect(await ipSeen('10.0.0.1', '10.0.0.1', '198.51.100.9')).toBe('198.51.100.9');
    expect(await ipSeen('10.0.0.1', '10.0.0.66', '198.51.100.9')).toBe('10.0.0.66');
    expect(await ipSeen('loopback', '127.0.0.1', '198.51.100.9')).toBe('198.51.100.9');
    expect(await ipSeen('false', '127.0.0.1', '198.51.100.9')).toBe('127.0.0.1');
  });

  it('by hop count: the address that many hops in (Fastify alone would ignore a bare number)', async () => {
    expect(await ipSeen('1', '10.0.0.1', '6.6.6.6, 198.51.100.9')).toBe('198.51.100.9');
    expect(await ipSeen('2', '10.0.0.1', '6.6.6.6, 198.51.100.9, 10.0.0.2')).toBe('198.51.100.9');
  });
});

describe('logs', () => {
  it('never carry a query string (a stream ticket or a reset token in the URL stays out)', async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'debug' }, { write: (line: string) => lines.push(line) });
    const app = await createApp({ name: 'log-test', logger });
    app.get('/ok', async () => ({ ok: true }));
    app.get('/boom', async () => {
      throw new Error('boom');
    });
    try {
      for (const url of ['/ok?ticket=SECRET-1', '/boom?token=SECRET-2', '/missing?ticket=SECRET-3']) {
        await app.inject({ url });
      }
      expect(lines.some((l) => l.includes('"path":"/boom"'))).toBe(true);
      expect(lines.some((l) => l.includes('"path":"/ok"'))).toBe(true);
      expect(lines.join('\n')).not.toContain('SECRET');
    } finally {
      await app.close();
    }
  });
});
