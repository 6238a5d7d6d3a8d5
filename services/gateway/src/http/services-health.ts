// GET /health/services: each upstream's own readiness in one answer (the admin's health panel).
import type { App, Guards } from '@microbazaar/kit';
import { type Upstreams, upstreamReadiness } from '../adapters/upstreams.js';

export function servicesHealthRoutes(
  app: App,
  opts: { upstreams: Upstreams; guards: Guards; timeoutMs: number },
): void {
  // what each service says (its checks, error texts with addresses) is for admins; anyone else sees up or down
  app.get('/health/services', { schema: { hide: true }, preHandler: opts.guards.optional }, async (req, reply) => {
    const all = await Promise.all([...opts.upstreams.values()].map((u) => upstreamReadiness(u, opts.timeoutMs)));
    const ok = all.every((s) => s.status === 'ok');
    const services = req.principal?.role === 'admin' ? all : all.map((s) => ({ ...s, checks: null }));
    return reply.code(ok ? 200 : 503).send({ status: ok ? 'ok' : 'degraded', services });
  });
}
