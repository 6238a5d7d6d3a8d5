// `npm run migrate [-- <service>...]`: applies each service's SQL migrations to DATABASE_URL
// (or the embedded PGlite under DATA_DIR when it is unset). Services also migrate at start.
import { migrations as assistantMigrations, loadConfig as loadAssistantConfig } from '@microbazaar/assistant';
import { migrations as authMigrations, loadConfig as loadAuthConfig } from '@microbazaar/auth';
import { migrations as cartMigrations, loadConfig as loadCartConfig } from '@microbazaar/cart';
import { type Db, openDb, PgliteHost } from '@microbazaar/kit';
import { loadConfig as loadNotificationConfig, migrations as notificationMigrations } from '@microbazaar/notification';
import { loadConfig as loadOrderConfig, migrations as orderMigrations } from '@microbazaar/order';
import { loadConfig as loadPaymentConfig, migrations as paymentMigrations } from '@microbazaar/payment';
import { loadConfig as loadProductConfig, migrations as productMigrations } from '@microbazaar/product';

// Each service's schema as its configuration names it. Only DB_SCHEMA is read: what production demands of a
// running service (SMTP, Stripe keys, signing-key encryption) is not the migration job's to provide.
const schemaEnv = { ...process.env, NODE_ENV: 'development' };
const migrations: Record<string, { schema: () => string; run: (db: Db) => Promise<string[]> }> = {
  auth: { schema: () => loadAuthConfig(schemaEnv).DB_SCHEMA, run: authMigrations.apply },
  product: { schema: () => loadProductConfig(schemaEnv).DB_SCHEMA, run: productMigrations.apply },
  cart: { schema: () => loadCartConfig(schemaEnv).DB_SCHEMA, run: cartMigrations.apply },
  order: { schema: () => loadOrderConfig(schemaEnv).DB_SCHEMA, run: orderMigrations.apply },
  payment: { schema: () => loadPaymentConfig(schemaEnv).DB_SCHEMA, run: paymentMigrations.apply },
  notification: { schema: () => loadNotificationConfig(schemaEnv).DB_SCHEMA, run: notificationMigrations.apply },
  assistant: { schema: () => loadAssistantConfig(schemaEnv).DB_SCHEMA, run: assistantMigrations.apply },
};

const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const unknown = wanted.filter((name) => !migrations[name]);
if (unknown.length) {
  console.error(`unknown service(s): ${unknown.join(', ')}; known: ${Object.keys(migrations).join(', ')}`);
  process.exit(2);
}

const config = loadAuthConfig(schemaEnv);
// embedded: one PGlite for every schema, as `npm start` uses it
const pglite = config.DATABASE_URL
  ? undefined
  : await PgliteHost.open(`${config.DATA_DIR}/pglite`, { sharedBuffers: config.PGLITE_SHARED_BUFFERS });
try {
  for (const name of wanted.length ? wanted : Object.keys(migrations)) {
    const entry = migrations[name]!;
    const { db, close } = await openDb(config, entry.schema(), pglite ? { pglite } : {});
    try {
      const applied = await entry.run(db);
      console.log(`${name}: ${applied.length ? `applied ${applied.join(', ')}` : 'up to date'}`);
    } finally {
      await close();
    }
  }
} finally {
  await pglite?.close();
}
