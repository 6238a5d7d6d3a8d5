import { createHash, randomBytes } from 'node:crypto';
import { get } from 'node:http';
import { isUuid } from '@microbazaar/kit';
import { eventually } from '@microbazaar/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  closedPortUrl,
  type Jwks,
  json,
  send,
  startJwks,
  startServer,
  startTestGateway,
  type TestGateway,
  type TestServer,
} from './helpers.js';

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
// room for the multi-megabyte bodies of the streaming tests (the default limit is 1 MiB)
const BIG = String(8 * 1024 * 1024);
const METRICS_TOKEN = 'metrics-token-for-tests';

let upstream: TestServer;
let gateway: TestGateway;

beforeAll(async () => {
  upstream = await startServer(async (req, res, body) => {
    const path = (req.url ?? '').split('?')[0];
    if (path === '/api/auth/echo') {
      res.setHeader('set-cookie', ['a=1; Path=/', 'b=2; Path=/']);
      res.setHeader('x-upstream', 'auth');
      res.setHeader('access-control-allow-origin', '*');
      res.setHeader('keep-alive', 'timeout=5');
      return json(res, 201, { method: req.method, url: req.url, length: body.length });
    }
    if (path === '/api/auth/raw' || path === '/api/products/raw') {
      res.writeHead(200, {
        'content-type': req.headers['content-type'] ?? 'application/octet-stream',
        'x-body-sha256': sha256(body),
      });
      return res.end(body);
    }
    if (path === '/api/auth/invalid') {
      return json(res, 400, { error: { code: 'VALIDATION_FAILED', message: 'bad', requestId: 'x' } });
    }
    if (path === '/api/auth/empty') {
      res.writeHead(204);
      return res.end();
    }
    if (path === '/api/auth/slow' || path === '/api/products/slow') {
      await sleep(3000);
      return json(res, 200, { late: true });
    }
    if (path === '/api/auth/stall-body') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('part one;');
      await sleep(3000);
      return res.end('part two');
    }
    json(res, 404, { error: { code: 'ROUTE_NOT_FOUND', message: 'no', requestId: 'x' } });
  });
  gateway = await startTestGateway({ AUTH_URL: upstream.url, GATEWAY_BODY_LIMIT_BYTES: BIG, METRICS_TOKEN });
});

afterAll(async () => {
  await gateway?.close();
  await upstream?.close();
});

const lastSeen = () => upstream.seen.at(-1)!;

describe('proxying', () => {
  it('forwards method, path, query and headers, and sets the forwarding headers', async () => {
    const res = await send(gateway.url, '/api/auth/echo?q=shoes%20red&limit=2&q=2', {
      method: 'PATCH',
      headers: {
        'content-type': 'application/json',
        authorization: 'Bearer not-checked-on-public-routes',
        'x-custom': 'kept',
        'x-forwarded-for': '203.0.113.7',
        connection: 'keep-alive, x-hop',
        'x-hop': 'dropped because connection names it',
        'proxy-authorization': 'Basic c2VjcmV0',
        te: 'trailers',
      },
      body: '{"a":1}',
    });
    expect(res.status).toBe(201);
    expect(res.json()).toEqual({ method: 'PATCH', url: '/api/auth/echo?q=shoes%20red&limit=2&q=2', length: 7 });
    const seen = lastSeen();
    expect(seen.headers['x-custom']).toBe('kept');
    expect(seen.headers.authorization).toBe('Bearer not-checked-on-public-routes');
    expect(seen.headers['content-type']).toBe('application/json');
    expect(seen.headers.host).toBe(`127.0.0.1:${upstream.port}`);
    // the client is on loopback, which the gateway trusts by default: its X-Forwarded-For names the client
    expect(seen.headers['x-forwarded-for']).toBe('203.0.113.7');
    expect(seen.headers['x-forwarded-proto']).toBe('http');
    expect(seen.headers['x-forwarded-host']).toBe(new URL(gateway.url).host);
    expect(seen.headers['x-hop']).toBeUndefined();
    expect(seen.headers['proxy-authorization']).toBeUndefined();
    expect(seen.headers.te).toBeUndefined();
  });

  it('passes the upstream response headers back, minus hop-by-hop and CORS ones', async () => {
    const res = await send(gateway.url, '/api/auth/echo');
    expect(res.headers['x-upstream']).toBe('auth');
    expect(res.headers['set-cookie']).toEqual(['a=1; Path=/', 'b=2; Path=/']);
    expect(res.headers['keep-alive']).toBeUndefined();
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('propagates a sane incoming x-request-id both ways and mints one otherwise', async () => {
    const traced = await send(gateway.url, '/api/auth/echo', { headers: { 'x-request-id': 'trace-abc.42' } });
    expect(traced.headers['x-request-id']).toBe('trace-abc.42');
    expect(lastSeen().headers['x-request-id']).toBe('trace-abc.42');

    const minted = await send(gateway.url, '/api/auth/echo', { headers: { 'x-request-id': 'bad id <script>' } });
    const id = minted.headers['x-request-id'];
    expect(isUuid(String(id))).toBe(true);
    expect(lastSeen().headers['x-request-id']).toBe(id);
  });

  it.each(['GET', 'POST', 'PUT', 'DELETE'])('proxies %s', async (method) => {
    const res = await send(gateway.url, '/api/auth/echo?m=1', { method, ...(method === 'GET' ? {} : { body: 'x' }) });
    expect(res.status).toBe(201);
    expect(res.json().method).toBe(method);
    expect(lastSeen().method).toBe(method);
  });

  it('proxies HEAD as HEAD', async () => {
    const res = await send(gateway.url, '/api/auth/echo', { method: 'HEAD' });
    expect(res.status).toBe(201);
    expect(res.body.length).toBe(0);
    expect(lastSeen().method).toBe('HEAD');
  });

  it('passes a JSON body through byte for byte, the upstream answers its own validation', async () => {
    const body = Buffer.from('{ "name" : "Ünïcødé 🛒",\n  "price":1999 , "extra": [1,2,3] }');
    const res = await send(gateway.url, '/api/auth/raw', {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8' },
      body,
    });
    expect(res.status).toBe(200);
    expect(lastSeen().body.equals(body)).toBe(true);
    expect(res.body.equals(body)).toBe(true);

    const invalid = await send(gateway.url, '/api/auth/invalid', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{not json',
    });
    expect(invalid.status).toBe(400);
    expect(invalid.json().error.code).toBe('VALIDATION_FAILED');
    expect(lastSeen().body.toString()).toBe('{not json');
  });

  it('passes a binary multipart upload through byte for byte, both ways', async () => {
    const image = randomBytes(3 * 1024 * 1024 + 7);
    const boundary = '----microbazaar-test-boundary';
    const body = Buffer.concat([
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="name"\r\n\r\nLamp\r\n`),
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="images"; filename="lamp.jpg"\r\nContent-Type: image/jpeg\r\n\r\n`,
      ),
      image,
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
    const res = await send(gateway.url, '/api/auth/raw', {
      method: 'POST',
      headers: { 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': String(body.length) },
      body,
    });
    expect(res.status).toBe(200);
    const seen = lastSeen();
    expect(seen.headers['content-type']).toBe(`multipart/form-data; boundary=${boundary}`);
    expect(seen.headers['content-length']).toBe(String(body.length));
    expect(seen.body.equals(body)).toBe(true);
    expect(res.headers['x-body-sha256']).toBe(sha256(body));
    expect(res.body.equals(body)).toBe(true);
  });

  it('passes a chunked body of unknown length through', async () => {
    const parts = [randomBytes(1000), randomBytes(70_000), randomBytes(5)];
    const res = await send(gateway.url, '/api/auth/raw', {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream', 'transfer-encoding': 'chunked' },
      body: parts,
    });
    expect(res.status).toBe(200);
    expect(lastSeen().body.equals(Buffer.concat(parts))).toBe(true);
  });

  it('passes upstream statuses through, including 204', async () => {
    const res = await send(gateway.url, '/api/auth/empty', { method: 'DELETE' });
    expect(res.status).toBe(204);
    expect(res.body.length).toBe(0);
  });

  it('labels proxied requests in /metrics with the table prefix, not the raw path', async () => {
    await send(gateway.url, '/api/auth/echo?label=1');
    const metrics = (
      await send(gateway.url, '/metrics', { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })
    ).body.toString();
    expect(metrics).toMatch(
      /http_requests_total\{method="GET",route="\/api\/auth\/\*",status="201",service="gateway"\}/,
    );
    expect(metrics).not.toContain('route="/api/auth/echo');
  });

  it('answers paths outside the table, and of upstreams not configured, with the 404 error body', async () => {
    for (const path of ['/api/nothing', '/api/products', '/api/authx']) {
      const res = await send(gateway.url, path);
      expect(res.status).toBe(404);
      expect(res.json().error.code).toBe('ROUTE_NOT_FOUND');
    }
  });
});

describe('failures never hang', () => {
  it('answers 503 UPSTREAM_UNAVAILABLE when the upstream refuses connections, whatever the body', async () => {
    const down = await startTestGateway({ AUTH_URL: await closedPortUrl(), GATEWAY_BODY_LIMIT_BYTES: BIG });
    try {
      const requests = [
        { method: 'GET' },
        { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' },
        { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: randomBytes(2 * 1024 * 1024) },
      ];
      for (const request of requests) {
        const res = await send(down.url, '/api/auth/login', request);
        expect(res.status).toBe(503);
        expect(res.json()).toEqual({
          error: { code: 'UPSTREAM_UNAVAILABLE', message: expect.any(String), requestId: res.headers['x-request-id'] },
        });
        expect(res.headers['retry-after']).toBeDefined();
      }
    } finally {
      await down.close();
    }
  });

  it('answers 504 UPSTREAM_TIMEOUT when no response headers come within UPSTREAM_TIMEOUT_MS', async () => {
    const impatient = await startTestGateway({ AUTH_URL: upstream.url, UPSTREAM_TIMEOUT_MS: '200' });
    try {
      const res = await send(impatient.url, '/api/auth/slow');
      expect(res.status).toBe(504);
      expect(res.json()).toEqual({
        error: { code: 'UPSTREAM_TIMEOUT', message: expect.any(String), requestId: res.headers['x-request-id'] },
      });
    } finally {
      await impatient.close();
    }
  });

  it('cuts a response whose body stalls longer than the timeout on a non-streaming route', async () => {
    const impatient = await startTestGateway({ AUTH_URL: upstream.url, UPSTREAM_TIMEOUT_MS: '200' });
    try {
      await expect(send(impatient.url, '/api/auth/stall-body')).rejects.toThrow();
    } finally {
      await impatient.close();
    }
  });
});

describe('body limit', () => {
  let small: TestGateway;
  let jwks: Jwks;
  let seller: { authorization: string };
  beforeAll(async () => {
    jwks = await startJwks();
    seller = { authorization: `Bearer ${await jwks.sign({ role: 'seller' })}` };
    small = await startTestGateway({
      AUTH_JWKS_URL: jwks.url,
      AUTH_URL: upstream.url,
      PRODUCT_URL: upstream.url,
      GATEWAY_BODY_LIMIT_BYTES: String(64 * 1024),
      GATEWAY_UPLOAD_LIMIT_BYTES: String(256 * 1024),
    });
  });
  afterAll(async () => {
    await small.close();
    await jwks.close();
  });

  it('answers 413 before contacting the upstream when content-length is over the limit', async () => {
    const before = upstream.seen.length;
    const res = await send(small.url, '/api/auth/raw', {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body: randomBytes(64 * 1024 + 1),
    });
    expect(res.status).toBe(413);
    expect(res.json().error).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', requestId: res.headers['x-request-id'] });
    // a request sent after it reaches the upstream: the refused one would have reached it first
    const after = await send(small.url, '/api/auth/raw?after-413', {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body: randomBytes(16),
    });
    expect(after.status).toBe(200);
    expect(upstream.seen.slice(before).map((r) => r.url)).toEqual(['/api/auth/raw?after-413']);
  });

  it('lets a body at the limit through', async () => {
    const body = randomBytes(64 * 1024);
    const res = await send(small.url, '/api/auth/raw', {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body,
    });
    expect(res.status).toBe(200);
    expect(res.body.equals(body)).toBe(true);
  });

  it('answers 413 for a chunked body that grows past the limit', async () => {
    const res = await send(small.url, '/api/auth/raw', {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream', 'transfer-encoding': 'chunked' },
      body: [randomBytes(40 * 1024), randomBytes(40 * 1024)],
    });
    expect(res.status).toBe(413);
    expect(res.json().error.code).toBe('PAYLOAD_TOO_LARGE');
  });

  const multipart = () => ({ 'content-type': 'multipart/form-data; boundary=x', ...seller });

  it('lets a multipart upload over the body limit through on a route that takes uploads', async () => {
    const body = randomBytes(200 * 1024);
    const res = await send(small.url, '/api/products/raw', { method: 'POST', headers: multipart(), body });
    expect(res.status).toBe(200);
    expect(res.headers['x-body-sha256']).toBe(sha256(body));
  });

  it('still limits uploads: over the upload limit is 413, announced or chunked', async () => {
    const announced = await send(small.url, '/api/products/raw', {
      method: 'POST',
      headers: multipart(),
      body: randomBytes(256 * 1024 + 1),
    });
    expect(announced.status).toBe(413);
    const chunked = await send(small.url, '/api/products/raw', {
      method: 'POST',
      headers: { ...multipart(), 'transfer-encoding': 'chunked' },
      body: [randomBytes(200 * 1024), randomBytes(100 * 1024)],
    });
    expect(chunked.status).toBe(413);
    expect(chunked.json().error.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('waits longer for an upload to be processed than for other requests', async () => {
    const impatient = await startTestGateway({
      AUTH_JWKS_URL: jwks.url,
      PRODUCT_URL: upstream.url,
      UPSTREAM_TIMEOUT_MS: '200',
      GATEWAY_UPLOAD_TIMEOUT_MS: '30000',
    });
    try {
      // the upstream answers after 3 s: beyond UPSTREAM_TIMEOUT_MS, within the upload timeout
      const upload = await send(impatient.url, '/api/products/slow', {
        method: 'POST',
        headers: multipart(),
        body: randomBytes(1024),
      });
      expect(upload.status).toBe(200);
      const json = await send(impatient.url, '/api/products/slow', {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...seller },
        body: '{}',
      });
      expect(json.status).toBe(504);
    } finally {
      await impatient.close();
    }
  });

  it('keeps the body limit for JSON on upload routes and for multipart elsewhere', async () => {
    const json = await send(small.url, '/api/products/raw', {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...seller },
      body: randomBytes(100 * 1024),
    });
    expect(json.status).toBe(413);
    const elsewhere = await send(small.url, '/api/auth/raw', {
      method: 'POST',
      headers: multipart(),
      body: randomBytes(100 * 1024),
    });
    expect(elsewhere.status).toBe(413);
  });
});

describe('server-sent events', () => {
  let events: TestServer;
  let sse: TestGateway;
  let secondWrittenAt = 0;
  let clientGone = false;

  beforeAll(async () => {
    events = await startServer(
      async (req, res) => {
        res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
        res.write('data: first\n\n');
        if (req.url?.includes('forever')) {
          res.on('close', () => {
            clientGone = true;
          });
          return;
        }
        await sleep(req.url?.includes('slow') ? 2500 : 500);
        secondWrittenAt = Date.now();
        res.write('data: second\n\n');
        res.end();
      },
      { readBody: false },
    );
    // the same event source behind a streaming entry (notifications) and a plain one (auth)
    sse = await startTestGateway({ NOTIFICATION_URL: events.url, AUTH_URL: events.url, UPSTREAM_TIMEOUT_MS: '300' });
  });

  afterAll(async () => {
    await sse.close();
    await events.close();
  });

  const listen = (path: string) =>
    new Promise<{ chunks: { at: number; text: string }[]; status: number }>((resolve, reject) => {
      const chunks: { at: number; text: string }[] = [];
      get(`${sse.url}${path}`, (res) => {
        res.setEncoding('utf8');
        res.on('data', (text: string) => chunks.push({ at: Date.now(), text }));
        res.on('end', () => resolve({ chunks, status: res.statusCode ?? 0 }));
        res.on('error', reject);
      }).on('error', reject);
    });

  it('delivers each event as it is written', async () => {
    const { chunks, status } = await listen('/api/notifications/stream');
    expect(status).toBe(200);
    expect(chunks[0]?.text).toBe('data: first\n\n');
    expect(chunks[0]!.at).toBeLessThan(secondWrittenAt);
    expect(chunks.map((c) => c.text).join('')).toBe('data: first\n\ndata: second\n\n');
  });

  it('keeps a quiet stream open longer than the upstream timeout on a streaming route', async () => {
    const { chunks } = await listen('/api/notifications/stream?slow=1');
    expect(chunks.map((c) => c.text).join('')).toBe('data: first\n\ndata: second\n\n');
  });

  it('applies the body timeout on a route not marked as streaming', async () => {
    const result = await listen('/api/auth/events?slow=1').then(
      (r) => r.chunks.map((c) => c.text).join(''),
      () => 'cut',
    );
    expect(result).not.toContain('second');
  });

  it('closes the upstream stream when the client goes away', async () => {
    await new Promise<void>((resolve, reject) => {
      const req = get(`${sse.url}/api/notifications/stream?forever=1`, (res) => {
        res.once('data', () => {
          req.destroy();
          resolve();
        });
      });
      req.on('error', () => {});
      setTimeout(() => reject(new Error('no first event')), 2000);
    });
    await eventually(() => expect(clientGone).toBe(true), 3000);
  });

  it('ends open streams when the gateway shuts down instead of waiting for them', async () => {
    const draining = await startTestGateway({ NOTIFICATION_URL: events.url });
    const ended = new Promise<void>((resolve, reject) => {
      get(`${draining.url}/api/notifications/stream?forever=1`, (res) => {
        res.once('data', () => void draining.close());
        res.on('close', () => resolve());
      }).on('error', () => resolve());
      setTimeout(() => reject(new Error('stream still open')), 3000);
    });
    await expect(ended).resolves.toBeUndefined();
  });
});
