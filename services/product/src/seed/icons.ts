// Icons the seeded pictures draw: the Tabler set (MIT, via @iconify-json/tabler) plus a few of our own in
// its style, split into the outline (stroked) and its closed shapes (filled, so an outline reads as an object).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

/** An icon on a 24×24 grid: `outline` as path data for a 2-unit stroke, `solid` its closed shapes. */
export interface Icon {
  outline: string[];
  solid: string;
  /** the box its path points and control points span (strokes reach one unit further) */
  bounds: Bounds;
}

export interface Bounds {
  minX: number;
  minY: number;
  maxX: number;
  maxY: number;
}

// Drawn for this catalog on Tabler's grid (24×24, round 2-unit strokes), where Tabler has no such object.
const OWN_ICONS: Record<string, string[]> = {
  kettle: [
    'M6 20h12a1 1 0 0 0 1-1.2L17.5 10h-11L5 18.8A1 1 0 0 0 6 20z',
    'M7.5 10a4.5 3.2 0 0 1 9 0z',
    'M12 6.8v-1.3',
    'M17.9 12.6l3.1-2.6',
    'M6.2 12.2C3.6 12.4 3.4 15.6 5.5 16.8',
  ],
  'coffee-grinder': [
    'M6 12h12v8a1 1 0 0 1-1 1H7a1 1 0 0 1-1-1z',
    'M7 12l1.5-4h7l1.5 4z',
    'M11 16.5h2',
    'M12 8V4h5',
    'M17 4v2.5',
  ],
  'french-press': [
    'M7 7h9v13a1 1 0 0 1-1 1H8a1 1 0 0 1-1-1z',
    'M16 9h2a1 1 0 0 1 1 1v6a1 1 0 0 1-1 1h-2',
    'M6 7h11',
    'M11.5 7V2.5',
    'M10 2.5h3',
    'M7 11.5h9',
  ],
  'frying-pan': [
    'M2 13.5a7 5 0 1 0 14 0a7 5 0 1 0-14 0',
    'M4.5 13.5a4.5 3 0 1 0 9 0a4.5 3 0 1 0-9 0',
    'M15.2 11.2l5.6-3.1a1.1 1.1 0 0 1 1.1 1.9l-5.6 3.1z',
  ],
  'chef-knife': ['M3 20.5c4.5-1 9.5-5.5 12-9.5l-3-3C9.2 11.4 5.2 15.4 3 20.5z', 'M13 9l5-5a1.41 1.41 0 0 1 2 2l-5 5z'],
  thermos: [
    'M8 7.5h8v12a1.5 1.5 0 0 1-1.5 1.5h-5A1.5 1.5 0 0 1 8 19.5z',
    'M9 7.5V6a1.5 1.5 0 0 1 1.5-1.5h3A1.5 1.5 0 0 1 15 6v1.5z',
    'M9.5 4.5V2.5h5v2',
    'M8 11h8',
    'M8 17.5h8',
  ],
  'power-bank': [
    'M7 3h10a2 2 0 0 1 2 2v14a2 2 0 0 1-2 2H7a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2z',
    'M12.8 7.5l-2.6 4.5h3.6l-2.6 4.5',
    'M10 18.5h4',
  ],
  'yoga-mat': [
    'M5 8.5h13a3.5 3.5 0 0 1 0 7H5z',
    'M1.5 12a3.5 3.5 0 1 0 7 0a3.5 3.5 0 1 0-7 0',
    'M4 12a1 1 0 1 0 2 0',
    'M13 8.5v7',
  ],
};

// Closed shapes to fill where a Tabler outline leaves its body open (a cup's sides end at its lid).
const SOLID_EXTRA: Record<string, string[]> = {
  cup: ['M6.5 11h11L16 21H8z', 'M6 8V7a2 2 0 0 1 2-2h8a2 2 0 0 1 2 2v1z'],
  bottle: [
    'M14 3.5c0 1.626.507 3.212 1.45 4.537l.05.07a8.1 8.1 0 0 1 1.5 4.694V19a2 2 0 0 1-2 2H9a2 2 0 0 1-2-2v-6.2c0-1.682.524-3.322 1.5-4.693l.05-.07A7.82 7.82 0 0 0 10 3.5z',
  ],
  tent: ['M12 4L21 20H3z'],
  book: ['M3 6a9 9 0 0 1 9 0v13a9 9 0 0 0-9 0z', 'M12 6a9 9 0 0 1 9 0v13a9 9 0 0 0-9 0z'],
  blender: ['M8 4h8.8a1 1 0 0 1 .98 1.18L16 15h-6z'],
};

let tabler: Record<string, { body: string }> | undefined;

function tablerBody(name: string): string | undefined {
  if (!tabler) {
    const require = createRequire(import.meta.url);
    const set = JSON.parse(readFileSync(require.resolve('@iconify-json/tabler/icons.json'), 'utf8')) as {
      icons: Record<string, { body: string }>;
    };
    tabler = set.icons;
  }
  return tabler[name]?.body;
}

const cache = new Map<string, Icon>();

/** The icon by Tabler name or one of ours; throws for an unknown name (a typo in the vocabulary). */
export function icon(name: string): Icon {
  const known = cache.get(name);
  if (known) return known;
  const own = OWN_ICONS[name];
  const body = own ? undefined : tablerBody(name);
  if (!own && !body) throw new Error(`no icon named ${name}`);
  const outline = own ?? [...(body as string).matchAll(/\sd="([^"]+)"/g)].map((m) => m[1] as string);
  const parts = outline.flatMap(subpaths);
  const solid = [...parts.filter((s) => s.closed).map((s) => s.d), ...(SOLID_EXTRA[name] ?? [])].join('');
  const bounds = parts.reduce(
    (b, s) => ({
      minX: Math.min(b.minX, s.bounds.minX),
      minY: Math.min(b.minY, s.bounds.minY),
      maxX: Math.max(b.maxX, s.bounds.maxX),
      maxY: Math.max(b.maxY, s.bounds.maxY),
    }),
    { minX: 24, minY: 24, maxX: 0, maxY: 0 },
  );
  const made = { outline, solid, bounds };
  cache.set(name, made);
  return made;
}

export function iconNames(): { own: string[] } {
  return { own: Object.keys(OWN_ICONS) };
}

const ARITY: Record<string, number> = { m: 2, l: 2, h: 1, v: 1, c: 6, s: 4, q: 4, t: 2, a: 7, z: 0 };

/**
 * Splits SVG path data into its subpaths, each made to start with an absolute moveto so it stands
 * alone, and whether it is closed (a `z`, or it ends where it began).
 */
export function subpaths(d: string): Array<{ d: string; closed: boolean; bounds: Bounds }> {
  const out: Array<{ d: string; closed: boolean; bounds: Bounds }> = [];
  let at = 0;
  let x = 0;
  let y = 0;
  let startX = 0;
  let startY = 0;
  let current: { parts: string[]; closed: boolean; bounds: Bounds } | undefined;
  const open = () => ({ parts: [`M${x} ${y}`], closed: false, bounds: { minX: x, minY: y, maxX: x, maxY: y } });
  const reach = (px: number, py: number) => {
    if (!current) return;
    const b = current.bounds;
    b.minX = Math.min(b.minX, px);
    b.minY = Math.min(b.minY, py);
    b.maxX = Math.max(b.maxX, px);
    b.maxY = Math.max(b.maxY, py);
  };
  const finish = () => {
    if (current && current.parts.length > 1) {
      const closed = current.closed || (Math.abs(x - startX) < 0.05 && Math.abs(y - startY) < 0.05);
      out.push({ d: current.parts.join(''), closed, bounds: current.bounds });
    }
    current = undefined;
  };
  const skip = () => {
    while (at < d.length && /[\s,]/.test(d[at] as string)) at++;
  };
  const number = (): number => {
    skip();
    const match = /^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?/.exec(d.slice(at));
    if (!match) throw new Error(`bad path data at ${at}: ${d.slice(at, at + 10)}`);
    at += match[0].length;
    return Number(match[0]);
  };
  const flag = (): number => {
    skip();
    const c = d[at++];
    if (c !== '0' && c !== '1') throw new Error(`bad arc flag at ${at - 1}`);
    return Number(c);
  };
  const moreNumbers = () => {
    skip();
    return at < d.length && /[-+.\d]/.test(d[at] as string);
  };

  while (true) {
    skip();
    if (at >= d.length) break;
    const command = d[at++] as string;
    const lower = command.toLowerCase();
    const relative = command === lower;
    const arity = ARITY[lower];
    if (arity === undefined) throw new Error(`bad path command ${command}`);
    if (lower === 'z') {
      if (current) {
        current.parts.push('z');
        current.closed = true;
      }
      x = startX;
      y = startY;
      finish();
      continue;
    }
    let first = true;
    do {
      const args = Array.from({ length: arity }, (_, i) => (lower === 'a' && (i === 3 || i === 4) ? flag() : number()));
      if (lower === 'm' && first) {
        finish();
        x = relative ? x + (args[0] as number) : (args[0] as number);
        y = relative ? y + (args[1] as number) : (args[1] as number);
        startX = x;
        startY = y;
        current = open();
      } else {
        // a moveto's further pairs are linetos
        const name = lower === 'm' ? (relative ? 'l' : 'L') : command;
        if (!current) current = open();
        current.parts.push(`${name}${args.join(' ')}`);
        const kind = lower === 'm' ? 'l' : lower;
        const fromX = x;
        const fromY = y;
        if (kind === 'h') x = relative ? x + (args[0] as number) : (args[0] as number);
        else if (kind === 'v') y = relative ? y + (args[0] as number) : (args[0] as number);
        else {
          // control points bound a curve's box from outside: good enough to frame a picture
          for (let i = 0; i + 1 < arity && kind !== 'a'; i += 2) {
            const px = relative ? fromX + (args[i] as number) : (args[i] as number);
            reach(px, relative ? fromY + (args[i + 1] as number) : (args[i + 1] as number));
          }
          const ex = args[arity - 2] as number;
          const ey = args[arity - 1] as number;
          x = relative ? x + ex : ex;
          y = relative ? y + ey : ey;
          if (kind === 'a') for (const [px, py] of arcPoints(fromX, fromY, args, x, y)) reach(px, py);
        }
        reach(x, y);
      }
      first = false;
    } while (moreNumbers());
  }
  finish();
  return out;
}

/** Points along an SVG arc (endpoint form, rotation ignored: icons draw circles), for its bounds. */
function arcPoints(x1: number, y1: number, args: number[], x2: number, y2: number): Array<[number, number]> {
  let rx = Math.abs(args[0] as number);
  let ry = Math.abs(args[1] as number);
  const large = args[3] === 1;
  const sweep = args[4] === 1;
  if (rx === 0 || ry === 0) return [];
  const dx = (x1 - x2) / 2;
  const dy = (y1 - y2) / 2;
  const scale = (dx * dx) / (rx * rx) + (dy * dy) / (ry * ry);
  if (scale > 1) {
    rx *= Math.sqrt(scale);
    ry *= Math.sqrt(scale);
  }
  const sign = large === sweep ? -1 : 1;
  const num = rx * rx * ry * ry - rx * rx * dy * dy - ry * ry * dx * dx;
  const co = sign * Math.sqrt(Math.max(0, num / (rx * rx * dy * dy + ry * ry * dx * dx)));
  const cx = co * ((rx * dy) / ry) + (x1 + x2) / 2;
  const cy = co * (-(ry * dx) / rx) + (y1 + y2) / 2;
  const start = Math.atan2((y1 - cy) / ry, (x1 - cx) / rx);
  let delta = Math.atan2((y2 - cy) / ry, (x2 - cx) / rx) - start;
  if (sweep && delta < 0) delta += 2 * Math.PI;
  if (!sweep && delta > 0) delta -= 2 * Math.PI;
  return Array.from({ length: 17 }, (_, i) => {
    const t = start + (delta * i) / 16;
    return [cx + rx * Math.cos(t), cy + ry * Math.sin(t)] as [number, number];
  });
}
