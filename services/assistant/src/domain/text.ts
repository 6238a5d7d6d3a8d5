// Words as the assistant compares them: folded case and accents, light plural stemming, bounded edit distance.
import { createHash } from 'node:crypto';

const IRREGULAR: Record<string, string> = {
  knives: 'knife',
  shelves: 'shelf',
  leaves: 'leaf',
  scarves: 'scarf',
  wolves: 'wolf',
  men: 'man',
  women: 'woman',
  children: 'child',
  kids: 'kid',
  feet: 'foot',
  teeth: 'tooth',
  mice: 'mouse',
  geese: 'goose',
  people: 'person',
  dice: 'die',
  // words that end like plurals but are not
  glasses: 'glass',
  pants: 'pants',
  jeans: 'jeans',
  shorts: 'shorts',
  headphones: 'headphone',
  earbuds: 'earbud',
  dumbbells: 'dumbbell',
  earrings: 'earring',
  news: 'news',
  series: 'series',
  species: 'species',
  chess: 'chess',
  bus: 'bus',
  gas: 'gas',
  yes: 'yes',
  this: 'this',
  his: 'his',
  is: 'is',
  was: 'was',
  has: 'has',
  does: 'does',
  its: 'its',
  us: 'us',
  plus: 'plus',
  canvas: 'canvas',
  lens: 'lens',
  lenses: 'lens',
  alias: 'alias',
};

const NOT_GERUND = new Set(['something', 'anything', 'nothing', 'everything', 'morning', 'evening', 'clothing']);

/** Spelling variants folded to one form before anything else looks at a word. */
const VARIANTS: Record<string, string> = {
  gray: 'grey',
  colour: 'color',
  canceling: 'cancelling',
  canceled: 'cancelled',
  colours: 'colors',
  coloured: 'colored',
  aluminium: 'aluminum',
  favourite: 'favorite',
  jewellery: 'jewelry',
  tshirt: 'tshirt',
  teeshirt: 'tshirt',
  tee: 'tshirt',
  tees: 'tshirt',
  mobile: 'phone',
  cellphone: 'phone',
  cellphones: 'phone',
  sneaker: 'sneakers',
  trainers: 'sneakers',
  trainer: 'sneakers',
  couch: 'sofa',
  couches: 'sofa',
  laptop: 'laptop',
  notebook: 'notebook',
};

/** Lower case, accents off, `&` as "and"; everything but letters, digits and spaces becomes a space. */
export function fold(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/&/g, ' and ')
    .replace(/['’]s\b/g, '')
    .replace(/['’]/g, '');
}

/**
 * A plural or a possessive folded to its singular: shoes → shoe, batteries → battery, watches →
 * watch, knives → knife. Catalog and query words go through the same function, so the point is
 * agreement, not linguistics.
 */
export function stem(word: string): string {
  const irregular = IRREGULAR[word];
  if (irregular) return irregular;
  if (word.length <= 3 || /\d/.test(word)) return word;
  if (word.endsWith('ies') && word.length > 4) return `${word.slice(0, -3)}y`;
  if (word.endsWith('ing') && word.length >= 7 && !NOT_GERUND.has(word)) {
    const base = word.slice(0, -3);
    // running → run, cutting → cut; sleeping → sleep
    return /([b-df-hj-np-tv-z])\1$/.test(base) && !/(ll|ss|ff|zz)$/.test(base) ? base.slice(0, -1) : base;
  }
  if (/(ss|us|is|ous)$/.test(word)) return word;
  if (/(sses|shes|ches|xes|zes)$/.test(word)) return word.slice(0, -2);
  if (word.endsWith('s')) return word.slice(0, -1);
  return word;
}

/** The words of a text, folded (hyphenated words also joined: t-shirt → t, shirt, tshirt). */
export function words(text: string): string[] {
  const out: string[] = [];
  for (const raw of fold(text).split(/[^a-z0-9-]+/)) {
    if (!raw) continue;
    const parts = raw.split('-').filter(Boolean);
    if (parts.length > 1) {
      const joined = parts.join('');
      for (const p of parts) out.push(VARIANTS[p] ?? p);
      out.push(VARIANTS[joined] ?? joined);
    } else if (parts[0]) {
      out.push(VARIANTS[parts[0]] ?? parts[0]);
    }
  }
  return out;
}

/** Words stemmed, in order (duplicates kept). */
export function terms(text: string): string[] {
  return words(text).map(stem);
}

export const STOPWORDS: ReadonlySet<string> = new Set(
  (
    'a an the and or of for to in on at by with from about as into is are was were be been am do does did ' +
    'i me my mine we our you your he she it its they them their this that these those there here ' +
    'some any something anything thing things one ones stuff please pls can could would should will ' +
    'want wanted need needs like looking look find show give get got see have has had let lets ' +
    'im ive id also just really very so too much many more most what which who whom whose how where when ' +
    'item items product products buy buying purchase shop shopping store good nice great new best ' +
    'someone somebody person people them him her his hers ' +
    'under below above over less than least between around about up down max min maximum minimum ' +
    'dollar dollars usd buck bucks price priced cost costs costing cheap cheaper cheapest expensive ' +
    'tell us go if not no but only all every each other another same own such then than s t'
  ).split(/\s+/),
);

/** Damerau–Levenshtein distance (adjacent swaps count 1), giving up past `max` (returns max + 1). */
export function editDistance(a: string, b: string, max: number): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  if (a === b) return 0;
  const n = a.length;
  const m = b.length;
  let prev2 = new Array<number>(m + 1).fill(0);
  let prev = Array.from({ length: m + 1 }, (_, j) => j);
  let cur = new Array<number>(m + 1).fill(0);
  for (let i = 1; i <= n; i++) {
    cur[0] = i;
    let rowMin = cur[0];
    for (let j = 1; j <= m; j++) {
      const cost = a.charCodeAt(i - 1) === b.charCodeAt(j - 1) ? 0 : 1;
      let v = Math.min((prev[j] as number) + 1, (cur[j - 1] as number) + 1, (prev[j - 1] as number) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        v = Math.min(v, (prev2[j - 2] as number) + 1);
      }
      cur[j] = v;
      if (v < rowMin) rowMin = v;
    }
    if (rowMin > max) return max + 1;
    [prev2, prev, cur] = [prev, cur, prev2];
  }
  return prev[m] as number;
}

/** How many typos a word of this length may carry and still be recognised. */
export function typoBudget(word: string): number {
  if (word.length < 4) return 0;
  if (word.length < 8) return 1;
  return 2;
}

/** A short stable hash of a text: the key under which its vector is reused. */
export function contentHash(text: string): string {
  return createHash('sha256').update(text).digest('base64url').slice(0, 22);
}
