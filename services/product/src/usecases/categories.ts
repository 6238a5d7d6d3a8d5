// Categories: anyone lists and reads them; admins create, rename and delete (only an unused one).
import { Conflict, type Db, keysetPage, NotFound } from '@microbazaar/kit';
import { type Category, categoryNameFromSlug } from '../domain/products.js';
import { type CategoryRow, categoryStore } from '../store/categories.js';
import { announceCatalogChange } from '../store/products.js';
import type { Listing } from './listing.js';

function presentCategory(c: CategoryRow): Category {
  return {
    id: c.id,
    slug: c.slug,
    name: c.name,
    description: c.description,
    image: c.image ?? null,
    createdAt: c.createdAt.toISOString(),
    updatedAt: c.updatedAt.toISOString(),
  };
}

const categoryNotFound = () => new NotFound('Category not found', 'CATEGORY_NOT_FOUND');

function isForeignKeyViolation(err: unknown): boolean {
  return (err as { code?: string })?.code === '23503';
}

export function createCategories(deps: { db: Db; listing: Pick<Listing, 'invalidate'> }) {
  const { db, listing } = deps;
  return {
    async list(limit: number, afterSlug?: string): Promise<{ items: Category[]; nextCursor: string | null }> {
      const page = keysetPage(await categoryStore(db).page(limit + 1, afterSlug), limit, (c) => [c.slug]);
      return { items: page.items.map(presentCategory), nextCursor: page.nextCursor };
    },

    async get(ref: string): Promise<Category> {
      const row = await categoryStore(db).byRef(ref);
      if (!row) throw categoryNotFound();
      return presentCategory(row);
    },

    async create(input: { slug: string; name?: string | undefined; description?: string | undefined }) {
      const row = await db.transaction(async (tx) => {
        const created = await categoryStore(tx).insert({
          slug: input.slug,
          name: input.name?.trim() || categoryNameFromSlug(input.slug),
          description: input.description ?? '',
        });
        if (!created) throw new Conflict('A category with this slug exists', 'CATEGORY_EXISTS');
        await announceCatalogChange(tx);
        return created;
      });
      listing.invalidate();
      return presentCategory(row);
    },

    async update(ref: string, change: { name?: string | undefined; description?: string | undefined }) {
      const row = await categoryStore(db).update(ref, { name: change.name?.trim(), description: change.description });
      if (!row) throw categoryNotFound();
      return presentCategory(row);
    },

    /** Only a category no product (archived ones included) belongs to. */
    async delete(ref: string): Promise<void> {
      try {
        await db.transaction(async (tx) => {
          const categories = categoryStore(tx);
          const row = await categories.byRef(ref);
          if (!row) throw categoryNotFound();
          const used = await categories.productCount(row.slug);
          if (used > 0) throw new Conflict(`${used} product(s) belong to this category`, 'CATEGORY_IN_USE');
          await categories.delete(row.id);
          await announceCatalogChange(tx);
        });
      } catch (err) {
        if (isForeignKeyViolation(err)) throw new Conflict('Products belong to this category', 'CATEGORY_IN_USE');
        throw err;
      }
      listing.invalidate();
    },
  };
}

export type Categories = ReturnType<typeof createCategories>;
