// Generated product pictures for demo and seeded catalogs: a soft gradient and a few shapes, no fonts needed.
import sharp from 'sharp';
import { randomSource } from './generator.js';

function hsl(h: number, s: number, l: number): string {
  return `hsl(${Math.round(h * 360)}, ${Math.round(s * 100)}%, ${Math.round(l * 100)}%)`;
}

function hueOf(hex: string): number {
  const [r, g, b] = [1, 3, 5].map((at) => Number.parseInt(hex.slice(at, at + 2), 16) / 255) as [number, number, number];
  const max = Math.max(r, g, b);
  const d = max - Math.min(r, g, b);
  if (d === 0) return 0;
  const h = max === r ? ((g - b) / d) % 6 : max === g ? (b - r) / d + 2 : (r - g) / d + 4;
  return (h / 6 + 1) % 1;
}

/** An 800×800 JPEG whose colours and shapes follow `color` (hex) and `variant`. */
export async function productPicture(color: string, variant = 0, size = 800): Promise<Buffer> {
  const hue = hueOf(color);
  const random = randomSource(Math.floor(hue * 1e6) + variant * 7919);
  const shapes: string[] = [];
  const count = 3 + Math.floor(random() * 4);
  for (let i = 0; i < count; i++) {
    const x = Math.round(size * (0.2 + random() * 0.6));
    const y = Math.round(size * (0.2 + random() * 0.6));
    const r = Math.round(size * (0.08 + random() * 0.18));
    const fill = hsl((hue + random() * 0.25) % 1, 0.55 + random() * 0.3, 0.45 + random() * 0.3);
    shapes.push(
      random() < 0.5
        ? `<circle cx="${x}" cy="${y}" r="${r}" fill="${fill}" fill-opacity="0.85"/>`
        : `<rect x="${x - r}" y="${y - r}" width="${2 * r}" height="${2 * r}" rx="${Math.round(r / 4)}" fill="${fill}" fill-opacity="0.85"/>`,
    );
  }
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}">
    <defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1">
      <stop offset="0" stop-color="${hsl(hue, 0.6, 0.92)}"/><stop offset="1" stop-color="${hsl((hue + 0.08) % 1, 0.5, 0.78)}"/>
    </linearGradient></defs>
    <rect width="100%" height="100%" fill="url(#g)"/>${shapes.join('')}
    <ellipse cx="${size / 2}" cy="${Math.round(size * 0.9)}" rx="${Math.round(size * 0.3)}" ry="${Math.round(size * 0.03)}" fill="black" fill-opacity="0.12"/>
  </svg>`;
  return sharp(Buffer.from(svg)).jpeg({ quality: 85 }).toBuffer();
}
