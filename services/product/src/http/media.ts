// GET /media/...: image files of the local storage, cacheable for a year (a key never changes content).
import { type App, ErrorResponse, NotFound } from '@microbazaar/kit';
import { Type } from '@sinclair/typebox';
import type { LocalStorage } from '../adapters/storage-local.js';

const IMMUTABLE = 'public, max-age=31536000, immutable';

export function mediaRoutes(app: App, deps: { storage: LocalStorage; prefix: string }) {
  app.get(
    `${deps.prefix}/*`,
    {
      schema: {
        tags: ['media'],
        summary: 'An image file (original, medium or thumbnail rendition)',
        params: Type.Object({ '*': Type.String({ maxLength: 512 }) }),
        response: {
          200: Type.Unknown({ description: 'the image bytes' }),
          304: Type.Null(),
          404: ErrorResponse,
        },
      },
    },
    async (req, reply) => {
      const file = await deps.storage.open(req.params['*']);
      if (!file) throw new NotFound('No such image file', 'MEDIA_NOT_FOUND');
      const etag = `"${file.size.toString(16)}-${Math.floor(file.mtime.getTime()).toString(16)}"`;
      reply.header('cache-control', IMMUTABLE).header('etag', etag).header('last-modified', file.mtime.toUTCString());
      if (req.headers['if-none-match'] === etag) {
        file.stream.destroy();
        return reply.status(304).send(null);
      }
      reply.header('content-type', file.contentType).header('content-length', file.size);
      reply.header('x-content-type-options', 'nosniff');
      return reply.send(file.stream);
    },
  );
}
