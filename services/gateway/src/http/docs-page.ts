// The API reference page at /docs: Swagger UI (swagger-ui-dist, served from our own files, no CDN) reading
// the merged /openapi.json, with the shop's header. Everything it loads is listed here and held in memory.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, extname, join } from 'node:path';
import { type StaticFile, staticFile } from './web.js';

const SCRIPT = `// Starts Swagger UI on the merged document of every service behind this gateway.
window.addEventListener('load', function () {
  window.ui = SwaggerUIBundle({
    url: '/openapi.json',
    dom_id: '#api',
    layout: 'BaseLayout',
    presets: [SwaggerUIBundle.presets.apis],
    deepLinking: true,
    docExpansion: 'list',
    defaultModelsExpandDepth: 0,
    displayRequestDuration: true,
    filter: true,
    persistAuthorization: true,
    tryItOutEnabled: false,
    // no calls to validator.swagger.io or anywhere else: the page talks to this gateway only
    validatorUrl: null,
  });
});
`;

const STYLE = `body { margin: 0; background: #fafafa; font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
.mb-header { background: #1f2937; color: #f9fafb; padding: 20px 24px; }
.mb-header h1 { margin: 0 0 6px; font-size: 24px; font-weight: 650; }
.mb-header p { margin: 0; color: #d1d5db; font-size: 14px; line-height: 1.5; }
.mb-header a { color: #93c5fd; }
.mb-header a:focus-visible { outline: 2px solid #93c5fd; outline-offset: 2px; }
#api { max-width: 1460px; margin: 0 auto; }
.swagger-ui .info { margin: 24px 0; }
`;

export interface DocsPage {
  html: string;
  /** by path under /docs/assets/ */
  assets: ReadonlyMap<string, StaticFile>;
}

const hashed = (body: string) => createHash('sha1').update(body).digest('hex').slice(0, 10);

/** The page and its files: Swagger UI's (under its version, cached for a year) and ours (under a content hash). */
export function docsPage(): DocsPage {
  const require = createRequire(import.meta.url);
  const dist = dirname(require.resolve('swagger-ui-dist/package.json'));
  const { version } = JSON.parse(readFileSync(join(dist, 'package.json'), 'utf8')) as { version: string };
  const assets = new Map<string, StaticFile>();
  for (const name of ['swagger-ui.css', 'swagger-ui-bundle.js', 'favicon-32x32.png']) {
    assets.set(`${version}/${name}`, staticFile(readFileSync(join(dist, name)), extname(name), true));
  }
  const script = `docs.${hashed(SCRIPT)}.js`;
  const style = `docs.${hashed(STYLE)}.css`;
  assets.set(script, staticFile(Buffer.from(SCRIPT), '.js', true));
  assets.set(style, staticFile(Buffer.from(STYLE), '.css', true));
  const url = (path: string) => `/docs/assets/${path}`;
  const html = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>microBazaar API reference</title>
    <meta name="description" content="Every endpoint of microBazaar's services, behind one gateway.">
    <link rel="icon" type="image/png" href="${url(`${version}/favicon-32x32.png`)}">
    <link rel="stylesheet" href="${url(`${version}/swagger-ui.css`)}">
    <link rel="stylesheet" href="${url(style)}">
  </head>
  <body>
    <header class="mb-header">
      <h1>microBazaar API reference</h1>
      <p>Every service behind this gateway, from one OpenAPI document:
        <a href="/openapi.json">/openapi.json</a>. Protected calls need a token from
        <code>POST /api/auth/login</code>: paste it under Authorize.</p>
    </header>
    <main id="api" aria-label="API reference"></main>
    <noscript><p>The interactive reference needs JavaScript; the document is at <a href="/openapi.json">/openapi.json</a>.</p></noscript>
    <script src="${url(`${version}/swagger-ui-bundle.js`)}"></script>
    <script src="${url(script)}"></script>
  </body>
</html>
`;
  return { html, assets };
}
