import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PgliteHost } from './db.js';
import { pgliteTemplatePath, pgliteVersion } from './pglite-template.js';

const dir = mkdtempSync(join(tmpdir(), 'mbt-pglite-template-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// what initdb decides and the services depend on: the same from the template as from initdb itself
const CLUSTER = `SELECT current_setting('server_encoding') AS encoding, current_setting('server_version_num') AS version,
  (SELECT string_agg(datname || ':' || datcollate || ':' || datctype, ',' ORDER BY datname) FROM pg_database) AS databases`;

describe('the embedded database template', () => {
  it('exists for the installed PGlite (after an upgrade: npm run pglite:template, delete the old file)', () => {
    expect(existsSync(pgliteTemplatePath()), `no template for PGlite ${pgliteVersion()}`).toBe(true);
  });

  it('a new database starts from it: the same cluster as initdb makes, the options of this start, data kept', async () => {
    const path = join(dir, 'pglite');
    const host = await PgliteHost.open(path, { sharedBuffers: '16MB' });
    const fromTemplate = await host.db('public').query(CLUSTER);
    expect(await host.db('public').query("SELECT current_setting('shared_buffers') AS v")).toEqual([{ v: '16MB' }]);
    await host.db('public').query('CREATE TABLE kept (id int)');
    await host.db('public').query('INSERT INTO kept VALUES (7)');
    await host.close();

    const reopened = await PgliteHost.open(path);
    expect(await reopened.db('public').query('SELECT id FROM kept')).toEqual([{ id: 7 }]);
    await reopened.close();

    // another new database is the same cluster (initdb would have given it an identifier of its own)
    const second = await PgliteHost.open(join(dir, 'second'));
    const idOf = async (h: PgliteHost) =>
      (await h.db('public').query<{ id: string }>('SELECT system_identifier::text AS id FROM pg_control_system()'))[0]
        ?.id;
    const [reopenedAgain] = [await PgliteHost.open(path)];
    expect(await idOf(second)).toBe(await idOf(reopenedAgain));
    await Promise.all([second.close(), reopenedAgain.close()]);

    // initdb's own (in memory: no data directory, so no template)
    const initdb = await PgliteHost.open(undefined);
    expect(fromTemplate).toEqual(await initdb.db('public').query(CLUSTER));
    await initdb.close();
  }, 180_000);
});
