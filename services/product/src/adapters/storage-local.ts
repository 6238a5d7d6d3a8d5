// Local disk storage (the embedded default): files under MEDIA_DIR, served by this service at /media.
import { randomBytes } from 'node:crypto';
import { createReadStream, type ReadStream } from 'node:fs';
import { access, constants, mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, extname, resolve, sep } from 'node:path';
import { assertMediaKey } from '../domain/images.js';
import type { MediaStorage, StoredFile } from './storage.js';

export interface LocalFile {
  stream: ReadStream;
  size: number;
  mtime: Date;
  contentType: string;
}

export interface LocalStorage extends MediaStorage {
  readonly kind: 'local';
  readonly dir: string;
  /** The file at key, or null (also for keys outside the folder). */
  open(key: string): Promise<LocalFile | null>;
}

const CONTENT_TYPES: Record<string, string> = {
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.png': 'image/png',
  '.webp': 'image/webp',
  '.avif': 'image/avif',
};

export function createLocalStorage(opts: { dir: string; baseUrl: string }): LocalStorage {
  const root = resolve(opts.dir);
  const base = opts.baseUrl.replace(/\/+$/, '');
  const pathOf = (key: string): string => {
    assertMediaKey(key);
    const path = resolve(root, key);
    if (!path.startsWith(root + sep)) throw new Error(`media key outside the media folder: ${key}`);
    return path;
  };
  return {
    kind: 'local',
    resizesByUrl: false,
    dir: root,

    async put(key: string, body: Buffer): Promise<StoredFile> {
      const path = pathOf(key);
      await mkdir(dirname(path), { recursive: true });
      // written aside and renamed: a reader never sees half a file
      const temp = `${path}.${randomBytes(4).toString('hex')}.part`;
      await writeFile(temp, body);
      await rename(temp, path);
      return { key, url: `${base}/${key}` };
    },

    resizedUrl(file: StoredFile): string {
      return file.url;
    },

    async remove(files) {
      await Promise.all(files.map((f) => rm(pathOf(f.key), { force: true })));
    },

    async open(key: string): Promise<LocalFile | null> {
      let path: string;
      try {
        path = pathOf(key);
      } catch {
        return null;
      }
      const contentType = CONTENT_TYPES[extname(path).toLowerCase()];
      if (!contentType) return null;
      try {
        const info = await stat(path);
        if (!info.isFile()) return null;
        return { stream: createReadStream(path), size: info.size, mtime: info.mtime, contentType };
      } catch {
        return null;
      }
    },

    async ping() {
      await mkdir(root, { recursive: true });
      await access(root, constants.W_OK);
    },

    async close() {},
  };
}
