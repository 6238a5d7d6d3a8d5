// `npm run build:web`: build the web app (always with --force, otherwise only when stale).
import { ensureWebBuild } from './build.js';

const result = await ensureWebBuild({ force: process.argv.includes('--force') });
console.log(
  result.built ? `web app built in ${(result.ms / 1000).toFixed(1)} s → ${result.dir}` : 'web app is up to date',
);
