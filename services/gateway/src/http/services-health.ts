// GET /health/services: each upstream's own readiness in one answer (the admin's health panel).
import type { App, Guards } from '@microbazaar/kit';
import type { Upstreams } from './proxy.js';

export interface ServiceHealth {
  service: string;
  status: 'ok' | 'unavailable';
  /** the service's own /health/ready body when it answered */
  checks: Record<string, unknown> | null;
  ms: number;
}

export function servicesHealthRoutes(
  app: App,
  opts: { upstreams: Upstreams; guards: Guards; timeoutMs: number },
): void {
  const ask = async (name: string, upstream: Upstreams extends ReadonlyMap<string, infer U> ? U : never) => {
    const started = performance.now();
    try {
      const res = await upstream.pool.request({
        method: 'GET',
        path: '/health/ready',
        headersTimeout: opts.timeoutMs,
        bodyTimeout: opts.timeoutMs,
      });
      const text = await res.body.text();
      let checks: Record<string, unknown> | null = null;
      try {
        checks = JSON.parse(text) as Record<string, unknown>;
      } catch {
        // not JSON: the status says enough
      }
      const status: ServiceHealth['status'] = res.statusCode === 200 ? 'ok' : 'unavailable';
      return { service: name, status, checks, ms: Math.round(performance.now() - started) };
    } catch (err) {
      return {
        service: name,
        status: 'unavailable' as const,
        checks: { error: (err as Error).message },
        ms: Math.round(performance.now() - started),
      };
    }
  };
  // what each service says (its checks, error texts with addresses) is for admins; anyone else sees up or down
  app.get('/health/services', { schema: { hide: true }, preHandler: opts.guards.optional }, async (req, reply) => {
    const all = await Promise.all([...opts.upstreams].map(([name, u]) => ask(name, u)));
    const ok = all.every((s) => s.status === 'ok');
    const services = req.principal?.role === 'admin' ? all : all.map((s) => ({ ...s, checks: null }));
    return reply.code(ok ? 200 : 503).send({ status: ok ? 'ok' : 'degraded', services });
  });
}
