// Rules about products and categories: slugs, how a product is shown, what a snapshot event carries.
import { randomBytes } from 'node:crypto';
import { isUuid, type Principal } from '@microbazaar/kit';

/** Lower-case letters, digits and hyphens; never shaped like a UUID, which reads as a category id. */
export const CATEGORY_SLUG = '^(?![0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$)[a-z0-9-]{1,64}$';
export const NAME_MAX = 200;
export const DESCRIPTION_MAX = 10_000;
/** 10^12 minor units: far above any real price, far below 2^53 */
export const PRICE_MAX = 1_000_000_000_000;
export const STOCK_MAX = 1_000_000_000;
/** attribute numbers stay within ±10^15: finite, and exact as JSON and in jsonb */
export const ATTRIBUTE_NUMBER_MAX = 1e15;
export const SLUG_MAX = 80;

export type ProductStatus = 'active' | 'archived';
export type AttributeValue = string | number | boolean | string[];
export type Attributes = Record<string, AttributeValue>;

export interface Money {
  amount: number;
  currency: string;
}

export interface ProductImage {
  id: string;
  url: string;
  thumbnailUrl: string;
  mediumUrl: string;
  width: number;
  height: number;
}

/** A product as stored, with its available stock and images (one query reads it whole). */
export interface ProductRecord {
  id: string;
  seq: number;
  sellerId: string;
  slug: string;
  name: string;
  description: string;
  priceAmount: number;
  currency: string;
  category: string | null;
  attributes: Attributes;
  status: ProductStatus;
  available: number;
  images: ProductImage[];
  createdAt: Date;
  updatedAt: Date;
}

/** The one shape of a product that leaves the service. */
export interface Product {
  id: string;
  slug: string;
  name: string;
  description: string;
  price: Money;
  category: string | null;
  attributes: Attributes;
  /** available = on hand - reserved */
  stock: number;
  images: ProductImage[];
  sellerId: string;
  status: ProductStatus;
  createdAt: string;
  updatedAt: string;
}

export function presentProduct(p: ProductRecord): Product {
  return {
    id: p.id,
    slug: p.slug,
    name: p.name,
    description: p.description,
    price: { amount: Number(p.priceAmount), currency: p.currency },
    category: p.category,
    attributes: presentableAttributes(p.attributes),
    stock: Number(p.available),
    images: p.images,
    sellerId: p.sellerId,
    status: p.status,
    createdAt: toIso(p.createdAt),
    updatedAt: toIso(p.updatedAt),
  };
}

/** The product's seller or an admin: they change it, see its stock on hand, and still read it archived. */
export function mayManage(principal: Principal | null, sellerId: string): boolean {
  return principal !== null && (principal.role === 'admin' || principal.userId === sellerId);
}

/**
 * Who may read a product: anyone while it is active; once archived (deleted) only its seller and admins,
 * so a deleted product is gone from the shop (orders keep their own snapshot of what was sold).
 */
export function isVisibleTo(
  product: { status: ProductStatus; sellerId: string },
  principal: Principal | null,
): boolean {
  return product.status === 'active' || mayManage(principal, product.sellerId);
}

function isAttributeValue(value: unknown): value is AttributeValue {
  if (typeof value === 'string' || typeof value === 'boolean') return true;
  if (typeof value === 'number') return Number.isFinite(value);
  return Array.isArray(value) && value.every((v) => typeof v === 'string');
}

/** Only the values a client can be sent: rows written before numbers were bounded may hold nulls. */
export function presentableAttributes(attributes: Attributes | null | undefined): Attributes {
  const out: Attributes = {};
  for (const [key, value] of Object.entries(attributes ?? {})) if (isAttributeValue(value)) out[key] = value;
  return out;
}

function toIso(value: Date | string): string {
  return value instanceof Date ? value.toISOString() : new Date(value).toISOString();
}

/** What product.created|updated carries for the read models of other services. */
export interface ProductSnapshot {
  productId: string;
  sellerId: string;
  name: string;
  slug: string;
  category?: string;
  price: Money;
  stock: number;
  status: ProductStatus;
  changed?: string[];
}

/** The fields of a product its snapshot is made of. */
export type SnapshotSource = Pick<
  ProductRecord,
  'id' | 'sellerId' | 'name' | 'slug' | 'category' | 'priceAmount' | 'currency' | 'available' | 'status'
>;

export function snapshotOf(p: SnapshotSource, changed?: string[]): ProductSnapshot {
  return {
    productId: p.id,
    sellerId: p.sellerId,
    name: p.name,
    slug: p.slug,
    ...(p.category ? { category: p.category } : {}),
    price: { amount: Number(p.priceAmount), currency: p.currency },
    stock: Math.max(0, Number(p.available)),
    status: p.status,
    ...(changed ? { changed } : {}),
  };
}

/** "Ergonomic Chäir, 2-pack!" → "ergonomic-chair-2-pack"; never empty. */
export function slugify(name: string, maxLength = SLUG_MAX): string {
  const slug = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/&/g, ' and ')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, maxLength)
    .replace(/-+$/g, '');
  return slug || 'product';
}

/** The slug to try after `base` was taken: a short random suffix (no counting races between writers). */
export function slugWithSuffix(base: string): string {
  const suffix = randomBytes(4).readUInt32BE(0).toString(36).padStart(6, '0').slice(-6);
  return `${base.slice(0, SLUG_MAX - 7)}-${suffix}`;
}

/**
 * The slug to try for a new product: the name's slug first, a suffixed one after a clash. A name
 * shaped like a UUID is always suffixed, else its slug would be read as an id and never found.
 */
export function productSlug(name: string, attempt: number): string {
  const base = slugify(name);
  return attempt === 0 && !isUuid(base) ? base : slugWithSuffix(base);
}

/** "home-office" → "Home office": the name of a category created on first use. */
export function categoryNameFromSlug(slug: string): string {
  const words = slug.split('-').filter(Boolean).join(' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** A picture that is not a product's (a category's): a product image without an id. */
export type Picture = Omit<ProductImage, 'id'>;

export interface Category {
  id: string;
  slug: string;
  name: string;
  description: string;
  /** the storefront tile's picture; null when the category has none */
  image: Picture | null;
  createdAt: string;
  updatedAt: string;
}
