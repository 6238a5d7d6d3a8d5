// The whole shop for end-to-end tests and the checkout bench: auth, product, cart, order, payment and the
// gateway, either as separate processes on real PostgreSQL, Redis and RabbitMQ (each run under a BUS_PREFIX
// of its own on the broker's default vhost, so any broker the tests can reach will do), or embedded in this
// process (PGlite, in-memory cache and bus) through the same start functions the platform uses.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { QUEUES } from '@microbazaar/contracts';
import { DEFAULT_RETRY_POLICY, RabbitBus } from '@microbazaar/kit';
import { retryDelays } from '@microbazaar/kit/bus/consume';
import { testPrefix } from '@microbazaar/kit/bus/testkit';
import { createFaultProxy, type FaultProxy } from '@microbazaar/kit/faults';
import {
  createTestDatabase,
  deleteRedisPrefix,
  freePort,
  TEST_RABBITMQ_URL,
  TEST_REDIS_URL,
  type TestDatabase,
  uniquePrefix,
} from '@microbazaar/kit/testing';

export const ROOT = join(import.meta.dirname, '..', '..');

export const SERVICES = ['auth', 'product', 'cart', 'order', 'payment', 'gateway'] as const;
/** started only when a test asks for them (`StackOptions.with`): the assistant loads an embedding model */
export const OPTIONAL_SERVICES = ['assistant'] as const;
export type ServiceName = (typeof SERVICES)[number] | (typeof OPTIONAL_SERVICES)[number];
type Env = Record<string, string | undefined>;

/** where deploy tests and bench:footprint have taken it from */
export { freePort };

export async function waitReady(url: string, timeoutMs = 90_000, isAlive: () => boolean = () => true): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    if (!isAlive()) throw new Error(`${url} exited before it was ready`);
    try {
      const res = await fetch(`${url}/health/ready`, { signal: AbortSignal.timeout(2000) });
      if (res.ok) return;
      last = `${res.status} ${await res.text()}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error(`${url} not ready in ${timeoutMs} ms: ${last}`);
}

/**
 * Deletes what the services declared under `prefix`: every consumer queue with its .dlq and .retry.<delay>
 * queues (one per delay the given environments' retry policies can ask for), and the exchanges.
 */
export async function deleteBusTopology(prefix: string, envs: readonly Env[]): Promise<void> {
  const delays = new Set<number>();
  for (const env of envs) {
    const policy = {
      ...DEFAULT_RETRY_POLICY,
      ...(env.BUS_MAX_ATTEMPTS ? { maxAttempts: Number(env.BUS_MAX_ATTEMPTS) } : {}),
      ...(env.BUS_RETRY_DELAYS_MS ? { retryDelaysMs: env.BUS_RETRY_DELAYS_MS.split(',').map(Number) } : {}),
    };
    for (const delay of retryDelays(policy)) delays.add(delay);
  }
  // one policy whose retries ask for every one of those delays, so deleteTopology names each retry queue
  const cleaner = new RabbitBus({
    url: TEST_RABBITMQ_URL,
    prefix,
    name: 'e2e-cleanup',
    policy: { retryDelaysMs: [...delays], maxAttempts: delays.size + 1 },
  });
  try {
    await cleaner.deleteTopology(Object.values(QUEUES));
  } finally {
    await cleaner.close();
  }
}

export class ServiceProcess {
  child: ChildProcess | undefined;
  output = '';
  constructor(
    readonly name: ServiceName,
    readonly port: number,
    readonly env: Env,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get alive(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  async start(): Promise<void> {
    // node itself runs the service (tsx as a loader, not its CLI, which would put a process in between that a
    // SIGKILL cannot reach through): a kill here is a crash of the service
    // MBT_NODE_ARGS: extra node flags for this service (a benchmark's --cpu-prof)
    const nodeArgs = (this.env.MBT_NODE_ARGS ?? '').split(' ').filter(Boolean);
    const child = spawn(
      process.execPath,
      [...nodeArgs, '--import', 'tsx', join(ROOT, 'services', this.name, 'src', 'main.ts')],
      {
        cwd: ROOT,
        env: { PATH: process.env.PATH, HOME: process.env.HOME, ...this.env, PORT: String(this.port) },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    this.child = child;
    const keep = (d: Buffer) => {
      this.output = (this.output + d.toString()).slice(-20_000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    try {
      await waitReady(this.url, 90_000, () => this.alive);
    } catch (err) {
      throw new Error(`${this.name}: ${(err as Error).message}\n${this.output}`);
    }
  }

  /** SIGKILL: the process dies mid-work, as in a crash; SIGTERM: it drains. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const child = this.child;
    if (!child || !this.alive) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  }
}

export interface Stack {
  mode: 'distributed' | 'embedded';
  /** the gateway: every request of the tests goes through it */
  gateway: string;
  url(service: ServiceName): string;
  /** the services' shared PostgreSQL database (distributed mode), for checks the API does not expose */
  databaseUrl?: string;
  processes?: Map<ServiceName, ServiceProcess>;
  /** the TCP proxy every service reaches RabbitMQ through (distributed mode with brokerProxy) */
  broker?: FaultProxy;
  /** the TCP proxy every service reaches PostgreSQL through (distributed mode with dbProxy) */
  db?: FaultProxy;
  /** the RabbitMQ URL the services use, without the proxy (distributed mode) */
  rabbitUrl?: string;
  /** the BUS_PREFIX of every service's exchanges and queues: a bus of the test's own must use it too */
  busPrefix?: string;
  /** the in-memory broker every service shares (embedded mode) */
  memoryBroker?: import('@microbazaar/kit').MemoryBroker;
  stop(): Promise<void>;
}

export interface StackOptions {
  label: string;
  /** extra variables for every service, then per service (a function gets each service's URL) */
  env?: Env;
  serviceEnv?:
    | Partial<Record<ServiceName, Env>>
    | ((url: (s: ServiceName) => string) => Partial<Record<ServiceName, Env>>);
  /** services reach RabbitMQ through a proxy the test can cut */
  brokerProxy?: boolean;
  /** services reach PostgreSQL through a proxy the test can cut (`databaseUrl` stays direct) */
  dbProxy?: boolean;
  /** optional services to start too (distributed mode; the embedded platform always has them) */
  with?: ReadonlyArray<(typeof OPTIONAL_SERVICES)[number]>;
}

/** Every service as its own process, on real backends. */
export async function startDistributedStack(opts: StackOptions): Promise<Stack> {
  const database: TestDatabase = await createTestDatabase(opts.label);
  const busPrefix = testPrefix(opts.label);
  const broker = opts.brokerProxy ? await createFaultProxy(TEST_RABBITMQ_URL) : undefined;
  const db = opts.dbProxy ? await createFaultProxy(database.url) : undefined;
  const names: ServiceName[] = [...SERVICES, ...(opts.with ?? [])];
  const ports = Object.fromEntries(await Promise.all(names.map(async (s) => [s, await freePort()] as const))) as Record<
    ServiceName,
    number
  >;
  const url = (s: ServiceName) => `http://127.0.0.1:${ports[s]}`;
  const common: Env = {
    NODE_ENV: 'test',
    LOG_LEVEL: 'warn',
    HOST: '127.0.0.1',
    DATABASE_URL: db?.url ?? database.url,
    RABBITMQ_URL: broker?.url ?? TEST_RABBITMQ_URL,
    BUS_PREFIX: busPrefix,
    AUTH_JWKS_URL: `${url('auth')}/.well-known/jwks.json`,
    AUTH_URL: url('auth'),
    PRODUCT_URL: url('product'),
    CART_URL: url('cart'),
    ORDER_URL: url('order'),
    PAYMENT_URL: url('payment'),
    ...(ports.assistant ? { ASSISTANT_URL: url('assistant') } : {}),
    BUS_RETRY_DELAYS_MS: '200,500,1000',
    OUTBOX_SWEEP_INTERVAL_MS: '200',
    ...opts.env,
  };
  const perService: Record<ServiceName, Env> = {
    auth: {
      DEMO_DATA: 'true',
      REGISTRATIONS_PER_IP_PER_HOUR: '100000',
      PASSWORD_HASH_MEMORY_KIB: '4096',
      PASSWORD_HASH_TIME_COST: '1',
    },
    product: { DEMO_DATA: 'false', DATA_DIR: mkdtempSync(join(tmpdir(), 'mbt-e2e-product-')) },
    cart: { REDIS_URL: TEST_REDIS_URL, CART_KEY_PREFIX: uniquePrefix(`${opts.label}cart`) },
    order: {},
    payment: {},
    gateway: { RATE_LIMIT_PER_MINUTE: '0' },
    assistant: { ASSISTANT_EMBED_WORKERS: '1', ASSISTANT_INDEX_SWEEP_MS: '500', ASSISTANT_CHAT_RATE_LIMIT: '0' },
  };
  const serviceEnv = typeof opts.serviceEnv === 'function' ? opts.serviceEnv(url) : opts.serviceEnv;
  const processes = new Map<ServiceName, ServiceProcess>(
    names.map((s) => [s, new ServiceProcess(s, ports[s], { ...common, ...perService[s], ...serviceEnv?.[s] })]),
  );
  const stop = async () => {
    await Promise.all([...processes.values()].map((p) => p.stop('SIGTERM')));
    await broker?.close();
    await db?.close();
    // thrown after the rest is cleaned up: a run that leaves queues on the shared broker should say so
    const topology = await deleteBusTopology(
      busPrefix,
      [...processes.values()].map((p) => p.env),
    ).catch((err: Error) => err);
    await database.drop().catch(() => {});
    await deleteRedisPrefix(perService.cart.CART_KEY_PREFIX as string).catch(() => {});
    rmSync(perService.product.DATA_DIR as string, { recursive: true, force: true });
    if (topology instanceof Error)
      throw new Error(`could not delete the RabbitMQ queues and exchanges under ${busPrefix}: ${topology.message}`);
  };
  try {
    // auth first: the others fetch its keys; product before the order and cart services ask it things
    await processes.get('auth')?.start();
    await Promise.all(
      ['product', 'cart', 'order', 'payment', 'gateway'].map((s) => processes.get(s as ServiceName)?.start()),
    );
    // the assistant reads the catalog from the product service when it starts
    await processes.get('assistant')?.start();
  } catch (err) {
    await stop().catch(() => {}); // the start's failure is the one to report
    throw err;
  }
  return {
    mode: 'distributed',
    gateway: url('gateway'),
    url,
    databaseUrl: database.url,
    processes,
    ...(broker ? { broker } : {}),
    ...(db ? { db } : {}),
    rabbitUrl: TEST_RABBITMQ_URL,
    busPrefix,
    stop,
  };
}

/** Every service in this process on PGlite, the in-memory cache and the in-memory bus: `npm start` itself. */
export async function startEmbeddedStack(opts: StackOptions): Promise<Stack> {
  if (opts.serviceEnv) throw new Error('embedded stack: one environment for every service (use env)');
  const { DEFAULT_PORTS, startPlatform } = await import('@microbazaar/platform/platform');
  const dataDir = mkdtempSync(join(tmpdir(), `mbt-${opts.label}-`));
  const names = Object.keys(DEFAULT_PORTS) as Array<keyof typeof DEFAULT_PORTS>;
  const ports = Object.fromEntries(
    await Promise.all(names.map(async (n) => [`${n.toUpperCase()}_PORT`, String(await freePort())])),
  );
  const platform = await startPlatform({
    PATH: process.env.PATH,
    NODE_ENV: 'test',
    LOG_LEVEL: 'warn',
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    BUS_RETRY_DELAYS_MS: '200,500,1000',
    REGISTRATIONS_PER_IP_PER_HOUR: '100000',
    PASSWORD_HASH_MEMORY_KIB: '4096',
    PASSWORD_HASH_TIME_COST: '1',
    RATE_LIMIT_PER_MINUTE: '0',
    ...ports,
    ...opts.env,
  });
  return {
    mode: 'embedded',
    gateway: platform.urls.gateway,
    url: (s: ServiceName) => platform.urls[s],
    ...(platform.shared.bus ? { memoryBroker: platform.shared.bus } : {}),
    stop: async () => {
      await platform.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
