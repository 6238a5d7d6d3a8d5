// Searches for the catalog bench: what shoppers type against the generated catalog, and searches that find nothing.
import { ADJECTIVES, BRANDS, CATEGORIES, COLORS, MATERIALS, randomSource } from '@microbazaar/product/seed/generator';

/** Words no generated product has, nor anything close enough for a typo match. */
export const ABSENT = [
  'violin',
  'tractor',
  'ukulele',
  'submarine',
  'volcano',
  'asteroid',
  'parachute',
  'trombone',
  'accordion',
  'zeppelin',
  'harpoon',
  'penguin',
  'dinosaur',
  'quasar',
  'tornado',
  'orchestra',
  'pyramid',
  'sphinx',
  'igloo',
  'mango',
  'papaya',
  'broccoli',
  'spinach',
  'pretzel',
  'burrito',
  'lobster',
  'flamingo',
  'giraffe',
  'kangaroo',
  'narwhal',
];

/** A typo: one letter dropped, doubled or two swapped, as fingers do. */
function typo(word: string, random: () => number): string {
  const at = 1 + Math.floor(random() * (word.length - 2));
  const kind = Math.floor(random() * 3);
  if (kind === 0) return word.slice(0, at) + word.slice(at + 1);
  if (kind === 1) return word.slice(0, at) + word[at] + word.slice(at);
  return word.slice(0, at) + (word[at + 1] ?? '') + word[at] + word.slice(at + 2);
}

/**
 * `count` distinct searches as shoppers type them against the generated catalog: mostly two-word phrases
 * (material, adjective or colour + product), single words and brands, typos, and about one in ten that
 * matches nothing. The same list on every run.
 */
export function realisticQueries(count: number): string[] {
  const random = randomSource(2024);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const lower = (s: string) => s.toLowerCase();
  const noun = () => lower(pick(pick(CATEGORIES).types).noun);
  const makers: Array<[number, () => string]> = [
    [25, () => `${lower(pick(MATERIALS))} ${noun()}`],
    [15, () => `${lower(pick(ADJECTIVES))} ${noun()}`],
    [10, () => `${pick(COLORS)} ${noun()}`],
    [5, () => lower(pick(BRANDS))],
    [5, () => `${lower(pick(BRANDS))} ${noun()}`],
    [10, () => noun()],
    [5, () => lower(pick([...ADJECTIVES, ...MATERIALS]))],
    [10, () => typo(noun().split(' ').at(-1) ?? '', random)],
    [5, () => `${typo(lower(pick(ADJECTIVES)), random)} ${noun()}`],
    [10, () => `${pick(ABSENT)} ${pick([noun(), pick(ABSENT)])}`],
  ];
  // each maker's share of the list, by weight
  const weighted = makers.flatMap(([weight, make]) => Array.from({ length: weight }, () => make));
  const out = new Set<string>();
  while (out.size < count) out.add(pick(weighted)());
  return [...out];
}

/** `count` distinct two-word searches that match nothing, not even as prefixes or typos. */
export function absentQueries(count: number): string[] {
  const out: string[] = [];
  for (const a of ABSENT) for (const b of ABSENT) if (a !== b && out.length < count) out.push(`${a} ${b}`);
  return out;
}
