// Checks an uploaded image by content and makes its renditions with sharp: thumbnail, medium, and the
// original re-encoded without metadata (EXIF, GPS, camera serials never leave the service).
import { Invalid, PayloadTooLarge } from '@microbazaar/kit';
import sharp, { type Sharp } from 'sharp';
import { assertImage, IMAGE_CONTENT_TYPES, type ImageFormat } from '../domain/images.js';

export interface Rendition {
  body: Buffer;
  contentType: string;
  extension: string;
  width: number;
  height: number;
}

export interface ProcessedImage {
  format: ImageFormat;
  original: Rendition;
  /** absent when the storage resizes by URL (ImageKit) */
  thumbnail?: Rendition;
  medium?: Rendition;
}

export interface RenditionOptions {
  maxPixels: number;
  thumbnailSize: number;
  mediumSize: number;
  /** make only the stripped original (the storage makes the other sizes itself) */
  originalOnly?: boolean;
}

function encode(pipeline: Sharp, format: ImageFormat): Sharp {
  switch (format) {
    case 'jpeg':
      return pipeline.jpeg({ quality: 88, mozjpeg: true });
    case 'png':
      return pipeline.png({ compressionLevel: 8 });
    case 'webp':
      return pipeline.webp({ quality: 88 });
    case 'avif':
      // AVIF encoding is the slowest by far: keep the effort moderate
      return pipeline.avif({ quality: 60, effort: 3 });
  }
}

async function render(
  input: Buffer,
  maxPixels: number,
  build: (s: Sharp) => Sharp,
  format: ImageFormat,
  extension: string,
): Promise<Rendition> {
  // rotate() applies the EXIF orientation before the metadata is dropped (sharp keeps none by default)
  const { data, info } = await build(sharp(input, { limitInputPixels: maxPixels, failOn: 'error' }).rotate()).toBuffer({
    resolveWithObject: true,
  });
  return { body: data, contentType: IMAGE_CONTENT_TYPES[format], extension, width: info.width, height: info.height };
}

/**
 * Decodes the image (a corrupt file is a 400, one over the pixel limit a 413) and makes the
 * renditions. Thumbnail and medium are WebP, never enlarged; the original keeps its format.
 */
export async function processImage(
  body: Buffer,
  filename: string | undefined,
  opts: RenditionOptions,
): Promise<ProcessedImage> {
  const format = assertImage(body, filename);
  try {
    // the header alone says how large the image is: one over the limit is never decoded
    const meta = await sharp(body, { limitInputPixels: opts.maxPixels }).metadata();
    if (!meta.width || !meta.height) throw new Error('no dimensions');
    if (meta.width * meta.height > opts.maxPixels) throw new Error('Input image exceeds pixel limit');
    const original = await render(body, opts.maxPixels, (s) => encode(s, format), format, extensionOf(format));
    if (opts.originalOnly) return { format, original };
    const resized = (size: number) => (s: Sharp) => webpWithin(s, size);
    const [thumbnail, medium] = await Promise.all([
      render(original.body, opts.maxPixels, resized(opts.thumbnailSize), 'webp', 'webp'),
      render(original.body, opts.maxPixels, resized(opts.mediumSize), 'webp', 'webp'),
    ]);
    return { format, original, thumbnail, medium };
  } catch (err) {
    const message = (err as Error).message ?? '';
    if (/pixel limit/i.test(message)) {
      throw new PayloadTooLarge(
        `${filename ? `"${filename}"` : 'The image'} has more than ${opts.maxPixels} pixels`,
        'IMAGE_TOO_LARGE',
      );
    }
    throw new Invalid(
      `${filename ? `"${filename}"` : 'The image'} could not be read: it is damaged or incomplete`,
      [{ path: 'body/images', message: 'unreadable image' }],
      'INVALID_IMAGE',
    );
  }
}

export interface Renderer {
  /** processImage, waiting its turn while `concurrency` images are being decoded and rendered */
  process(body: Buffer, filename: string | undefined, opts: RenditionOptions): Promise<ProcessedImage>;
  /** images being processed now, and the most at once so far */
  readonly active: number;
  readonly peak: number;
}

/**
 * Image work bounded per process: at most `concurrency` images decoded and rendered at once (the others
 * wait their turn, so a burst of uploads cannot take every core and gigabytes of pixels), each with at
 * most `threads` libvips threads (sharp.concurrency, process-wide; 0 keeps sharp's one per core).
 */
export function createRenderer(opts: { concurrency: number; threads: number }): Renderer {
  if (opts.threads > 0) sharp.concurrency(opts.threads);
  let active = 0;
  let peak = 0;
  const waiting: Array<() => void> = [];
  return {
    async process(body, filename, renditions) {
      while (active >= opts.concurrency) await new Promise<void>((resolve) => waiting.push(resolve));
      active++;
      peak = Math.max(peak, active);
      try {
        return await processImage(body, filename, renditions);
      } finally {
        active--;
        waiting.shift()?.();
      }
    },
    get active() {
      return active;
    },
    get peak() {
      return peak;
    },
  };
}

/** The WebP rendition: fits within `size` pixels, never enlarged. */
function webpWithin(pipeline: Sharp, size: number, effort?: number): Sharp {
  return pipeline
    .resize({ width: size, height: size, fit: 'inside', withoutEnlargement: true })
    .webp({ quality: 80, ...(effort === undefined ? {} : { effort }) });
}

/**
 * Renditions of a picture drawn here (the seeded catalogs'), encoded fast to seed many at once: a JPEG
 * original, and WebP sizes made from that JPEG (decoding it shrunk is cheap); a medium only when the
 * original is larger than it (else the original serves as the medium).
 */
export async function seedRenditions(
  picture: Sharp,
  opts: Pick<RenditionOptions, 'thumbnailSize' | 'mediumSize' | 'originalOnly'>,
): Promise<{ original: Rendition; thumbnail?: Rendition; medium?: Rendition }> {
  const encoded = async (pipeline: Sharp, format: 'jpeg' | 'webp'): Promise<Rendition> => {
    const { data, info } = await pipeline.toBuffer({ resolveWithObject: true });
    const extension = format === 'jpeg' ? 'jpg' : 'webp';
    return { body: data, contentType: IMAGE_CONTENT_TYPES[format], extension, width: info.width, height: info.height };
  };
  const original = await encoded(picture.removeAlpha().jpeg({ quality: 86, optimiseCoding: false }), 'jpeg');
  if (opts.originalOnly) return { original };
  const sized = (size: number) => encoded(webpWithin(sharp(original.body), size, 2), 'webp');
  const larger = Math.max(original.width, original.height) > opts.mediumSize;
  const [thumbnail, medium] = await Promise.all([
    sized(opts.thumbnailSize),
    larger ? sized(opts.mediumSize) : undefined,
  ]);
  return { original, thumbnail, ...(medium ? { medium } : {}) };
}

function extensionOf(format: ImageFormat): string {
  return format === 'jpeg' ? 'jpg' : format;
}
