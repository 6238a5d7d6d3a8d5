// Category routes: anyone lists and reads; admins create, rename and delete.
import { type App, decodeCursor, errorResponses, type Guards } from '@microbazaar/kit';
import type { Categories } from '../usecases/categories.js';
import {
  Category,
  CategoryCreate,
  CategoryListQuery,
  CategoryPage,
  CategoryParams,
  CategoryUpdate,
} from './schemas.js';

export function categoryRoutes(app: App, deps: { categories: Categories; guards: Guards }) {
  const { categories, guards } = deps;
  const tags = ['categories'];
  const admin = { preHandler: guards.role('admin') };
  const secured = { tags, security: [{ bearerAuth: [] }] };

  app.get(
    '/api/categories',
    {
      schema: {
        tags,
        summary: 'Categories, alphabetical by slug',
        querystring: CategoryListQuery,
        response: { 200: CategoryPage, ...errorResponses(400, 503) },
      },
    },
    async (req) => {
      const after = req.query.cursor ? String(decodeCursor(req.query.cursor, ['string'])[0]) : undefined;
      return categories.list(req.query.limit, after);
    },
  );

  app.get(
    '/api/categories/:id',
    {
      schema: {
        tags,
        summary: 'One category by slug or id',
        params: CategoryParams,
        response: { 200: Category, ...errorResponses(404, 503) },
      },
    },
    async (req) => categories.get(req.params.id),
  );

  app.post(
    '/api/categories',
    {
      ...admin,
      schema: {
        ...secured,
        summary: 'Create a category (admin)',
        body: CategoryCreate,
        response: { 201: Category, ...errorResponses(400, 401, 403, 409, 503) },
      },
    },
    async (req, reply) => reply.status(201).send(await categories.create(req.body)),
  );

  app.patch(
    '/api/categories/:id',
    {
      ...admin,
      schema: {
        ...secured,
        summary: 'Rename or describe a category (admin; the slug stays)',
        params: CategoryParams,
        body: CategoryUpdate,
        response: { 200: Category, ...errorResponses(400, 401, 403, 404, 503) },
      },
    },
    async (req) => categories.update(req.params.id, req.body),
  );

  app.delete(
    '/api/categories/:id',
    {
      ...admin,
      schema: {
        ...secured,
        summary: 'Delete a category no product belongs to (admin; 409 otherwise)',
        params: CategoryParams,
        response: { 204: { type: 'null' }, ...errorResponses(401, 403, 404, 409, 503) },
      },
    },
    async (req, reply) => {
      await categories.delete(req.params.id);
      return reply.status(204).send();
    },
  );
}
