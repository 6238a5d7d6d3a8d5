// `npm run k8s:generate`: writes deploy/k8s/base/services/<name>.yaml (Deployment, Service, PodDisruptionBudget,
// HorizontalPodAutoscaler, NetworkPolicy) and base/kustomization.yaml from deploy/services.json, so every
// service is deployed the same way. deploy/test/k8s.test.ts fails when the files are not what this writes.
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { stringify } from 'yaml';
import { type DeployedService, ROOT, SERVICES } from '../services.js';

export const K8S = join(ROOT, 'deploy', 'k8s');
export const BASE = join(K8S, 'base');
/** the image tag the base names; overlays set their registry and tag (`images:`) */
export const IMAGE_TAG = '0.1.0';
/** the Secret every overlay expects (created by the operator, see deploy/k8s/README.md), and its keys */
export const SECRET = 'microbazaar-secrets';
/**
 * Seconds between SIGTERM and SIGKILL: above the pause with readiness 503 (DRAIN_DELAY_MS in config.env)
 * plus the drain (SHUTDOWN_TIMEOUT_MS); deploy/test/k8s.test.ts checks the sum.
 */
export const GRACE_SECONDS = 45;
/** the namespace of the ingress controller: the only way into the gateway from outside */
export const INGRESS_NAMESPACE = 'ingress-nginx';
/** where Prometheus runs: it may scrape /metrics of every service */
export const MONITORING_NAMESPACE = 'monitoring';

const PARTOF = { 'app.kubernetes.io/part-of': 'microbazaar' };
const selectorOf = (name: string) => ({ 'app.kubernetes.io/name': name });
const labelsOf = (name: string, component = 'service') => ({
  ...selectorOf(name),
  'app.kubernetes.io/component': component,
  ...PARTOF,
});

const secret = (name: string, key: string, optional = false) => ({
  name,
  valueFrom: { secretKeyRef: { name: SECRET, key, ...(optional ? { optional: true } : {}) } },
});

/** What each service reads from the Secret: its own database role, the shared brokers, its own credentials. */
export function secretEnv(s: DeployedService): Array<ReturnType<typeof secret>> {
  const env = [];
  if (s.database) env.push(secret('DATABASE_URL', `${s.name}-database-url`));
  if (s.cache) env.push(secret('REDIS_URL', 'redis-url'));
  if (s.bus) env.push(secret('RABBITMQ_URL', 'rabbitmq-url'));
  switch (s.name) {
    case 'auth':
      env.push(secret('JWT_KEY_ENCRYPTION_SECRET', 'jwt-key-encryption-secret'));
      // first start only: no admin is created without it
      env.push(secret('ADMIN_PASSWORD', 'admin-password', true));
      break;
    case 'cart':
      // keys the MAC of guest cart ids: the same on every replica, required in production
      env.push(secret('CART_ID_SECRET', 'cart-id-secret'));
      break;
    case 'payment':
      env.push(secret('STRIPE_SECRET_KEY', 'stripe-secret-key', true));
      env.push(secret('STRIPE_WEBHOOK_SECRET', 'stripe-webhook-secret', true));
      break;
    case 'notification':
      // required by the service in production (it will not start without); the dev overlay writes mails to files
      env.push(secret('SMTP_URL', 'smtp-url', true));
      env.push(secret('TWILIO_AUTH_TOKEN', 'twilio-auth-token', true));
      break;
    case 'product':
      env.push(secret('IMAGEKIT_PRIVATE_KEY', 'imagekit-private-key', true));
      break;
    case 'assistant':
      env.push(secret('LLM_API_KEY', 'llm-api-key', true));
      break;
  }
  return env;
}

/** Ports of the backends a service talks to (egress). */
export function backendPorts(s: DeployedService): number[] {
  return [...(s.database ? [5432] : []), ...(s.cache ? [6379, 6380] : []), ...(s.bus ? [5671, 5672] : [])];
}

/** Ports of the outside endpoints a service reaches (HTTPS APIs, SMTP submission). */
export function egressPorts(s: DeployedService): number[] {
  const ports = new Set<number>();
  for (const e of s.egress) {
    if (e === 'smtp') for (const p of [25, 465, 587]) ports.add(p);
    else ports.add(443);
  }
  return [...ports];
}

function deployment(s: DeployedService): object {
  const probe = (path: string, extra: object) => ({ httpGet: { path, port: 'http' }, timeoutSeconds: 3, ...extra });
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: s.name, labels: labelsOf(s.name) },
    spec: {
      replicas: 2,
      revisionHistoryLimit: 5,
      selector: { matchLabels: selectorOf(s.name) },
      // a new pod is ready before an old one goes (readiness on /health/ready)
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
      template: {
        metadata: { labels: labelsOf(s.name) },
        spec: {
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          terminationGracePeriodSeconds: GRACE_SECONDS,
          securityContext: {
            runAsNonRoot: true,
            runAsUser: 1000,
            runAsGroup: 1000,
            fsGroup: 1000,
            seccompProfile: { type: 'RuntimeDefault' },
          },
          topologySpreadConstraints: [
            {
              maxSkew: 1,
              topologyKey: 'topology.kubernetes.io/zone',
              whenUnsatisfiable: 'ScheduleAnyway',
              labelSelector: { matchLabels: selectorOf(s.name) },
            },
          ],
          containers: [
            {
              name: s.name,
              image: `microbazaar/${s.name}:${IMAGE_TAG}`,
              ports: [{ name: 'http', containerPort: s.port }],
              envFrom: [{ configMapRef: { name: 'microbazaar-config' } }],
              env: [{ name: 'PORT', value: String(s.port) }, ...secretEnv(s)],
              resources: {
                requests: { cpu: '100m', memory: `${Math.round(s.memory / 2)}Mi` },
                limits: { cpu: '1', memory: `${s.memory}Mi` },
              },
              startupProbe: probe('/health/live', { periodSeconds: 2, failureThreshold: 30 }),
              livenessProbe: probe('/health/live', { periodSeconds: 10, failureThreshold: 3 }),
              readinessProbe: probe('/health/ready', { periodSeconds: 5, failureThreshold: 2 }),
              // no preStop pause: on SIGTERM the service itself keeps serving for DRAIN_DELAY_MS with readiness 503
              // and closes each keep-alive connection after its answer, while the endpoints and the ingress forget
              // the pod (a preStop sleep would leave pooled connections, the gateway's, pointing here)
              securityContext: {
                allowPrivilegeEscalation: false,
                readOnlyRootFilesystem: true,
                capabilities: { drop: ['ALL'] },
              },
              volumeMounts: [
                { name: 'tmp', mountPath: '/tmp' },
                { name: 'data', mountPath: '/data' },
              ],
            },
          ],
          volumes: [
            { name: 'tmp', emptyDir: { sizeLimit: '64Mi' } },
            { name: 'data', emptyDir: { sizeLimit: '1Gi' } },
          ],
        },
      },
    },
  };
}

function service(s: DeployedService): object {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: s.name, labels: labelsOf(s.name) },
    spec: {
      type: 'ClusterIP',
      selector: selectorOf(s.name),
      ports: [{ name: 'http', port: s.port, targetPort: 'http' }],
    },
  };
}

function disruptionBudget(s: DeployedService): object {
  return {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: { name: s.name, labels: labelsOf(s.name) },
    spec: { maxUnavailable: 1, selector: { matchLabels: selectorOf(s.name) } },
  };
}

function autoscaler(s: DeployedService): object {
  return {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name: s.name, labels: labelsOf(s.name) },
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: s.name },
      minReplicas: 2,
      maxReplicas: 10,
      metrics: [
        { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } },
      ],
      // scale in slowly: a burst that comes back finds its pods still there
      behavior: { scaleDown: { stabilizationWindowSeconds: 300 } },
    },
  };
}

/** Who may call a service: the services that list it in `calls`, the ingress for the gateway, Prometheus. */
function networkPolicy(s: DeployedService): object {
  const callers = SERVICES.filter((c) => c.calls.includes(s.name)).map((c) => c.name);
  const from: object[] = callers.map((c) => ({ podSelector: { matchLabels: selectorOf(c) } }));
  if (s.public) from.push({ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': INGRESS_NAMESPACE } } });
  const egress: object[] = s.calls
    .map((name) => SERVICES.find((t) => t.name === name))
    .filter((t): t is DeployedService => t !== undefined)
    .map((t) => ({
      to: [{ podSelector: { matchLabels: selectorOf(t.name) } }],
      ports: [{ protocol: 'TCP', port: t.port }],
    }));
  // PostgreSQL, Redis and RabbitMQ live outside the cluster in production (managed or an operator's
  // namespace), so their rule names ports; an overlay may narrow it with an ipBlock of the data subnets
  const backends = backendPorts(s);
  if (backends.length) egress.push({ ports: backends.map((port) => ({ protocol: 'TCP', port })) });
  const outside = egressPorts(s);
  if (outside.length) egress.push({ ports: outside.map((port) => ({ protocol: 'TCP', port })) });
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: s.name, labels: labelsOf(s.name) },
    spec: {
      podSelector: { matchLabels: selectorOf(s.name) },
      policyTypes: ['Ingress', 'Egress'],
      ingress: [
        ...(from.length ? [{ from, ports: [{ protocol: 'TCP', port: s.port }] }] : []),
        {
          from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': MONITORING_NAMESPACE } } }],
          ports: [{ protocol: 'TCP', port: s.port }],
        },
      ],
      egress,
    },
  };
}

export function manifestsOf(s: DeployedService): object[] {
  return [deployment(s), service(s), disruptionBudget(s), ...(s.autoscale ? [autoscaler(s)] : []), networkPolicy(s)];
}

const HEADER =
  '# Generated by `npm run k8s:generate` from deploy/services.json: edit the table or deploy/k8s/generate.ts.\n';

/** Every generated file: path relative to deploy/k8s/base → content. */
export function generated(): Map<string, string> {
  const files = new Map<string, string>();
  for (const s of SERVICES) {
    files.set(
      `services/${s.name}.yaml`,
      HEADER +
        manifestsOf(s)
          .map((m) => stringify(m, { lineWidth: 0 }))
          .join('---\n'),
    );
  }
  const kustomization = {
    apiVersion: 'kustomize.config.k8s.io/v1beta1',
    kind: 'Kustomization',
    labels: [{ pairs: PARTOF, includeSelectors: false }],
    resources: [
      'network-defaults.yaml',
      'ingress.yaml',
      'jobs.yaml',
      ...SERVICES.map((s) => `services/${s.name}.yaml`),
    ],
    configMapGenerator: [{ name: 'microbazaar-config', envs: ['config.env'] }],
  };
  files.set('kustomization.yaml', HEADER + stringify(kustomization, { lineWidth: 0 }));
  return files;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  rmSync(join(BASE, 'services'), { recursive: true, force: true });
  mkdirSync(join(BASE, 'services'), { recursive: true });
  for (const [path, content] of generated()) writeFileSync(join(BASE, path), content);
  console.log(`wrote ${readdirSync(join(BASE, 'services')).length} services and kustomization.yaml in deploy/k8s/base`);
}
