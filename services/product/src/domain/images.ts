// Which image formats are accepted, decided from the file's first bytes (never its name or declared type).

export type ImageFormat = 'jpeg' | 'png' | 'webp' | 'avif';

export const IMAGE_CONTENT_TYPES: Record<ImageFormat, string> = {
  jpeg: 'image/jpeg',
  png: 'image/png',
  webp: 'image/webp',
  avif: 'image/avif',
};

export const IMAGE_EXTENSIONS: Record<ImageFormat, string> = { jpeg: 'jpg', png: 'png', webp: 'webp', avif: 'avif' };

const PNG = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const AVIF_BRANDS = new Set(['avif', 'avis']);

function ascii(buf: Uint8Array, start: number, end: number): string {
  return Buffer.from(buf.subarray(start, end)).toString('latin1');
}

/** The format the magic bytes announce, or null for anything else (text, GIF, SVG, HEIC, PDF...). */
export function detectImageFormat(buf: Uint8Array): ImageFormat | null {
  if (buf.length >= 3 && buf[0] === 0xff && buf[1] === 0xd8 && buf[2] === 0xff) return 'jpeg';
  if (buf.length >= 8 && PNG.every((b, i) => buf[i] === b)) return 'png';
  if (buf.length >= 12 && ascii(buf, 0, 4) === 'RIFF' && ascii(buf, 8, 12) === 'WEBP') return 'webp';
  if (buf.length >= 16 && ascii(buf, 4, 8) === 'ftyp') {
    // ISO-BMFF: major brand, minor version, then compatible brands up to the end of the ftyp box
    if (AVIF_BRANDS.has(ascii(buf, 8, 12))) return 'avif';
    const boxSize = Math.min(Buffer.from(buf.subarray(0, 4)).readUInt32BE(0), buf.length, 256);
    for (let at = 16; at + 4 <= boxSize; at += 4) if (AVIF_BRANDS.has(ascii(buf, at, at + 4))) return 'avif';
  }
  return null;
}
