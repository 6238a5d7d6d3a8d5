// `npm run migrate [-- <service>...]`: applies each service's SQL migrations to DATABASE_URL
// (or the embedded PGlite under DATA_DIR when it is unset). Services also migrate at start.
import { migrateAuth } from '@microbazaar/auth/app';
import { loadConfig as loadAuthConfig } from '@microbazaar/auth/config';
import { type Db, openDb } from '@microbazaar/kit';

const migrations: Record<string, { schema: () => string; run: (db: Db) => Promise<string[]> }> = {
  auth: { schema: () => loadAuthConfig().DB_SCHEMA, run: migrateAuth },
};

const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const unknown = wanted.filter((name) => !migrations[name]);
if (unknown.length) {
  console.error(`unknown service(s): ${unknown.join(', ')}; known: ${Object.keys(migrations).join(', ')}`);
  process.exit(2);
}

const config = loadAuthConfig();
for (const name of wanted.length ? wanted : Object.keys(migrations)) {
  const entry = migrations[name]!;
  const { db, close } = await openDb(config, entry.schema());
  try {
    const applied = await entry.run(db);
    console.log(`${name}: ${applied.length ? `applied ${applied.join(', ')}` : 'up to date'}`);
  } finally {
    await close();
  }
}
