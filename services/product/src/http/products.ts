// Product routes: list and search, read, create (JSON or multipart with images), change, archive, images (add, order, remove), stock.
import { type App, errorResponses, type Guards, Invalid, principalOf } from '@microbazaar/kit';
import type { ProductImages } from '../usecases/images.js';
import type { Listing } from '../usecases/listing.js';
import type { Products } from '../usecases/products.js';
import type { StockLevels } from '../usecases/stock.js';
import { readMultipart, uploadsOf } from './multipart.js';
import {
  ImageOrder,
  ImageParams,
  NoFields,
  Product,
  ProductCreate,
  ProductListQuery,
  ProductPage,
  ProductParams,
  ProductUpdate,
  Stock,
  StockUpdate,
} from './schemas.js';

export interface ProductRoutesDeps {
  products: Products;
  images: ProductImages;
  stock: StockLevels;
  listing: Listing;
  guards: Guards;
  maxImageBytes: number;
  maxImages: number;
}

export function productRoutes(app: App, deps: ProductRoutesDeps) {
  const { products, images, stock, listing, guards } = deps;
  const tags = ['products'];
  const secured = { tags, security: [{ bearerAuth: [] }] };
  const writer = guards.role('seller', 'admin');
  const multipart = (fileFields: readonly string[], extra: { integerFields?: string[]; jsonFields?: string[] } = {}) =>
    readMultipart({ fileFields, maxFileBytes: deps.maxImageBytes, maxFiles: deps.maxImages, ...extra });

  app.get(
    '/api/products',
    {
      schema: {
        tags,
        summary:
          "List or search active products (keyset pages; total exact up to 1 000 matches); status=archived: a seller's archived ones (that seller or an admin)",
        querystring: ProductListQuery,
        response: { 200: ProductPage, ...errorResponses(400, 401, 403, 503) },
      },
    },
    async (req, reply) => {
      if (req.query.status !== 'archived') return listing.list(req.query);
      // the token is read only for the archived list; one that does not verify counts as none
      await guards.optional(req, reply).catch(() => {
        req.principal = null;
      });
      return listing.archived(req.principal ?? null, req.query);
    },
  );

  app.get(
    '/api/products/:id',
    {
      schema: {
        tags,
        summary: 'One product by id or slug (an archived one only for its seller and admins)',
        params: ProductParams,
        response: { 200: Product, ...errorResponses(404, 503) },
      },
    },
    // public: the token is read only for an archived product, and one that does not verify counts as none
    async (req, reply) =>
      products.get(req.params.id, async () => {
        await guards.optional(req, reply).catch(() => {
          req.principal = null;
        });
        return req.principal ?? null;
      }),
  );

  app.post(
    '/api/products',
    {
      // the token is checked before a large upload is read
      onRequest: writer,
      preValidation: multipart(['images', 'image'], {
        integerFields: ['price', 'stock'],
        jsonFields: ['attributes'],
      }),
      schema: {
        ...secured,
        summary: 'Create a product: JSON, or multipart/form-data with the same fields and files in "images"',
        consumes: ['application/json', 'multipart/form-data'],
        body: ProductCreate,
        response: { 201: Product, ...errorResponses(400, 401, 403, 409, 413, 415, 429, 503) },
      },
    },
    async (req, reply) => {
      const product = await products.create(principalOf(req), req.body, uploadsOf(req));
      return reply.status(201).send(product);
    },
  );

  app.patch(
    '/api/products/:id',
    {
      preHandler: writer,
      schema: {
        ...secured,
        summary: "Change a product (its seller or an admin); status 'archived' hides it",
        params: ProductParams,
        body: ProductUpdate,
        response: { 200: Product, ...errorResponses(400, 401, 403, 404, 503) },
      },
    },
    async (req) => products.update(principalOf(req), req.params.id, req.body),
  );

  app.delete(
    '/api/products/:id',
    {
      preHandler: writer,
      schema: {
        ...secured,
        summary: 'Archive a product: gone from lists, search and reads (its seller and admins still read it)',
        params: ProductParams,
        response: { 204: { type: 'null' }, ...errorResponses(401, 403, 404, 503) },
      },
    },
    async (req, reply) => {
      await products.archive(principalOf(req), req.params.id);
      return reply.status(204).send();
    },
  );

  app.post(
    '/api/products/:id/images',
    {
      onRequest: writer,
      preValidation: multipart(['images', 'image']),
      schema: {
        ...secured,
        summary: 'Add images (multipart/form-data, files in "images"); answers the product',
        consumes: ['multipart/form-data'],
        params: ProductParams,
        body: NoFields,
        response: { 201: Product, ...errorResponses(400, 401, 403, 404, 409, 413, 415, 429, 503) },
      },
    },
    async (req, reply) => {
      const files = uploadsOf(req);
      if (files.length === 0) {
        throw new Invalid('Send the images as multipart/form-data files in "images"', undefined, 'NO_IMAGES');
      }
      const product = await images.add(principalOf(req), req.params.id, files);
      return reply.status(201).send(product);
    },
  );

  app.put(
    '/api/products/:id/images/order',
    {
      preHandler: writer,
      schema: {
        ...secured,
        summary:
          'Reorder the images (its seller or an admin): each image id once, the first is the main picture; answers the product',
        params: ProductParams,
        body: ImageOrder,
        response: { 200: Product, ...errorResponses(400, 401, 403, 404, 503) },
      },
    },
    async (req) => images.reorder(principalOf(req), req.params.id, req.body.imageIds),
  );

  app.delete(
    '/api/products/:id/images/:imageId',
    {
      preHandler: writer,
      schema: {
        ...secured,
        summary: 'Remove an image (and its files)',
        params: ImageParams,
        response: { 204: { type: 'null' }, ...errorResponses(400, 401, 403, 404, 503) },
      },
    },
    async (req, reply) => {
      await images.remove(principalOf(req), req.params.id, req.params.imageId);
      return reply.status(204).send();
    },
  );

  app.get(
    '/api/products/:id/stock',
    {
      preHandler: guards.optional,
      schema: {
        tags,
        summary: 'Available stock; on hand and reserved for the seller and admins (archived: only for them)',
        params: ProductParams,
        response: { 200: Stock, ...errorResponses(401, 404, 503) },
      },
    },
    async (req) => stock.get(req.principal, req.params.id),
  );

  app.put(
    '/api/products/:id/stock',
    {
      preHandler: writer,
      schema: {
        ...secured,
        summary: 'Set the units on hand (never below what open orders reserved: 409)',
        params: ProductParams,
        body: StockUpdate,
        response: { 200: Stock, ...errorResponses(400, 401, 403, 404, 409, 503) },
      },
    },
    async (req) => stock.set(principalOf(req), req.params.id, req.body.quantity),
  );
}
