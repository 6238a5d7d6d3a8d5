// The embedded platform: every service in this process, each on its own port, sharing one PGlite,
// one in-memory cache and one in-memory bus (or the real backends when their URLs are set).
import { join } from 'node:path';
import { loadConfig as loadAssistantConfig, startAssistant } from '@microbazaar/assistant';
import { loadConfig as loadAuthConfig, startAuth } from '@microbazaar/auth';
import { loadConfig as loadCartConfig, startCart } from '@microbazaar/cart';
import { loadConfig as loadGatewayConfig, startGateway } from '@microbazaar/gateway';
import {
  type Env,
  MemoryBroker,
  MemoryCache,
  PgliteHost,
  type RunningService,
  type SharedDeps,
} from '@microbazaar/kit';
import { loadConfig as loadNotificationConfig, startNotification } from '@microbazaar/notification';
import { loadConfig as loadOrderConfig, startOrder } from '@microbazaar/order';
import { loadConfig as loadPaymentConfig, startPayment } from '@microbazaar/payment';
import { loadConfig as loadProductConfig, startProduct } from '@microbazaar/product';
import { ensureWebBuild } from '@microbazaar/web/tools/build';

export const DEFAULT_PORTS = {
  gateway: 8080,
  auth: 3000,
  product: 3001,
  cart: 3002,
  order: 3003,
  payment: 3004,
  notification: 3005,
  assistant: 3006,
} as const;

export type ServiceName = keyof typeof DEFAULT_PORTS;

export interface Platform {
  gateway: RunningService;
  services: RunningService[];
  /** where each service listens (127.0.0.1) */
  urls: Record<ServiceName, string>;
  /** accounts created on this start (first start only) */
  bootstrapAccounts: Array<{ email: string; password: string; role: string }>;
  demoProducts: number;
  /** the web app served at the gateway: built on this start, already up to date, or not served */
  web: { state: 'built' | 'fresh' | 'off' | 'failed'; ms: number; error?: string };
  backends: { database: string; cache: string; bus: string };
  /** the embedded backends the services share (absent where a real backend's URL is set) */
  shared: SharedDeps;
  stop(): Promise<void>;
}

function portOf(env: Env, name: ServiceName): number {
  const raw = env[`${name.toUpperCase()}_PORT`] ?? (name === 'gateway' ? env.PORT : undefined);
  return raw === undefined || raw === '' ? DEFAULT_PORTS[name] : Number(raw);
}

/**
 * Starts auth first (the others fetch its keys), then the catalog with the demo seller's id, the
 * rest, and the gateway last so it only takes traffic once everything behind it answers.
 */
export interface PlatformOptions {
  /**
   * The try-it-out mode: demo accounts, catalog and mailbox (DEMO_DATA=true) unless DEMO_DATA says
   * otherwise, never with NODE_ENV=production. Default on for code that starts a platform (tests,
   * scripts); `npm start` turns it on with `--demo`, `npm run start:prod` leaves it off.
   */
  demoData?: boolean;
}

export async function startPlatform(baseEnv: Env = process.env, opts: PlatformOptions = {}): Promise<Platform> {
  const names = Object.keys(DEFAULT_PORTS) as ServiceName[];
  const ports = Object.fromEntries(names.map((n) => [n, portOf(baseEnv, n)])) as Record<ServiceName, number>;
  const urls = Object.fromEntries(names.map((n) => [n, `http://127.0.0.1:${ports[n]}`])) as Record<ServiceName, string>;
  // `npm start` is the try-it-out mode: demo accounts, catalog and mailbox unless DEMO_DATA says otherwise
  // (production refuses them: the demo accounts have published passwords); `npm run start:prod` is not
  const demo: Env = (opts.demoData ?? true) && baseEnv.NODE_ENV !== 'production' ? { DEMO_DATA: 'true' } : {};
  // each service sees its own PORT and where the others are; explicit variables win
  const envFor = (name: ServiceName, extra: Env = {}): Env => ({
    ...demo,
    // links in mails and canonical URLs point at this gateway
    PUBLIC_URL: `http://localhost:${ports.gateway}`,
    AUTH_JWKS_URL: `${urls.auth}/.well-known/jwks.json`,
    AUTH_URL: urls.auth,
    PRODUCT_URL: urls.product,
    CART_URL: urls.cart,
    ORDER_URL: urls.order,
    PAYMENT_URL: urls.payment,
    NOTIFICATION_URL: urls.notification,
    ASSISTANT_URL: urls.assistant,
    ...baseEnv,
    ...extra,
    PORT: String(ports[name]),
  });

  // the web app builds on the other core while the database opens (only when missing or stale)
  const webOff = baseEnv.WEB_DIR === 'off';
  const webBuild: Promise<Platform['web'] & { dir?: string }> =
    webOff || baseEnv.WEB_DIR
      ? Promise.resolve({ state: webOff ? 'off' : 'fresh', ms: 0, ...(webOff ? {} : { dir: baseEnv.WEB_DIR }) })
      : ensureWebBuild().then(
          (r) => ({ state: r.built ? 'built' : 'fresh', ms: r.ms, dir: r.dir }),
          (err: Error) => ({ state: 'failed', ms: 0, error: err.message }),
        );
  const authConfig = loadAuthConfig(envFor('auth'));
  const shared: SharedDeps = {};
  if (!authConfig.DATABASE_URL) {
    shared.pglite = await PgliteHost.open(join(authConfig.DATA_DIR, 'pglite'), {
      sharedBuffers: authConfig.PGLITE_SHARED_BUFFERS,
    });
  }
  if (!authConfig.REDIS_URL) shared.cache = new MemoryCache();
  if (!baseEnv.RABBITMQ_URL) {
    shared.bus = new MemoryBroker();
    // events of the first start (demo catalog...) wait until every consumer has declared its queue
    shared.bus.hold();
  }

  const services: RunningService[] = [];
  const stop = async () => {
    // the gateway first so no new traffic reaches services that are draining
    for (const service of [...services].reverse()) await service.stop().catch(() => {});
    await shared.bus?.close();
    await shared.cache?.close();
    await shared.pglite?.close();
  };

  try {
    const auth = await startAuth(authConfig, shared);
    services.push(auth);
    const product = await startProduct(
      loadProductConfig(envFor('product', auth.demoSellerId ? { DEMO_SELLER_ID: auth.demoSellerId } : {})),
      shared,
    );
    services.push(product);
    services.push(await startCart(loadCartConfig(envFor('cart')), shared));
    services.push(await startOrder(loadOrderConfig(envFor('order')), shared));
    services.push(await startPayment(loadPaymentConfig(envFor('payment')), shared));
    services.push(await startNotification(loadNotificationConfig(envFor('notification')), shared));
    // after product: its backfill reads the catalog (the demo one on a first start)
    services.push(await startAssistant(loadAssistantConfig(envFor('assistant')), shared));
    const { dir: webDir, ...web } = await webBuild;
    const gateway = await startGateway(loadGatewayConfig(envFor('gateway', webDir ? { WEB_DIR: webDir } : {})), shared);
    services.push(gateway);
    shared.bus?.release();
    return {
      gateway,
      services,
      urls,
      bootstrapAccounts: auth.bootstrapAccounts,
      demoProducts: product.demoProducts,
      web,
      backends: {
        database: shared.pglite ? 'PGlite' : 'PostgreSQL',
        cache: shared.cache ? 'in-memory cache' : 'Redis',
        bus: shared.bus ? 'in-memory bus' : 'RabbitMQ',
      },
      shared,
      stop,
    };
  } catch (err) {
    await webBuild;
    await stop();
    throw err;
  }
}
