// Seeded pictures into the media storage: renditions of each rendered picture, the category pictures,
// and the shared pool of the generated catalog (one picture per product type and colour, as far as it goes).
import { randomUUID } from 'node:crypto';
import type { Sharp } from 'sharp';
import { type RenditionOptions, seedRenditions } from '../adapters/renditions.js';
import type { MediaStorage, StoredFile } from '../adapters/storage.js';
import type { ImageRow } from '../store/images.js';
import { CATEGORIES } from './categories.js';
import type { GeneratedProduct } from './generator.js';
import { PictureRenderer } from './pictures.js';
import { COLOR_HEX } from './vocabulary.js';

export type SeedImages = Pick<RenditionOptions, 'maxPixels' | 'thumbnailSize' | 'mediumSize'>;

/** A stored picture, as product_images holds it (a seeded picture may serve many products). */
export type Picture = Omit<ImageRow, 'id' | 'productId' | 'position'>;

/** What clients see of a picture (a category's `image`, a product's `images[]` without the id). */
export function publicImage(p: Picture) {
  return { url: p.url, thumbnailUrl: p.thumbnailUrl, mediumUrl: p.mediumUrl, width: p.width, height: p.height };
}

/** Encodes the renditions and stores them under `base`. */
export async function storePicture(
  storage: MediaStorage,
  base: string,
  picture: Sharp,
  images: SeedImages,
): Promise<Picture> {
  const { original, thumbnail, medium } = await seedRenditions(picture, {
    ...images,
    originalOnly: storage.resizesByUrl,
  });
  const stored = await storage.put(`${base}/original.${original.extension}`, original.body, original.contentType);
  const [thumbnailFile, mediumFile] = await Promise.all([
    thumbnail ? storage.put(`${base}/thumbnail.webp`, thumbnail.body, thumbnail.contentType) : undefined,
    medium ? storage.put(`${base}/medium.webp`, medium.body, medium.contentType) : undefined,
  ]);
  const sized = (file: StoredFile | undefined, size: number) =>
    file?.url ?? (storage.resizesByUrl ? storage.resizedUrl(stored, size) : stored.url);
  return {
    storage: storage.kind,
    originalKey: stored.key,
    thumbnailKey: thumbnailFile?.key ?? null,
    mediumKey: mediumFile?.key ?? null,
    storageRef: stored.ref ?? null,
    url: stored.url,
    thumbnailUrl: sized(thumbnailFile, images.thumbnailSize),
    // no medium when the original is no larger: the original serves
    mediumUrl: sized(mediumFile, images.mediumSize),
    contentType: original.contentType,
    width: original.width,
    height: original.height,
    bytes: original.body.length,
  };
}

/** The files of pictures, once each (pictures may be shared), for removing them again. */
export function pictureFiles(pictures: Iterable<Picture>): Array<{ key: string; ref: string | null }> {
  const files = new Map<string, string | null>();
  for (const p of pictures) {
    files.set(p.originalKey, p.storageRef);
    if (p.thumbnailKey) files.set(p.thumbnailKey, null);
    if (p.mediumKey) files.set(p.mediumKey, null);
  }
  return [...files].map(([key, ref]) => ({ key, ref }));
}

/** Runs `work` on every item, `limit` at a time (each rendered picture holds ~2 MB until stored). */
export async function inParallel<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < items.length; i = next++) out[i] = await work(items[i] as T);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** sharp works on libuv's threads (4 by default): this many pictures in flight keep them busy. */
export const PICTURES_IN_FLIGHT = 6;

/** Runs at most `n` of the tasks given to it at once. */
function limiter(n: number) {
  let active = 0;
  const waiting: Array<() => void> = [];
  return async <T>(task: () => Promise<T>): Promise<T> => {
    if (active >= n) await new Promise<void>((resolve) => waiting.push(resolve));
    active++;
    try {
      return await task();
    } finally {
      active--;
      waiting.shift()?.();
    }
  };
}

/** A picture per category of the vocabulary, by slug. */
export async function storeCategoryPictures(
  storage: MediaStorage,
  renderer: PictureRenderer,
  images: SeedImages,
): Promise<Map<string, Picture>> {
  const stored = await inParallel(CATEGORIES, PICTURES_IN_FLIGHT, async (c) => {
    const raw = await renderer.category(c.picture.icons, COLOR_HEX[c.picture.color]);
    return [c.slug, await storePicture(storage, `categories/${c.slug}/${randomUUID()}`, raw, images)] as const;
  });
  return new Map(stored);
}

/**
 * The generated catalog's shared pictures: a studio shot per product type's icon and colour, stored once
 * and used by every product that looks like it, up to `size` pictures. Room is kept for each icon not
 * seen yet; past the limit a product gets a picture of its icon in another colour.
 */
export class PicturePool {
  private readonly pictures = new Map<string, Promise<Picture>>();
  private readonly byIcon = new Map<string, string>();
  private readonly unseen: Set<string>;
  private readonly renderer = new PictureRenderer();
  private readonly limit = limiter(PICTURES_IN_FLIGHT);
  private fallbacks = 0;

  constructor(
    private readonly storage: MediaStorage,
    private readonly images: SeedImages,
    private readonly size: number,
    private readonly prefix: string,
  ) {
    this.unseen = new Set(CATEGORIES.flatMap((c) => c.types.map((t) => t.icon)));
  }

  /** The picture for `product`, rendering it when there is room (render a batch's in parallel). */
  pictureFor(product: GeneratedProduct): Promise<Picture> {
    const { icon, hex } = product.picture;
    const key = `${icon}|${hex}`;
    const known = this.pictures.get(key);
    if (known) return known;
    const firstOfIcon = this.unseen.has(icon);
    const room = this.size - this.pictures.size - (firstOfIcon ? 0 : this.unseen.size);
    if (room > 0) {
      this.unseen.delete(icon);
      if (!this.byIcon.has(icon)) this.byIcon.set(icon, key);
      const base = `seed/${this.prefix}-${this.pictures.size}`;
      const made = this.limit(async () =>
        storePicture(this.storage, base, await this.renderer.product(icon, hex, 0), this.images),
      );
      this.pictures.set(key, made);
      return made;
    }
    const sameIcon = this.byIcon.get(icon);
    if (sameIcon) return this.pictures.get(sameIcon) as Promise<Picture>;
    const any = [...this.pictures.values()];
    if (any.length === 0) throw new Error('the picture pool has no room (size 0)');
    return any[this.fallbacks++ % any.length] as Promise<Picture>;
  }

  get count(): number {
    return this.pictures.size;
  }
}
