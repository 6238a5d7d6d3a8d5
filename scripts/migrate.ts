// `npm run migrate [-- <service>...]`: applies each service's SQL migrations to DATABASE_URL
// (or the embedded PGlite under DATA_DIR when it is unset). Services also migrate at start.
import { migrateAuth } from '@microbazaar/auth/app';
import { loadConfig as loadAuthConfig } from '@microbazaar/auth/config';
import { type Db, openDb, PgliteHost } from '@microbazaar/kit';
import { migrateNotification } from '@microbazaar/notification/app';
import { loadConfig as loadNotificationConfig } from '@microbazaar/notification/config';
import { migrations as orderMigrations } from '@microbazaar/order/app';
import { loadConfig as loadOrderConfig } from '@microbazaar/order/config';
import { migrations as paymentMigrations } from '@microbazaar/payment/app';
import { loadConfig as loadPaymentConfig } from '@microbazaar/payment/config';
import { migrateProduct } from '@microbazaar/product/app';
import { loadConfig as loadProductConfig } from '@microbazaar/product/config';

const migrations: Record<string, { schema: () => string; run: (db: Db) => Promise<string[]> }> = {
  auth: { schema: () => loadAuthConfig().DB_SCHEMA, run: migrateAuth },
  product: { schema: () => loadProductConfig().DB_SCHEMA, run: migrateProduct },
  order: { schema: () => loadOrderConfig().DB_SCHEMA, run: orderMigrations.apply },
  payment: { schema: () => loadPaymentConfig().DB_SCHEMA, run: paymentMigrations.apply },
  notification: { schema: () => loadNotificationConfig().DB_SCHEMA, run: migrateNotification },
};

const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const unknown = wanted.filter((name) => !migrations[name]);
if (unknown.length) {
  console.error(
    `unknown service(s): ${unknown.join(', ')}; known: ${Object.keys(migrations).join(', ')} (cart keeps no SQL)`,
  );
  process.exit(2);
}

const config = loadAuthConfig();
// embedded: one PGlite for every schema, as `npm start` uses it
const pglite = config.DATABASE_URL ? undefined : await PgliteHost.open(`${config.DATA_DIR}/pglite`);
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
