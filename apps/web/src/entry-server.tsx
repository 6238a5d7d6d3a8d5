// The server renderer the gateway loads: the head and the main content of the catalog pages
// (home, category, search, product) with their data, so crawlers and link previews need no
// JavaScript, and the browser hydrates the same markup without fetching it again.
import { dehydrate } from '@tanstack/react-query';
import { StrictMode } from 'react';
import { renderToString } from 'react-dom/server';
import { StaticRouter } from 'react-router';
import { App, makeQueryClient } from './App.js';
import { ApiError, setTransport, type Transport } from './lib/api.js';
import { isAppPath, isRenderedPath } from './lib/paths.js';
import { categoriesQuery, prefetchFor, productQuery, readListing } from './lib/queries.js';
import {
  categoryHead,
  type Head,
  headHtml,
  homeHead,
  productHead,
  SHOP_NAME,
  scriptJson,
  searchHead,
  simpleHead,
} from './lib/seo.js';

export interface RenderRequest {
  /** path and query */
  url: string;
  /** scheme and host of the public URL, for canonical and Open Graph URLs */
  origin: string;
  /** the API as the services answer it (the gateway passes its upstream pools) */
  fetch: Transport;
}

export interface RenderResult {
  status: number;
  /** tags for <head> */
  head: string;
  /** the markup inside #root ('' when the browser renders the page) */
  html: string;
  /** a <script> with the data the page was rendered with */
  state: string;
}

const defaultHead: Head = {
  title: SHOP_NAME,
  description: 'microBazaar, the open-source shop.',
  noindex: true,
};

export async function render(req: RenderRequest): Promise<RenderResult> {
  const url = new URL(req.url, 'http://x');
  const { pathname, searchParams } = url;
  if (!isAppPath(pathname)) return page(req, 404, simpleHead('Not found'));
  if (!isRenderedPath(pathname)) return { status: 200, head: headHtml(defaultHead, req.origin), html: '', state: '' };

  setTransport(req.fetch);
  const client = makeQueryClient(true);
  await prefetchFor(client, pathname, searchParams);

  let status = 200;
  let head: Head = homeHead;
  const product = /^\/products\/([^/]+)/.exec(pathname);
  const category = /^\/categories\/([^/]+)/.exec(pathname);
  if (product) {
    const q = client.getQueryState(productQuery(decodeURIComponent(product[1]!)).queryKey);
    if (q?.data && q.data.status === 'active') head = productHead(q.data);
    else if (q?.data) status = 404;
    else {
      const err = q?.error;
      if (err instanceof ApiError && err.status < 500) status = 404;
      else status = 503;
      head = simpleHead(status === 404 ? 'Not found' : 'Unavailable');
    }
  } else if (category) {
    const slug = decodeURIComponent(category[1]!);
    const categories = client.getQueryData(categoriesQuery().queryKey);
    const found = categories?.items.find((c) => c.slug === slug);
    if (categories && !found) status = 404;
    head = status === 404 ? simpleHead('Not found') : categoryHead(slug, found);
  } else if (pathname.startsWith('/search')) {
    head = searchHead(readListing(searchParams).q);
  }
  if (status !== 200) return page(req, status, head);
  const html = renderToString(
    <StrictMode>
      <StaticRouter location={req.url}>
        <App client={client} />
      </StaticRouter>
    </StrictMode>,
  );
  return {
    status,
    head: headHtml(head, req.origin),
    html,
    state: `<script>window.__MB__=${scriptJson({ hydrate: true, state: dehydrate(client) })}</script>`,
  };
}

/** A page the browser renders itself after a non-200 answer (the 404 page, say), with its status. */
async function page(req: RenderRequest, status: number, head: Head): Promise<RenderResult> {
  const client = makeQueryClient(true);
  const html = renderToString(
    <StaticRouter location={status === 404 ? '/__not-found__' : req.url}>
      <App client={client} />
    </StaticRouter>,
  );
  return { status, head: headHtml(head, req.origin), html, state: '' };
}
