import { describe, expect, it } from 'vitest';
import { detectImageFormat } from './images.js';

const bytes = (...parts: Array<number[] | string>) =>
  Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : Buffer.from(p))));

function ftyp(major: string, compatible: string[]): Buffer {
  const body = bytes('ftyp', major, [0, 0, 0, 0], ...compatible);
  const size = Buffer.alloc(4);
  size.writeUInt32BE(body.length + 4);
  return Buffer.concat([size, body, Buffer.alloc(16)]);
}

describe('detectImageFormat (magic bytes, never the name)', () => {
  it('recognises JPEG, PNG, WebP and AVIF', () => {
    expect(detectImageFormat(bytes([0xff, 0xd8, 0xff, 0xe0], 'JFIF'))).toBe('jpeg');
    expect(detectImageFormat(bytes([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'IHDR'))).toBe('png');
    expect(detectImageFormat(bytes('RIFF', [0, 0, 0, 0], 'WEBPVP8 '))).toBe('webp');
    expect(detectImageFormat(ftyp('avif', ['mif1', 'miaf']))).toBe('avif');
    expect(detectImageFormat(ftyp('mif1', ['miaf', 'avif']))).toBe('avif');
    expect(detectImageFormat(ftyp('avis', []))).toBe('avif');
  });

  it('refuses everything else', () => {
    expect(detectImageFormat(Buffer.from('hello, this is text'))).toBeNull();
    expect(detectImageFormat(bytes('GIF89a'))).toBeNull();
    expect(detectImageFormat(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>'))).toBeNull();
    expect(detectImageFormat(bytes('%PDF-1.7'))).toBeNull();
    expect(detectImageFormat(ftyp('heic', ['mif1', 'heic']))).toBeNull();
    expect(detectImageFormat(bytes('RIFF', [0, 0, 0, 0], 'WAVEfmt '))).toBeNull();
    expect(detectImageFormat(bytes([0xff, 0xd8]))).toBeNull();
    expect(detectImageFormat(Buffer.alloc(0))).toBeNull();
  });
});
