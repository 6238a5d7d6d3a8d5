// The app's rules without a browser: money, cards, addresses, listing URLs, the head crawlers read.
import { describe, expect, it } from 'vitest';
import { validateAddress } from '../src/lib/address.js';
import { formatCardNumber, sandboxToken } from '../src/lib/cards.js';
import { formatMoney, parsePrice, priceInput, resultCount, stockWords } from '../src/lib/format.js';
import { addressLine, canCancel, canMarkDelivered, canShip, lineProgress } from '../src/lib/orders.js';
import { isAppPath, isRenderedPath } from '../src/lib/paths.js';
import { listingQuery, readListing } from '../src/lib/queries.js';
import { headHtml, productHead } from '../src/lib/seo.js';
import type { Product } from '../src/lib/types.js';

describe('money', () => {
  it('formats minor units in the currency’s own digits', () => {
    expect(formatMoney({ amount: 1999, currency: 'USD' })).toBe('$19.99');
    expect(formatMoney({ amount: 1999, currency: 'JPY' })).toBe('¥1,999');
    expect(formatMoney({ amount: 123456, currency: 'EUR' })).toBe('€1,234.56');
  });

  it('reads typed prices into minor units and refuses what is not a price', () => {
    expect(parsePrice('19.99')).toBe(1999);
    expect(parsePrice('20')).toBe(2000);
    expect(parsePrice('1,250.5')).toBe(125050);
    expect(parsePrice('19.999')).toBeNull();
    expect(parsePrice('-3')).toBeNull();
    expect(parsePrice('abc')).toBeNull();
    expect(parsePrice('500', 'JPY')).toBe(500);
    expect(parsePrice('5.5', 'JPY')).toBeNull();
    expect(priceInput(1999)).toBe('19.99');
  });

  it('counts results, saying "about" when the total is an estimate', () => {
    expect(resultCount(1, true)).toBe('1 result');
    expect(resultCount(1000, false)).toBe('about 1,000 results');
  });

  it('words the stock', () => {
    expect(stockWords(0)).toEqual({ text: 'Sold out', tone: 'out' });
    expect(stockWords(3)).toEqual({ text: 'Only 3 left', tone: 'low' });
    expect(stockWords(40).text).toBe('In stock');
  });
});

describe('test cards', () => {
  it('maps the well-known numbers to the sandbox tokens', () => {
    expect(sandboxToken('4242 4242 4242 4242')).toEqual({ token: 'tok_ok' });
    expect(sandboxToken('4000-0000-0000-0002')).toEqual({ token: 'tok_declined' });
    expect(sandboxToken('')).toEqual({ error: 'Enter a card number' });
    expect(sandboxToken('42')).toHaveProperty('error');
    expect(sandboxToken('4111 1111 1111 1111')).toHaveProperty('error');
  });

  it('groups digits by four as they are typed', () => {
    expect(formatCardNumber('4242424242424242')).toBe('4242 4242 4242 4242');
    expect(formatCardNumber('42a42')).toBe('4242');
  });
});

describe('shipping address', () => {
  const ok = { name: 'Ada', line1: '1 Road', city: 'London', postalCode: 'N1', country: 'GB' };
  it('accepts a complete address and names each missing field', () => {
    expect(validateAddress(ok)).toEqual({});
    expect(Object.keys(validateAddress({ ...ok, name: ' ', city: '', country: '' })).sort()).toEqual([
      'city',
      'country',
      'name',
    ]);
  });
  it('checks the phone and the lengths as the API does', () => {
    expect(validateAddress({ ...ok, phone: 'call me' }).phone).toMatch(/digits/);
    expect(validateAddress({ ...ok, phone: '+44 (20) 7946-0000' })).toEqual({});
    expect(validateAddress({ ...ok, postalCode: 'x'.repeat(21) }).postalCode).toMatch(/at most 20/);
  });
});

describe('listing URLs', () => {
  it('reads the state from the URL and turns facets into searched words', () => {
    const s = readListing(new URLSearchParams('q=lamp&brand=Nimbus&minPrice=1000&sort=price_asc&pages=3&sort2=x'));
    expect(s).toMatchObject({ q: 'lamp', minPrice: 1000, sort: 'price_asc', pages: 3, facets: { brand: 'Nimbus' } });
    expect(listingQuery(s)).toEqual({
      q: 'lamp "Nimbus"',
      category: undefined,
      minPrice: 1000,
      maxPrice: undefined,
      sort: 'price_asc',
    });
  });
  it('drops what is not valid instead of sending it', () => {
    const s = readListing(new URLSearchParams('minPrice=-5&sort=cheapest&pages=999'), 'garden');
    expect(s).toMatchObject({ minPrice: undefined, sort: '', pages: 20, category: 'garden' });
    expect(listingQuery({ ...s, sort: 'relevance' }).sort).toBeUndefined();
  });
  it('knows which paths are pages, and which the server renders', () => {
    expect(isAppPath('/products/desk-lamp')).toBe(true);
    expect(isAppPath('/account/orders/123')).toBe(true);
    expect(isAppPath('/seller/products/new')).toBe(true);
    expect(isAppPath('/nope')).toBe(false);
    expect(isRenderedPath('/categories/garden')).toBe(true);
    expect(isRenderedPath('/cart')).toBe(false);
  });
});

describe('head for crawlers', () => {
  const product: Product = {
    id: '0b7c1f8e-8a1d-4f7e-9d55-3c7b8d3f2a10',
    slug: 'desk-lamp',
    name: 'Desk Lamp </script><b>',
    description: 'A lamp.',
    price: { amount: 2599, currency: 'EUR' },
    category: 'home',
    attributes: { brand: 'Nimbus' },
    stock: 0,
    images: [
      {
        id: 'i',
        url: '/media/o.png',
        thumbnailUrl: '/media/t.webp',
        mediumUrl: '/media/m.webp',
        width: 800,
        height: 800,
      },
    ],
    sellerId: 's',
    status: 'active',
    createdAt: '',
    updatedAt: '',
  };
  it('describes the product as JSON-LD with its offer', () => {
    const head = productHead(product);
    expect(head.jsonLd).toMatchObject({
      '@type': 'Product',
      brand: { name: 'Nimbus' },
      offers: { price: '25.99', priceCurrency: 'EUR', availability: 'https://schema.org/OutOfStock' },
    });
  });
  it('escapes names in tags and JSON, and makes URLs absolute', () => {
    const html = headHtml(productHead(product), 'https://shop.example');
    expect(html).toContain('<title>Desk Lamp &lt;/script&gt;&lt;b&gt; | microBazaar</title>');
    expect(html).not.toContain('</script><b>');
    expect(html).toContain('<link rel="canonical" href="https://shop.example/products/desk-lamp">');
    expect(html).toContain('<meta property="og:image" content="https://shop.example/media/m.webp">');
    expect(html).toContain('"image":["https://shop.example/media/o.png"]');
  });
});

describe('orders with lines from several sellers', () => {
  const line = (fulfilment: 'unshipped' | 'shipped' | 'delivered') => ({ fulfilment });
  it('ship while a line I see is unshipped, deliver while one is shipped, cancel until any line ships', () => {
    const confirmed = (...f: Array<'unshipped' | 'shipped' | 'delivered'>) => ({
      status: 'confirmed' as const,
      items: f.map(line),
    });
    expect(canShip(confirmed('unshipped', 'shipped'))).toBe(true);
    expect(canShip(confirmed('shipped'))).toBe(false);
    expect(canShip({ status: 'pending', items: [line('unshipped')] })).toBe(false);
    expect(canMarkDelivered(confirmed('shipped', 'unshipped'))).toBe(true);
    expect(canMarkDelivered(confirmed('delivered', 'unshipped'))).toBe(false);
    expect(canMarkDelivered({ status: 'shipped', items: [line('shipped')] })).toBe(true);
    expect(canCancel(confirmed('unshipped', 'unshipped'))).toBe(true);
    expect(canCancel(confirmed('unshipped', 'shipped'))).toBe(false);
    expect(canCancel({ status: 'shipped', items: [line('shipped')] })).toBe(false);
  });

  it('says where a line is and where the order goes, each on one line', () => {
    expect(lineProgress({ fulfilment: 'shipped', carrier: 'DHL', trackingNumber: '0034' })).toBe('Shipped (DHL 0034)');
    expect(lineProgress({ fulfilment: 'shipped' })).toBe('Shipped');
    expect(lineProgress({ fulfilment: 'unshipped' })).toBe('Not shipped yet');
    expect(lineProgress({ fulfilment: 'delivered', carrier: 'DHL' })).toBe('Delivered');
    expect(
      addressLine({
        name: 'Ada',
        line1: '1 Main St',
        line2: 'Flat 2',
        city: 'Springfield',
        region: 'IL',
        postalCode: '62701',
        country: 'US',
      }),
    ).toBe('Ada, 1 Main St, Flat 2, 62701 Springfield, IL, US');
  });
});
