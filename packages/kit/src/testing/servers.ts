// Loopback stand-ins for a service's neighbours in tests: any HTTP server (recordingServer), the auth
// service's keys and tokens (startTokenIssuer), an OpenTelemetry collector (otlpReceiver), and a free port
// for a child process (freePort).
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createTcpServer } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import type { Role } from '../auth.js';
import { TOKEN_REVOCATIONS_PATH } from '../revocations.js';

/** A span as an OTLP collector received it, with the service.name of its resource. */
export interface ReceivedSpan {
  service: string | undefined;
  name: string;
  /** OTLP span kind: 2 server, 3 client, 5 consumer */
  kind: number;
  traceId: string;
  spanId: string;
  parentSpanId: string | undefined;
  traceState: string | undefined;
  /** OTLP status code: 2 error */
  statusCode: number | undefined;
  attributes: Record<string, unknown>;
}

interface OtlpValue {
  stringValue?: string;
  intValue?: string | number;
  boolValue?: boolean;
  doubleValue?: number;
}
type OtlpAttributes = Array<{ key: string; value: OtlpValue }> | undefined;

function otlpAttributes(list: OtlpAttributes): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const { key, value } of list ?? []) {
    out[key] =
      value.stringValue ??
      (value.intValue !== undefined ? Number(value.intValue) : undefined) ??
      value.boolValue ??
      value.doubleValue;
  }
  return out;
}

/** A loopback OTLP/HTTP collector taking the JSON encoding the kit's exporter sends, flattened to spans. */
export async function otlpReceiver(): Promise<{ url: string; spans: ReceivedSpan[]; close(): Promise<void> }> {
  const spans: ReceivedSpan[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/v1/traces' || !/json/.test(req.headers['content-type'] ?? '')) {
        res.writeHead(415).end();
        return;
      }
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
        resourceSpans?: Array<{
          resource?: { attributes?: OtlpAttributes };
          scopeSpans?: Array<{ spans?: Array<Record<string, unknown>> }>;
        }>;
      };
      for (const rs of body.resourceSpans ?? []) {
        const service = otlpAttributes(rs.resource?.attributes)['service.name'] as string | undefined;
        for (const ss of rs.scopeSpans ?? []) {
          for (const s of ss.spans ?? []) {
            spans.push({
              service,
              name: s.name as string,
              kind: s.kind as number,
              traceId: s.traceId as string,
              spanId: s.spanId as string,
              parentSpanId: (s.parentSpanId as string | undefined) || undefined,
              traceState: (s.traceState as string | undefined) || undefined,
              statusCode: (s.status as { code?: number } | undefined)?.code,
              attributes: otlpAttributes(s.attributes as OtlpAttributes),
            });
          }
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    spans,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A loopback port nothing listens on right now: for a child process that must be told its port before it starts. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createTcpServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const address = s.address();
      s.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** A loopback HTTP server on port 0 that records every request's headers: a stand-in for another service. */
export interface RecordingServer {
  url: string;
  /** headers of every request, oldest first */
  seen: IncomingHttpHeaders[];
  close(): Promise<void>;
}

export async function recordingServer(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<RecordingServer> {
  const seen: RecordingServer['seen'] = [];
  const server = createServer((req, res) => {
    seen.push(req.headers);
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return {
    url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * What a stand-in for the auth service answers at `url`: an empty token revocation list at
 * TOKEN_REVOCATIONS_PATH (every verifier reads it), its JWKS anywhere else.
 */
export function authStandInBody(url: string | undefined, jwks: { keys: unknown[] }): unknown {
  return url?.startsWith(TOKEN_REVOCATIONS_PATH) ? { cursor: new Date().toISOString(), revocations: [] } : jwks;
}

/** Answers a stand-in's request with JSON. */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

export interface SignOptions {
  /** default `<role>-<first 8 of the id>@example.com` */
  email?: string;
  /** jose duration or seconds; default 15 minutes */
  expiresIn?: string | number;
  /** more claims, or other values for role and email */
  claims?: Record<string, unknown>;
}

/** Issues access tokens the way the auth service does, with a JWKS endpoint of its own on loopback. */
export interface TokenIssuer {
  /** the server's base URL */
  url: string;
  /** `<url>/.well-known/jwks.json`: the AUTH_JWKS_URL of the service under test */
  jwksUrl: string;
  /** an access token: EdDSA (Ed25519) with the published kid, the configured issuer and audience */
  sign(userId: string, role?: Role, opts?: SignOptions): Promise<string>;
  close(): Promise<void>;
}

/**
 * A stand-in for the auth service with one fresh Ed25519 key (its JWKS, and an empty revocation list):
 * tokens it signs verify in a service pointed at jwksUrl.
 */
export async function startTokenIssuer(opts: { issuer?: string; audience?: string } = {}): Promise<TokenIssuer> {
  const { publicKey, privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  const kid = randomUUID();
  const jwks = { keys: [{ ...(await exportJWK(publicKey)), kid, alg: 'EdDSA', use: 'sig' }] };
  const server = await recordingServer((req, res) => sendJson(res, 200, authStandInBody(req.url, jwks)));
  return {
    url: server.url,
    jwksUrl: `${server.url}/.well-known/jwks.json`,
    sign: (userId, role = 'customer', o = {}) =>
      new SignJWT({ role, email: o.email ?? `${role}-${userId.slice(0, 8)}@example.com`, ...o.claims })
        .setProtectedHeader({ alg: 'EdDSA', kid, typ: 'JWT' })
        .setSubject(userId)
        .setIssuer(opts.issuer ?? 'microbazaar-auth')
        .setAudience(opts.audience ?? 'microbazaar')
        .setIssuedAt()
        .setExpirationTime(o.expiresIn ?? '15m')
        .sign(privateKey),
    close: server.close,
  };
}
