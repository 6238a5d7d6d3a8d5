// ImageKit storage (the seed's choice): only the stripped original is uploaded; thumbnail and medium
// are URL transforms (`?tr=w-320,h-320,c-at_max`) that ImageKit renders and caches at its edge.
import { basename, dirname } from 'node:path';
import ImageKit from 'imagekit';
import { assertMediaKey, type MediaStorage, type StoredFile } from './storage.js';

export interface ImageKitStorageOptions {
  publicKey: string;
  privateKey: string;
  urlEndpoint: string;
  /** folder in the ImageKit media library */
  folder: string;
  uploadEndpoint?: string | undefined;
}

/** The part of the SDK the adapter uses. */
export type ImageKitClient = Pick<ImageKit, 'upload' | 'deleteFile' | 'url'>;

export function createImageKitStorage(opts: ImageKitStorageOptions, client?: ImageKitClient): MediaStorage {
  const ik: ImageKitClient =
    client ??
    new ImageKit({
      publicKey: opts.publicKey,
      privateKey: opts.privateKey,
      urlEndpoint: opts.urlEndpoint,
      ...(opts.uploadEndpoint ? { uploadEndpoint: opts.uploadEndpoint } : {}),
    });
  const folder = `/${opts.folder.replace(/^\/+|\/+$/g, '')}`;
  return {
    kind: 'imagekit',
    resizesByUrl: true,

    async put(key: string, body: Buffer): Promise<StoredFile> {
      assertMediaKey(key);
      const uploaded = await ik.upload({
        file: body,
        fileName: basename(key),
        folder: `${folder}/${dirname(key)}`,
        useUniqueFileName: false,
      });
      return { key: uploaded.filePath || `${folder}/${key}`, url: uploaded.url, ref: uploaded.fileId };
    },

    resizedUrl(file: StoredFile, size: number): string {
      return ik.url({ src: file.url, transformation: [{ width: String(size), height: String(size), crop: 'at_max' }] });
    },

    async remove(files) {
      await Promise.all(
        files.map(async (f) => {
          if (!f.ref) return;
          try {
            await ik.deleteFile(f.ref);
          } catch (err) {
            // already gone is what we wanted
            if ((err as { $ResponseMetadata?: { statusCode?: number } }).$ResponseMetadata?.statusCode !== 404)
              throw err;
          }
        }),
      );
    },

    async ping() {},

    async close() {},
  };
}
