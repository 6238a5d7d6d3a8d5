// Judging an answer of the evaluation: is a product relevant to a case, and precision at k.
import type { Judge, SearchCase } from './cases.js';

export interface JudgedProduct {
  id: string;
  name: string;
  category: string | null;
  attributes: Record<string, unknown>;
  price: { amount: number };
}

function matchesValue(actual: unknown, expected: string | number | boolean | Array<string | number>): boolean {
  if (expected === '*') return actual !== undefined && actual !== null;
  if (Array.isArray(expected)) return expected.some((e) => matchesValue(actual, e));
  if (typeof expected === 'boolean') return actual === expected;
  return String(actual).toLowerCase() === String(expected).toLowerCase();
}

function holds(p: JudgedProduct, j: Judge): boolean {
  if (j.category !== undefined) {
    const categories = Array.isArray(j.category) ? j.category : [j.category];
    if (!categories.includes(p.category ?? '')) return false;
  }
  for (const [key, expected] of Object.entries(j.attributes ?? {})) {
    if (!matchesValue(p.attributes[key], expected)) return false;
  }
  if (j.minPrice !== undefined && p.price.amount < j.minPrice) return false;
  if (j.maxPrice !== undefined && p.price.amount > j.maxPrice) return false;
  if (j.name !== undefined && !new RegExp(j.name, 'i').test(p.name)) return false;
  if (j.notName !== undefined && new RegExp(j.notName, 'i').test(p.name)) return false;
  return true;
}

export function isRelevant(p: JudgedProduct, c: SearchCase): boolean {
  const judges = Array.isArray(c.relevant) ? c.relevant : [c.relevant];
  return judges.some((j) => holds(p, j));
}

/**
 * Precision at k: relevant answers among the first k over k (a short answer counts its missing
 * places as wrong), and the same over min(k, relevant products in the catalog), which is 1 when the
 * answer is as good as the catalog allows.
 */
export function precisionAt(k: number, answer: readonly JudgedProduct[], c: SearchCase, relevantInCatalog: number) {
  const hits = answer.slice(0, k).filter((p) => isRelevant(p, c)).length;
  return { hits, precision: hits / k, attainable: relevantInCatalog ? hits / Math.min(k, relevantInCatalog) : 0 };
}
