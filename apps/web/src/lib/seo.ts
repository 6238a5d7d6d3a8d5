// What crawlers and link previews read in <head>: title, description, canonical URL, Open Graph and,
// on product pages, JSON-LD Product. Built from the same data the page shows.
import { majorUnits } from './format.js';
import type { Category, Product } from './types.js';

export interface Head {
  title: string;
  description: string;
  /** path of the canonical URL */
  canonical?: string;
  image?: string;
  type?: 'website' | 'product';
  jsonLd?: Record<string, unknown>;
  noindex?: boolean;
}

export const SHOP_NAME = 'microBazaar';

const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1).trimEnd()}…` : s);

export function productHead(p: Product): Head {
  const image = p.images[0]?.mediumUrl;
  const availability =
    p.status === 'archived'
      ? 'https://schema.org/Discontinued'
      : p.stock > 0
        ? 'https://schema.org/InStock'
        : 'https://schema.org/OutOfStock';
  const brand = typeof p.attributes.brand === 'string' ? p.attributes.brand : undefined;
  return {
    title: `${p.name} | ${SHOP_NAME}`,
    description: clip(p.description || `${p.name} at ${SHOP_NAME}`, 160),
    canonical: `/products/${p.slug}`,
    type: 'product',
    ...(image ? { image } : {}),
    jsonLd: {
      '@context': 'https://schema.org',
      '@type': 'Product',
      name: p.name,
      description: p.description,
      sku: p.id,
      image: p.images.map((i) => i.url),
      ...(brand ? { brand: { '@type': 'Brand', name: brand } } : {}),
      offers: {
        '@type': 'Offer',
        url: `/products/${p.slug}`,
        price: majorUnits(p.price),
        priceCurrency: p.price.currency,
        availability,
      },
    },
  };
}

export function categoryHead(slug: string, category: Category | undefined): Head {
  const name = category?.name ?? slug;
  return {
    title: `${name} | ${SHOP_NAME}`,
    description: clip(category?.description || `Shop ${name} at ${SHOP_NAME}.`, 160),
    canonical: `/categories/${slug}`,
  };
}

export function searchHead(q: string): Head {
  return {
    title: q ? `“${clip(q, 60)}” | ${SHOP_NAME}` : `Search | ${SHOP_NAME}`,
    description: q ? `Products matching “${clip(q, 60)}” at ${SHOP_NAME}.` : `Search the ${SHOP_NAME} catalog.`,
    canonical: q ? `/search?q=${encodeURIComponent(q)}` : '/search',
    noindex: true,
  };
}

export const homeHead: Head = {
  title: `${SHOP_NAME}: everyday things, fairly priced`,
  description: 'Shop home, kitchen, outdoor, tech and more at microBazaar, the open-source shop.',
  canonical: '/',
};

export function simpleHead(title: string): Head {
  return { title: `${title} | ${SHOP_NAME}`, description: `${title} at ${SHOP_NAME}.`, noindex: true };
}

const escapeHtml = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** JSON safe inside <script>: no `</script>`, no HTML comment openers, no line separators. */
export const scriptJson = (value: unknown) =>
  JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');

/** The <head> tags; `origin` makes canonical and image URLs absolute. */
export function headHtml(head: Head, origin: string): string {
  const abs = (path: string) => (/^https?:/.test(path) ? path : `${origin}${path}`);
  const tags = [
    `<title>${escapeHtml(head.title)}</title>`,
    `<meta name="description" content="${escapeHtml(head.description)}">`,
    `<meta property="og:site_name" content="${SHOP_NAME}">`,
    `<meta property="og:title" content="${escapeHtml(head.title)}">`,
    `<meta property="og:description" content="${escapeHtml(head.description)}">`,
    `<meta property="og:type" content="${head.type ?? 'website'}">`,
    `<meta name="twitter:card" content="${head.image ? 'summary_large_image' : 'summary'}">`,
  ];
  if (head.canonical) {
    tags.push(`<link rel="canonical" href="${escapeHtml(abs(head.canonical))}">`);
    tags.push(`<meta property="og:url" content="${escapeHtml(abs(head.canonical))}">`);
  }
  if (head.image) tags.push(`<meta property="og:image" content="${escapeHtml(abs(head.image))}">`);
  if (head.noindex) tags.push('<meta name="robots" content="noindex, follow">');
  if (head.jsonLd) {
    const ld = structuredClone(head.jsonLd) as Record<string, unknown> & { offers?: { url?: string } };
    if (Array.isArray(ld.image)) ld.image = (ld.image as string[]).map(abs);
    if (ld.offers?.url) ld.offers.url = abs(ld.offers.url);
    tags.push(`<script type="application/ld+json">${scriptJson(ld)}</script>`);
  }
  return tags.join('\n    ');
}
