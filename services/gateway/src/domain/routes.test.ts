import { describe, expect, it } from 'vitest';
import { isAtOrBelow, liveRoutes, ROUTES, type RouteEntry, tokenRule } from './routes.js';

const entry = (prefix: string) => ROUTES.find((r) => r.prefix === prefix)!;

describe('isAtOrBelow', () => {
  it('matches the path itself and below it, never a longer name', () => {
    expect(isAtOrBelow('/api/auth/me', '/api/auth/me')).toBe(true);
    expect(isAtOrBelow('/api/auth/me/', '/api/auth/me')).toBe(true);
    expect(isAtOrBelow('/api/auth/me?x=1', '/api/auth/me')).toBe(true);
    expect(isAtOrBelow('/api/auth/users/42', '/api/auth/users')).toBe(true);
    expect(isAtOrBelow('/api/auth/meta', '/api/auth/me')).toBe(false);
    expect(isAtOrBelow('/api/auth', '/api/auth/me')).toBe(false);
  });
});

describe('tokenRule', () => {
  it('auth: public except me and users', () => {
    const needs = tokenRule(entry('/api/auth'));
    expect(needs('GET', '/api/auth/me')).toBe(true);
    expect(needs('GET', '/api/auth/users?limit=5')).toBe(true);
    expect(needs('PATCH', '/api/auth/users/1')).toBe(true);
    expect(needs('POST', '/api/auth/login')).toBe(false);
    expect(needs('POST', '/api/auth/logout')).toBe(false);
    expect(needs('GET', '/api/auth/meta')).toBe(false);
  });

  it('decides on the percent-decoded path', () => {
    const needs = tokenRule(entry('/api/auth'));
    expect(needs('GET', '/api/auth/%6De')).toBe(true);
    expect(needs('GET', '/api/auth/%75sers/1')).toBe(true);
    expect(needs('GET', '/api/auth/login?next=%6De')).toBe(false);
    expect(needs('GET', '/api/auth/%E0%A4%A')).toBe(false);
  });

  it('writes: token for POST, PUT, PATCH, DELETE only', () => {
    const needs = tokenRule(entry('/api/products'));
    for (const m of ['GET', 'HEAD']) expect(needs(m, '/api/products/1')).toBe(false);
    for (const m of ['POST', 'PUT', 'PATCH', 'DELETE']) expect(needs(m, '/api/products/1')).toBe(true);
  });

  it('the longest override wins', () => {
    const e: RouteEntry = {
      prefix: '/x',
      upstream: 'product',
      auth: 'public',
      overrides: [
        { path: '/x/a', auth: 'required' },
        { path: '/x/a/open', auth: 'public' },
      ],
    };
    const needs = tokenRule(e);
    expect(needs('GET', '/x/a/1')).toBe(true);
    expect(needs('GET', '/x/a/open/1')).toBe(false);
    expect(needs('GET', '/x/b')).toBe(false);
  });

  it('payments: required, webhooks public', () => {
    const needs = tokenRule(entry('/api/payments'));
    expect(needs('GET', '/api/payments?orderId=1')).toBe(true);
    expect(needs('POST', '/api/payments/webhooks/stripe')).toBe(false);
  });
});

describe('the table', () => {
  it('switches entries on by their upstream', () => {
    expect(liveRoutes(ROUTES, (u) => u === 'auth').map((r) => r.prefix)).toEqual(['/api/auth', '/.well-known']);
  });

  it('has prefixes without a trailing slash, each once', () => {
    const prefixes = ROUTES.map((r) => r.prefix);
    expect(new Set(prefixes).size).toBe(prefixes.length);
    for (const p of prefixes) expect(p).toMatch(/^\/[^?#]*[^/]$/);
  });
});
