// Categories: create, rename, describe, delete (the API refuses to delete one that has products).
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { ErrorState, Field, FormError, Loading } from '../components/ui.js';
import { ApiError, api } from '../lib/api.js';
import { useHead } from '../lib/hooks.js';
import { categoriesQuery } from '../lib/queries.js';
import { simpleHead } from '../lib/seo.js';
import type { Category } from '../lib/types.js';

const head = simpleHead('Categories');

function CategoryRow({ category }: { category: Category }) {
  const client = useQueryClient();
  const [name, setName] = useState(category.name);
  const save = useMutation({
    mutationFn: () => api<Category>(`/api/categories/${category.slug}`, { method: 'PATCH', json: { name } }),
    onSuccess: () => client.invalidateQueries({ queryKey: ['categories'] }),
  });
  const remove = useMutation({
    mutationFn: () => api(`/api/categories/${category.slug}`, { method: 'DELETE' }),
    onSuccess: () => client.invalidateQueries({ queryKey: ['categories'] }),
  });
  const error = save.error ?? remove.error;
  return (
    <tr>
      <td>
        <code>{category.slug}</code>
      </td>
      <td>
        <label className="visually-hidden" htmlFor={`cat-${category.slug}`}>
          Name of {category.slug}
        </label>
        <input id={`cat-${category.slug}`} value={name} maxLength={100} onChange={(e) => setName(e.target.value)} />
      </td>
      <td>
        <div className="row-actions">
          <button
            type="button"
            className="btn btn-secondary"
            disabled={name === category.name || !name.trim() || save.isPending}
            onClick={() => save.mutate()}
          >
            Rename
          </button>
          <button
            type="button"
            className="btn btn-danger"
            disabled={remove.isPending}
            onClick={() => remove.mutate()}
            aria-label={`Delete ${category.slug}`}
          >
            Delete
          </button>
        </div>
        {error && (
          <p className="field-error">
            {error instanceof ApiError && error.status === 409
              ? 'Products still belong to it: move them first.'
              : error.message}
          </p>
        )}
      </td>
    </tr>
  );
}

export function AdminCategories() {
  useHead(head);
  const client = useQueryClient();
  const list = useQuery(categoriesQuery());
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const create = async (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const form = e.currentTarget;
    const data = new FormData(form);
    const slug = String(data.get('slug') ?? '').trim();
    const name = String(data.get('name') ?? '').trim();
    if (!/^[a-z0-9]+(-[a-z0-9]+)*$/.test(slug)) {
      setErrors({ slug: 'Lower-case letters, digits and hyphens, e.g. garden-tools' });
      return;
    }
    setErrors({});
    setFormError(null);
    try {
      await api('/api/categories', { method: 'POST', json: { slug, ...(name ? { name } : {}) } });
      form.reset();
      client.invalidateQueries({ queryKey: ['categories'] });
    } catch (err) {
      if (err instanceof ApiError) setErrors(err.fieldErrors());
      setFormError((err as Error).message);
    }
  };
  return (
    <>
      <h1>Categories</h1>
      <form onSubmit={create} className="toolbar panel" noValidate aria-label="New category">
        <FormError error={formError} />
        <Field label="Slug" name="slug" required maxLength={64} error={errors.slug} />
        <Field label="Display name" name="name" maxLength={100} error={errors.name} />
        <button type="submit" className="btn btn-primary">
          Add category
        </button>
      </form>
      {list.isError ? (
        <ErrorState error={list.error} retry={() => list.refetch()} />
      ) : list.isPending ? (
        <Loading />
      ) : (
        <div className="table-wrap">
          <table>
            <caption className="visually-hidden">Categories</caption>
            <thead>
              <tr>
                <th scope="col">Slug</th>
                <th scope="col">Name</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {list.data.items.map((c) => (
                <CategoryRow key={c.slug} category={c} />
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}
