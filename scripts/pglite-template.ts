// `npm run pglite:template`: writes packages/kit/assets/pglite-<version>.tar.br, the empty cluster a new embedded
// database starts from (see packages/kit/src/pglite-template.ts). Run it after upgrading @electric-sql/pglite and
// delete the old version's file; packages/kit/src/pglite-template.test.ts fails until then.
import { writePgliteTemplate } from '@microbazaar/kit/pglite-template';

const { path, bytes } = await writePgliteTemplate();
console.log(`wrote ${path} (${(bytes / 1024 / 1024).toFixed(2)} MiB)`);
