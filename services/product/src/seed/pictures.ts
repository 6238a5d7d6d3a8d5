// Product shots for seeded catalogs: the product type's icon as a glossy object in the product's colour,
// on a soft studio backdrop with a shadow, in three takes (studio, on a podium at an angle, close-up),
// and a picture per category. Backdrops (per colour and take) are rasterised once, small, and scaled up
// (gradients have no detail to lose); objects are drawn at their final size, each once per picture.
import sharp, { type Sharp } from 'sharp';
import { type Bounds, type Icon, icon } from './icons.js';

export const PICTURE_SIZE = 800;
export const CATEGORY_PICTURE = { width: 800, height: 600 } as const;
/** the takes: studio, at an angle on a podium, close-up */
export const PICTURE_VARIANTS = 3;

/** Rasterised pixels: RGBA layers, RGB backdrops. */
interface Layer {
  data: Buffer;
  width: number;
  height: number;
  channels: 3 | 4;
}

type Rgb = [number, number, number];

function rgb(hex: string): Rgb {
  return [1, 3, 5].map((at) => Number.parseInt(hex.slice(at, at + 2), 16)) as Rgb;
}

/** `hex` moved towards `to` by t (0..1). */
export function mix(hex: string, to: string, t: number): string {
  const a = rgb(hex);
  const b = rgb(to);
  return `#${a
    .map((v, i) =>
      Math.round(v + ((b[i] as number) - v) * t)
        .toString(16)
        .padStart(2, '0'),
    )
    .join('')}`;
}

function luminance(hex: string): number {
  const [r, g, b] = rgb(hex);
  return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255;
}

const WHITE = '#ffffff';
const BLACK = '#000000';
/** grid units around the drawing, for the outline's stroke */
const MARGIN = 1.2;
/** objects this light get grey backdrops, or they would vanish */
const PALE = 0.68;
/** backdrops are rasterised at this fraction of their size (a gradient has no detail to lose) */
const SMALL = 0.25;

interface View {
  x: number;
  y: number;
  side: number;
}

/** The square part of the icon grid around the drawing, `margin` units wider on each side. */
function frame(b: Bounds, margin: number): View {
  const side = Math.max(b.maxX - b.minX, b.maxY - b.minY) + 2 * margin;
  return { x: (b.minX + b.maxX) / 2 - side / 2, y: (b.minY + b.maxY) / 2 - side / 2, side };
}

/** The icon drawn as an object: a shaded body with a sheen and an outline, on transparency. */
function objectSvg(shape: Icon, hex: string, px: number, view: View, angle = 0, shadow = false): string {
  const f = frame(shape.bounds, MARGIN);
  const b = shape.bounds;
  const turn = angle ? ` transform="rotate(${angle} ${(b.minX + b.maxX) / 2} ${(b.minY + b.maxY) / 2})"` : '';
  const dark = luminance(hex) < 0.3;
  const light = mix(hex, WHITE, dark ? 0.32 : 0.5);
  const shade = mix(hex, BLACK, dark ? 0.4 : 0.25);
  const line = dark ? mix(hex, WHITE, 0.2) : mix(hex, BLACK, luminance(hex) > 0.8 ? 0.3 : 0.26);
  const paths = shape.outline.map((d) => `<path d="${d}"/>`).join('');
  const body = shape.solid.length > 0;
  // an icon without closed shapes (a pen, a leaf's vein) is drawn in the colour itself, thicker
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${px}" height="${px}" viewBox="${view.x} ${view.y} ${view.side} ${view.side}">
  <defs>
    <linearGradient id="body" x1="0" y1="0" x2="0.3" y2="1">
      <stop offset="0" stop-color="${light}"/><stop offset="0.45" stop-color="${hex}"/><stop offset="1" stop-color="${shade}"/>
    </linearGradient>
    <linearGradient id="band" x1="0" y1="0" x2="1" y2="0">
      <stop offset="0" stop-color="#fff" stop-opacity="0"/><stop offset="0.5" stop-color="#fff" stop-opacity="0.18"/><stop offset="1" stop-color="#fff" stop-opacity="0"/>
    </linearGradient>
    <clipPath id="clip"><path d="${shape.solid}"/></clipPath>
  </defs>
  ${shadow ? softShadow(shape) : ''}
  <g${turn}>${
    body
      ? `<path d="${shape.solid}" fill="url(#body)"/>
  <g clip-path="url(#clip)">
    <rect x="${f.x + f.side * 0.26}" y="${f.y}" width="${f.side * 0.14}" height="${f.side}" fill="url(#band)"/>
    <ellipse cx="${f.x + f.side * 0.3}" cy="${f.y + f.side * 0.18}" rx="${f.side * 0.45}" ry="${f.side * 0.24}" fill="#fff" opacity="0.16"/>
  </g>`
      : ''
  }
  <g fill="none" stroke="${body ? line : hex}" stroke-width="${body ? 1.05 : 2.4}" stroke-linecap="round" stroke-linejoin="round">${paths}</g></g>
</svg>`;
}

/**
 * A soft drop shadow without a blur filter (which costs more than the rest of the picture): the
 * silhouette a few times, each wider and fainter, down and to the right.
 */
function softShadow(shape: Icon): string {
  const paths = shape.outline.map((d) => `<path d="${d}"/>`).join('');
  return [2.2, 1.7, 1.2]
    .map(
      (width, i) =>
        `<g transform="translate(${0.55 - i * 0.1} ${0.9 - i * 0.15})" opacity="0.07"><path d="${shape.solid}"/><g fill="none" stroke="#000" stroke-width="${width}" stroke-linecap="round" stroke-linejoin="round">${paths}</g></g>`,
    )
    .join('');
}

function backdropSvg(hex: string, take: number, w: number, h: number): string {
  // a light object would vanish on a light backdrop: it gets a grey one
  const pale = luminance(hex) > PALE;
  if (take === 1) {
    // warm paper backdrop and a round podium in a pale tint of the product's colour
    const podium = pale ? '#b9b3aa' : mix(hex, '#f5f1ea', 0.72);
    return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}">
  <defs>
    <linearGradient id="bg" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="#f6f2ec"/><stop offset="1" stop-color="#e2dace"/></linearGradient>
    <linearGradient id="side" x1="0" y1="0" x2="1" y2="0"><stop offset="0" stop-color="${mix(podium, BLACK, 0.1)}"/><stop offset="0.45" stop-color="${podium}"/><stop offset="1" stop-color="${mix(podium, BLACK, 0.2)}"/></linearGradient>
    <radialGradient id="spot" cx="0.5" cy="0.3" r="0.6"><stop offset="0" stop-color="#fff" stop-opacity="0.6"/><stop offset="1" stop-color="#fff" stop-opacity="0"/></radialGradient>
    <radialGradient id="contact" cx="0.5" cy="0.5" r="0.5"><stop offset="0" stop-color="#000" stop-opacity="0.28"/><stop offset="1" stop-color="#000" stop-opacity="0"/></radialGradient>
  </defs>
  <rect width="100%" height="100%" fill="url(#bg)"/><rect width="100%" height="100%" fill="url(#spot)"/>
  <ellipse cx="${w * 0.5}" cy="${h * 0.97}" rx="${w * 0.38}" ry="${h * 0.04}" fill="url(#contact)"/>
  <path d="M${w * 0.19} ${h * 0.76}V${h * 0.94}A${w * 0.31} ${h * 0.06} 0 0 0 ${w * 0.81} ${h * 0.94}V${h * 0.76}z" fill="url(#side)"/>
  <ellipse cx="${w * 0.5}" cy="${h * 0.76}" rx="${w * 0.31}" ry="${h * 0.06}" fill="${mix(podium, WHITE, 0.4)}"/>
  <ellipse cx="${w * 0.5}" cy="${h * 0.765}" rx="${w * 0.22}" ry="${h * 0.03}" fill="url(#contact)"/>
</svg>`;
  }
  if (take === 2) {
    // a deeper tint for the close-up
    const tint = pale ? '#8797a8' : hex;
    return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}">
  <defs>
    <linearGradient id="bg" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="${mix(tint, WHITE, 0.7)}"/><stop offset="1" stop-color="${mix(tint, WHITE, 0.45)}"/></linearGradient>
    <radialGradient id="spot" cx="0.3" cy="0.25" r="0.7"><stop offset="0" stop-color="#fff" stop-opacity="0.5"/><stop offset="1" stop-color="#fff" stop-opacity="0"/></radialGradient>
  </defs>
  <rect width="100%" height="100%" fill="url(#bg)"/><rect width="100%" height="100%" fill="url(#spot)"/>
</svg>`;
  }
  // studio: a near-white sweep (the same for every colour), a spot of light and a contact shadow
  const top = pale ? '#e9e6e1' : '#f8f7f4';
  const bottom = pale ? '#cfc9c1' : '#e2dfda';
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}">
  <defs>
    <linearGradient id="bg" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="${top}"/><stop offset="0.62" stop-color="${top}"/><stop offset="1" stop-color="${bottom}"/></linearGradient>
    <radialGradient id="spot" cx="0.5" cy="0.4" r="0.55"><stop offset="0" stop-color="#fff" stop-opacity="0.75"/><stop offset="1" stop-color="#fff" stop-opacity="0"/></radialGradient>
    <radialGradient id="floor" cx="0.5" cy="0.5" r="0.5"><stop offset="0" stop-color="#000" stop-opacity="0.3"/><stop offset="1" stop-color="#000" stop-opacity="0"/></radialGradient>
  </defs>
  <rect width="100%" height="100%" fill="url(#bg)"/><rect width="100%" height="100%" fill="url(#spot)"/>
  <ellipse cx="${w * 0.5}" cy="${h * 0.845}" rx="${w * 0.3}" ry="${h * 0.04}" fill="url(#floor)"/>
</svg>`;
}

/** The SVG as RGBA pixels: at `density` (72 = its own size), then resized to width × height if given. */
async function rasterise(
  svg: string,
  opts: { density?: number; width?: number; height?: number } = {},
): Promise<Layer> {
  let pipeline = sharp(Buffer.from(svg), opts.density ? { density: opts.density } : {}).ensureAlpha();
  if (opts.width && opts.height) pipeline = pipeline.resize(opts.width, opts.height);
  const { data, info } = await pipeline.raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, channels: 4 };
}

const layerInput = (layer: Layer, left: number, top: number) => ({
  input: layer.data,
  raw: { width: layer.width, height: layer.height, channels: 4 as const },
  left: Math.round(left),
  top: Math.round(top),
});

const drawn = async (svg: string, left: number, top: number) => layerInput(await rasterise(svg), left, top);

/** The studio take: object size (px) and where its drawing's bottom sits (fraction of the height). */
const STUDIO = { px: 620, bottom: 0.85 };
/** The podium take: the drawing's scale against the studio's, its bottom, its angle. */
const PODIUM = { scale: 0.8, bottom: 0.77, angle: -9 };

/**
 * Draws pictures as sharp pipelines (composited, not yet encoded); keeps the backdrops (per colour and
 * take) it rasterised. One renderer per seeding run.
 */
export class PictureRenderer {
  private readonly layers = new Map<string, Promise<Layer>>();

  private layer(key: string, make: () => Promise<Layer>): Promise<Layer> {
    let made = this.layers.get(key);
    if (!made) {
      made = make();
      this.layers.set(key, made);
    }
    return made;
  }

  /** The backdrop: drawn small, scaled up once and kept as pixels (a few MB for a whole catalog). */
  private async base(hex: string, take: number, width: number, height: number): Promise<Sharp> {
    // the studio sweep is the same for every colour but the pale ones
    const tint = take === 0 ? (luminance(hex) > PALE ? 'pale' : 'any') : hex;
    const backdrop = await this.layer(`backdrop|${tint}|${take}|${width}x${height}`, async () => {
      const svg = take === 3 ? categoryBackdropSvg(hex, width, height) : backdropSvg(hex, take, width, height);
      const { data, info } = await sharp(Buffer.from(svg), { density: 72 * SMALL })
        .resize(width, height)
        .removeAlpha()
        .raw()
        .toBuffer({ resolveWithObject: true });
      return { data, width: info.width, height: info.height, channels: 3 };
    });
    return sharp(backdrop.data, {
      raw: { width: backdrop.width, height: backdrop.height, channels: backdrop.channels },
    });
  }

  /** Take `variant` (0 studio, 1 angle on a podium, 2 close-up) of a product drawn by `iconName` in `hex`. */
  async product(iconName: string, hex: string, variant = 0): Promise<Sharp> {
    const take = variant % PICTURE_VARIANTS;
    const shape = icon(iconName);
    const b = shape.bounds;
    const f = frame(b, MARGIN);
    const base = await this.base(hex, take, PICTURE_SIZE, PICTURE_SIZE);
    if (take === 2) {
      // the close-up: the object a fifth larger than the frame, its lower right corner cut off
      const view = { x: f.x + f.side * 0.03, y: f.y + f.side * 0.03, side: f.side / 1.2 };
      return base.composite([await drawn(objectSvg(shape, hex, PICTURE_SIZE, view), 0, 0)]);
    }
    if (take === 1) {
      // room for the turned drawing's corners
      const view = frame(b, MARGIN + 2.5);
      const px = Math.round(STUDIO.px * PODIUM.scale * (view.side / f.side));
      const scale = px / view.side;
      const top = PICTURE_SIZE * PODIUM.bottom - ((b.maxY - b.minY) / 2) * scale - px / 2;
      return base.composite([await drawn(objectSvg(shape, hex, px, view, PODIUM.angle), (PICTURE_SIZE - px) / 2, top)]);
    }
    const px = STUDIO.px;
    const below = px * ((f.y + f.side - b.maxY) / f.side);
    const object = await drawn(
      objectSvg(shape, hex, px, f, 0, true),
      (PICTURE_SIZE - px) / 2,
      PICTURE_SIZE * STUDIO.bottom - px + below,
    );
    return base.composite([object]);
  }

  /** A category: three of its objects grouped on a backdrop in the category's colour. */
  async category(icons: readonly [string, string, string], hex: string): Promise<Sharp> {
    const { width: w, height: h } = CATEGORY_PICTURE;
    const accents = [hex, mix(hex, WHITE, 0.3), mix(hex, BLACK, 0.28)] as const;
    const spots = [
      { px: 340, x: 0.5, bottom: 0.7 },
      { px: 260, x: 0.24, bottom: 0.93 },
      { px: 260, x: 0.76, bottom: 0.93 },
    ] as const;
    const base = await this.base(hex, 3, w, h);
    const objects = await Promise.all(
      icons.map((name, i) => {
        const spot = spots[i] as (typeof spots)[number];
        const shape = icon(name);
        const f = frame(shape.bounds, MARGIN);
        const below = spot.px * ((f.y + f.side - shape.bounds.maxY) / f.side);
        const svg = objectSvg(shape, accents[i] as string, spot.px, f, 0, true);
        return drawn(svg, w * spot.x - spot.px / 2, h * spot.bottom - spot.px + below);
      }),
    );
    return base.composite(objects);
  }
}

function categoryBackdropSvg(hex: string, w: number, h: number): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}">
  <defs>
    <linearGradient id="bg" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="${mix(hex, WHITE, 0.86)}"/><stop offset="1" stop-color="${mix(hex, WHITE, 0.66)}"/></linearGradient>
    <radialGradient id="spot" cx="0.5" cy="0.35" r="0.6"><stop offset="0" stop-color="#fff" stop-opacity="0.7"/><stop offset="1" stop-color="#fff" stop-opacity="0"/></radialGradient>
    <radialGradient id="floor" cx="0.5" cy="0.5" r="0.5"><stop offset="0" stop-color="#000" stop-opacity="0.2"/><stop offset="1" stop-color="#000" stop-opacity="0"/></radialGradient>
  </defs>
  <rect width="100%" height="100%" fill="url(#bg)"/><rect width="100%" height="100%" fill="url(#spot)"/>
  <ellipse cx="${w * 0.5}" cy="${h * 0.93}" rx="${w * 0.44}" ry="${h * 0.05}" fill="url(#floor)"/>
</svg>`;
}
