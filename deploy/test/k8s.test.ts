// The Kustomize overlays rendered offline (`kubectl kustomize`), every object checked against the Kubernetes
// schemas (kubernetes-models, installed in deploy/k8s by `npm run deploy:tools`), then against the rules of
// issue 13: probes, limits, non-root, services that select something, references that exist, pinned images,
// network policies that let only the gateway in from the ingress and each service reach only what it calls.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { BASE, GRACE_SECONDS, generated, K8S, SECRET } from '../k8s/generate.js';
import { SERVICES } from '../services.js';

/** Made outside these manifests, by whoever operates the cluster (deploy/k8s/README.md says how). */
const OPERATOR_PROVIDED = { Secret: [SECRET, 'gateway-tls'], ConfigMap: [] as string[] };

// biome-ignore lint/suspicious/noExplicitAny: rendered Kubernetes objects are checked field by field below
type K8sObject = Record<string, any>;

function render(overlay: string): K8sObject[] {
  const out = execFileSync('kubectl', ['kustomize', join(K8S, 'overlays', overlay)], { encoding: 'utf8' });
  return parseAllDocuments(out)
    .map((d) => d.toJS() as K8sObject)
    .filter(Boolean);
}

const MODELS = join(K8S, 'node_modules', 'kubernetes-models');

/** The kubernetes-models class of an object's apiVersion and kind. */
async function modelOf(obj: K8sObject): Promise<new (data: K8sObject) => { validate(): void }> {
  const dir = String(obj.apiVersion);
  const file = join(MODELS, dir, `${obj.kind}.mjs`);
  if (!existsSync(file)) throw new Error(`no schema for ${obj.apiVersion} ${obj.kind} (${file})`);
  const mod = (await import(pathToFileURL(file).href)) as Record<string, new (data: K8sObject) => { validate(): void }>;
  return mod[obj.kind as string]!;
}

const podSpecOf = (o: K8sObject): K8sObject | undefined =>
  o.kind === 'Deployment' || o.kind === 'StatefulSet' || o.kind === 'Job' ? o.spec.template.spec : undefined;

describe('Kubernetes manifests', () => {
  it('the generated base files are what deploy/k8s/generate.ts writes from deploy/services.json', () => {
    for (const [path, content] of generated()) {
      const file = join(BASE, path);
      expect(existsSync(file) && readFileSync(file, 'utf8') === content, `${path}: run npm run k8s:generate`).toBe(
        true,
      );
    }
  });

  it('the Kubernetes schemas are installed (npm run deploy:tools)', () => {
    expect(existsSync(join(MODELS, 'package.json')), `${MODELS}: run npm run deploy:tools`).toBe(true);
  });

  for (const overlay of ['dev', 'production']) {
    describe(`overlay ${overlay}`, () => {
      let objects: K8sObject[] = [];
      const ofKind = (kind: string) => objects.filter((o) => o.kind === kind);
      const named = (kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata.name === name);
      let config: Record<string, string> = {};

      beforeAll(() => {
        objects = render(overlay);
        config = ofKind('ConfigMap').find((c) => c.metadata.name.startsWith('microbazaar-config'))?.data ?? {};
      });

      it('renders, and every object is valid against the Kubernetes schemas', async () => {
        expect(objects.length).toBeGreaterThan(30);
        const invalid: string[] = [];
        for (const obj of objects) {
          try {
            new (await modelOf(obj))(obj).validate();
          } catch (err) {
            invalid.push(`${obj.kind}/${obj.metadata?.name}: ${(err as Error).message}`);
          }
        }
        expect(invalid).toEqual([]);
      });

      it('has a Deployment, a Service and a PodDisruptionBudget per service, HPAs on CPU where the table says', () => {
        for (const s of SERVICES) {
          expect(named('Deployment', s.name), s.name).toBeDefined();
          expect(named('Service', s.name)?.spec.ports[0].port, s.name).toBe(s.port);
          expect(named('PodDisruptionBudget', s.name), s.name).toBeDefined();
          const hpa = named('HorizontalPodAutoscaler', s.name);
          expect(Boolean(hpa), `${s.name} autoscaled`).toBe(s.autoscale);
          if (hpa) {
            expect(hpa.spec.scaleTargetRef).toMatchObject({ kind: 'Deployment', name: s.name });
            expect(hpa.spec.metrics[0].resource.name).toBe('cpu');
          }
        }
        expect(
          ofKind('HorizontalPodAutoscaler')
            .map((h) => h.metadata.name)
            .sort(),
        ).toEqual(
          SERVICES.filter((s) => s.autoscale)
            .map((s) => s.name)
            .sort(),
        );
      });

      it('every Deployment: three probes on the health routes, requests and limits, non-root, read-only, no capabilities', () => {
        for (const d of ofKind('Deployment')) {
          const pod = podSpecOf(d)!;
          const where = `Deployment ${d.metadata.name}`;
          expect(pod.securityContext?.runAsNonRoot, where).toBe(true);
          expect(pod.automountServiceAccountToken, where).toBe(false);
          for (const c of pod.containers) {
            expect(c.startupProbe?.httpGet?.path, `${where} startup`).toBe('/health/live');
            expect(c.livenessProbe?.httpGet?.path, `${where} liveness`).toBe('/health/live');
            expect(c.readinessProbe?.httpGet?.path, `${where} readiness`).toBe('/health/ready');
            expect(c.resources?.requests?.cpu && c.resources?.requests?.memory, `${where} requests`).toBeTruthy();
            expect(c.resources?.limits?.cpu && c.resources?.limits?.memory, `${where} limits`).toBeTruthy();
            expect(c.securityContext?.readOnlyRootFilesystem, where).toBe(true);
            expect(c.securityContext?.allowPrivilegeEscalation, where).toBe(false);
            expect(c.securityContext?.capabilities?.drop, where).toEqual(['ALL']);
          }
          // after SIGTERM: readiness 503 while still serving (the endpoints and the ingress forget the pod),
          // then the drain; both fit in the grace period
          const delayMs = Number(config.DRAIN_DELAY_MS ?? 0);
          const drainMs = Number(config.SHUTDOWN_TIMEOUT_MS ?? 10_000);
          expect(delayMs, where).toBeGreaterThanOrEqual(5000);
          expect(pod.terminationGracePeriodSeconds * 1000, where).toBeGreaterThan(delayMs + drainMs);
          for (const c of pod.containers)
            expect(c.lifecycle?.preStop, `${where}: the service pauses itself`).toBeUndefined();
          expect(pod.terminationGracePeriodSeconds).toBe(GRACE_SECONDS);
          expect(d.spec.strategy.rollingUpdate.maxUnavailable, where).toBe(0);
        }
      });

      it('every Service selects the pods of a Deployment or StatefulSet', () => {
        const workloads = [...ofKind('Deployment'), ...ofKind('StatefulSet')];
        for (const svc of ofKind('Service')) {
          const selector = Object.entries(svc.spec.selector ?? {});
          expect(selector.length, `Service ${svc.metadata.name}`).toBeGreaterThan(0);
          const target = workloads.find((w) => selector.every(([k, v]) => w.spec.template.metadata.labels?.[k] === v));
          expect(target, `Service ${svc.metadata.name} selects nothing`).toBeDefined();
          const ports = target!.spec.template.spec.containers.flatMap((c: K8sObject) =>
            (c.ports ?? []).map((p: K8sObject) => p.name),
          );
          for (const p of svc.spec.ports)
            expect(ports, `Service ${svc.metadata.name} → ${p.targetPort}`).toContain(p.targetPort);
        }
      });

      it('every ConfigMap and Secret referenced exists, or is one the operator provides (deploy/k8s/README.md)', () => {
        const readme = readFileSync(join(K8S, 'README.md'), 'utf8');
        const missing: string[] = [];
        const exists = (kind: 'ConfigMap' | 'Secret', name: string) =>
          Boolean(named(kind, name)) || OPERATOR_PROVIDED[kind].includes(name);
        for (const o of objects) {
          const pod = podSpecOf(o);
          if (!pod) continue;
          for (const c of [...(pod.initContainers ?? []), ...pod.containers]) {
            for (const from of c.envFrom ?? []) {
              if (from.configMapRef && !exists('ConfigMap', from.configMapRef.name))
                missing.push(`${o.metadata.name}: ConfigMap ${from.configMapRef.name}`);
              if (from.secretRef && !exists('Secret', from.secretRef.name))
                missing.push(`${o.metadata.name}: Secret ${from.secretRef.name}`);
            }
            for (const e of c.env ?? []) {
              const ref = e.valueFrom?.secretKeyRef ?? e.valueFrom?.configMapKeyRef;
              const kind = e.valueFrom?.secretKeyRef ? 'Secret' : 'ConfigMap';
              if (ref && !exists(kind, ref.name)) missing.push(`${o.metadata.name}: ${kind} ${ref.name}`);
              // every key of the operator's Secret is named in the README
              if (e.valueFrom?.secretKeyRef?.name === SECRET && !readme.includes(`\`${ref.key}\``))
                missing.push(`README: key ${ref.key}`);
            }
          }
          for (const v of pod.volumes ?? []) {
            if (v.configMap && !exists('ConfigMap', v.configMap.name))
              missing.push(`volume ConfigMap ${v.configMap.name}`);
            if (v.secret && !exists('Secret', v.secret.secretName))
              missing.push(`volume Secret ${v.secret.secretName}`);
          }
        }
        for (const ing of ofKind('Ingress'))
          for (const tls of ing.spec.tls ?? [])
            if (!exists('Secret', tls.secretName)) missing.push(`Ingress TLS ${tls.secretName}`);
        for (const name of [...OPERATOR_PROVIDED.Secret]) expect(readme, name).toContain(name);
        expect([...new Set(missing)]).toEqual([]);
      });

      it('every image is pinned to a version (never latest or untagged)', () => {
        for (const o of objects) {
          const pod = podSpecOf(o);
          for (const c of [...(pod?.initContainers ?? []), ...(pod?.containers ?? [])])
            expect(c.image, `${o.kind} ${o.metadata.name}`).toMatch(
              /^[^@]+:(?!latest$)[\w][\w.-]*$|@sha256:[0-9a-f]{64}$/,
            );
        }
      });

      it('network: all denied by default; only the gateway is reachable from the ingress; each service reaches what it calls', () => {
        const deny = named('NetworkPolicy', 'default-deny');
        expect(deny?.spec).toMatchObject({ podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
        expect(deny?.spec.ingress ?? []).toEqual([]);
        for (const s of SERVICES) {
          const np = named('NetworkPolicy', s.name)!;
          const fromNamespaces = np.spec.ingress
            .flatMap((r: K8sObject) => r.from ?? [])
            .map((f: K8sObject) => f.namespaceSelector?.matchLabels?.['kubernetes.io/metadata.name'])
            .filter(Boolean);
          expect(fromNamespaces.includes('ingress-nginx'), `${s.name} from the ingress`).toBe(s.public);
          const fromPods = np.spec.ingress
            .flatMap((r: K8sObject) => r.from ?? [])
            .map((f: K8sObject) => f.podSelector?.matchLabels?.['app.kubernetes.io/name'])
            .filter(Boolean)
            .sort();
          expect(fromPods, `${s.name} callers`).toEqual(
            SERVICES.filter((c) => c.calls.includes(s.name))
              .map((c) => c.name)
              .sort(),
          );
          const toPods = np.spec.egress
            .flatMap((r: K8sObject) => r.to ?? [])
            .map((t: K8sObject) => t.podSelector?.matchLabels?.['app.kubernetes.io/name'])
            .filter(Boolean)
            .sort();
          expect(toPods, `${s.name} calls`).toEqual([...s.calls].sort());
        }
        const ingress = ofKind('Ingress');
        expect(ingress.length).toBe(1);
        expect(ingress[0]!.spec.rules[0].http.paths[0].backend.service.name).toBe('gateway');
      });

      it('runs the migrations and the broker topology as Jobs from the platform image', () => {
        const migrate = named('Job', 'migrate');
        const topology = named('Job', 'broker-topology');
        expect(migrate?.spec.template.spec.containers[0].command).toEqual(['node', 'scripts/dist/migrate.js']);
        expect(topology?.spec.template.spec.containers[0].command).toEqual([
          'node',
          'scripts/dist/events.js',
          'topology',
          'declare',
        ]);
        for (const job of [migrate!, topology!])
          expect(job.spec.template.spec.containers[0].image).toMatch(/\/platform:|^microbazaar\/platform:/);
      });

      it(
        overlay === 'dev'
          ? 'runs PostgreSQL, Redis and RabbitMQ in the namespace as single-replica StatefulSets'
          : 'keeps PostgreSQL, Redis and RabbitMQ outside the cluster',
        () => {
          const stateful = ofKind('StatefulSet')
            .map((s) => s.metadata.name)
            .sort();
          if (overlay === 'dev') {
            expect(stateful).toEqual(['postgres', 'rabbitmq', 'redis']);
            for (const s of ofKind('StatefulSet')) expect(s.spec.replicas).toBe(1);
          } else {
            expect(stateful).toEqual([]);
            for (const d of ofKind('Deployment')) expect(d.spec.replicas, d.metadata.name).toBeGreaterThanOrEqual(2);
            expect(ofKind('Ingress')[0]!.spec.tls?.[0]?.secretName).toBeDefined();
          }
        },
      );
    });
  }
});
