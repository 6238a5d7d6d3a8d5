// Create or edit a product: fields with the API's errors beside them, attributes as key/value rows,
// pictures uploaded one by one with progress (reordered and removed before upload), archive.
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useEffect, useId, useRef, useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { ErrorState, Field, FormError, Loading } from '../components/ui.js';
import { ApiError, api } from '../lib/api.js';
import { parsePrice, priceInput } from '../lib/format.js';
import { useHead } from '../lib/hooks.js';
import { categoriesQuery } from '../lib/queries.js';
import { simpleHead } from '../lib/seo.js';
import type { Product } from '../lib/types.js';
import { uploadImage } from '../lib/upload.js';
import NotFound from '../pages/NotFound.js';

const CURRENCIES = ['USD', 'EUR', 'GBP', 'JPY', 'CHF', 'CAD', 'AUD', 'SEK'];
const IMAGE_TYPES = ['image/jpeg', 'image/png', 'image/webp', 'image/gif', 'image/avif'];
const MAX_IMAGE_BYTES = 10 * 1024 * 1024;

interface Pending {
  key: string;
  file: File;
  preview: string;
  progress: number | null;
  error?: string;
}

interface Draft {
  name: string;
  description: string;
  price: string;
  currency: string;
  category: string;
  stock: string;
  attributes: Array<{ key: string; value: string }>;
}

const emptyDraft: Draft = {
  name: '',
  description: '',
  price: '',
  currency: 'USD',
  category: '',
  stock: '0',
  attributes: [],
};

function draftOf(p: Product, onHand: number | undefined): Draft {
  return {
    name: p.name,
    description: p.description,
    price: priceInput(p.price.amount, p.price.currency),
    currency: p.price.currency,
    category: p.category ?? '',
    stock: String(onHand ?? p.stock),
    attributes: Object.entries(p.attributes).map(([key, v]) => ({
      key,
      value: Array.isArray(v) ? v.join(', ') : String(v),
    })),
  };
}

function TextArea(props: { label: string; value: string; onChange: (v: string) => void; error?: string | undefined }) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>
        {props.label} <span className="optional">(optional)</span>
      </label>
      <textarea
        id={id}
        value={props.value}
        maxLength={10_000}
        onChange={(e) => props.onChange(e.target.value)}
        aria-invalid={props.error ? true : undefined}
        aria-describedby={props.error ? `${id}-e` : undefined}
      />
      {props.error && (
        <p id={`${id}-e`} className="field-error">
          {props.error}
        </p>
      )}
    </div>
  );
}

function Select(props: {
  label: string;
  value: string;
  onChange: (v: string) => void;
  options: Array<[string, string]>;
  error?: string | undefined;
}) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{props.label}</label>
      <select
        id={id}
        value={props.value}
        onChange={(e) => props.onChange(e.target.value)}
        aria-invalid={props.error ? true : undefined}
        aria-describedby={props.error ? `${id}-e` : undefined}
      >
        {props.options.map(([v, label]) => (
          <option key={v} value={v}>
            {label}
          </option>
        ))}
      </select>
      {props.error && (
        <p id={`${id}-e`} className="field-error">
          {props.error}
        </p>
      )}
    </div>
  );
}

export default function ProductForm() {
  const { id } = useParams();
  const editing = id !== undefined;
  useHead(simpleHead(editing ? 'Edit product' : 'New product'));
  const navigate = useNavigate();
  const client = useQueryClient();
  const categories = useQuery(categoriesQuery());
  const existing = useQuery({
    queryKey: ['seller-product', id],
    queryFn: async () => {
      const [product, stock] = await Promise.all([
        api<Product>(`/api/products/${id}`),
        api<{ onHand?: number }>(`/api/products/${id}/stock`).catch(() => ({ onHand: undefined })),
      ]);
      return { product, onHand: stock.onHand };
    },
    enabled: editing,
  });
  const [draft, setDraft] = useState<Draft>(emptyDraft);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [saved, setSaved] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [pending, setPending] = useState<Pending[]>([]);
  const [moved, setMoved] = useState('');
  const fileInput = useRef<HTMLInputElement>(null);
  const imagesId = useId();

  useEffect(() => {
    if (existing.data) setDraft(draftOf(existing.data.product, existing.data.onHand));
  }, [existing.data]);
  // previews are object URLs: free them when they go
  const previews = useRef(new Set<string>());
  useEffect(
    () => () => {
      for (const url of previews.current) URL.revokeObjectURL(url);
    },
    [],
  );

  if (editing && existing.error instanceof ApiError && existing.error.status === 404)
    return <NotFound what="product" />;
  if (editing && existing.isError) return <ErrorState error={existing.error} retry={() => existing.refetch()} />;
  if (editing && !existing.data) return <Loading label="Loading the product" />;
  const product = existing.data?.product;

  const set = <K extends keyof Draft>(k: K, v: Draft[K]) => setDraft((d) => ({ ...d, [k]: v }));

  const addFiles = (files: FileList | null) => {
    const added: Pending[] = [];
    for (const file of Array.from(files ?? [])) {
      const preview = URL.createObjectURL(file);
      previews.current.add(preview);
      const error = !IMAGE_TYPES.includes(file.type)
        ? 'Not a picture this shop takes (JPEG, PNG, WebP, GIF, AVIF)'
        : file.size > MAX_IMAGE_BYTES
          ? 'Larger than 10 MB'
          : undefined;
      added.push({
        key: `${file.name}-${file.size}-${Math.random()}`,
        file,
        preview,
        progress: null,
        ...(error ? { error } : {}),
      });
    }
    setPending((p) => [...p, ...added]);
    if (fileInput.current) fileInput.current.value = '';
  };
  const move = (i: number, by: -1 | 1) =>
    setPending((p) => {
      const next = [...p];
      const j = i + by;
      if (j < 0 || j >= next.length) return p;
      [next[i], next[j]] = [next[j]!, next[i]!];
      return next;
    });

  const validate = (): { body: Record<string, unknown>; stock: number } | null => {
    const e: Record<string, string> = {};
    if (!draft.name.trim()) e.name = 'Enter a name';
    const price = parsePrice(draft.price, draft.currency);
    if (price === null) e.price = `Enter a price like ${draft.currency === 'JPY' ? '1500' : '19.99'}`;
    const stock = Number(draft.stock);
    if (!/^\d{1,7}$/.test(draft.stock.trim())) e.stock = 'Enter a whole number of units, 0 or more';
    const attributes: Record<string, string> = {};
    for (const a of draft.attributes) {
      if (!a.key.trim() && !a.value.trim()) continue;
      if (!a.key.trim()) e.attributes = 'Every attribute needs a name';
      else attributes[a.key.trim()] = a.value.trim();
    }
    setErrors(e);
    if (Object.keys(e).length) return null;
    return {
      body: {
        name: draft.name.trim(),
        description: draft.description,
        price,
        currency: draft.currency,
        attributes,
        ...(draft.category ? { category: draft.category } : editing ? { category: null } : {}),
      },
      stock,
    };
  };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setSaved(null);
    const checked = validate();
    if (!checked || pending.some((p) => p.error)) {
      setFormError(
        pending.some((p) => p.error) ? 'Remove the files that cannot be uploaded.' : 'Check the fields marked below.',
      );
      return;
    }
    setFormError(null);
    setBusy(true);
    try {
      let saved: Product;
      if (editing && product) {
        saved = await api<Product>(`/api/products/${product.id}`, { method: 'PATCH', json: checked.body });
        if (checked.stock !== existing.data?.onHand) {
          await api(`/api/products/${product.id}/stock`, { method: 'PUT', json: { quantity: checked.stock } });
        }
      } else {
        const { category, ...rest } = checked.body as { category?: string };
        saved = await api<Product>('/api/products', {
          method: 'POST',
          json: { ...rest, ...(category ? { category } : {}), stock: checked.stock },
        });
      }
      // pictures one at a time, in the order shown, each with its progress
      for (const item of pending) {
        setPending((p) => p.map((x) => (x.key === item.key ? { ...x, progress: 0 } : x)));
        try {
          saved = await uploadImage(saved.id, item.file, (f) =>
            setPending((p) => p.map((x) => (x.key === item.key ? { ...x, progress: f } : x))),
          );
          setPending((p) => p.filter((x) => x.key !== item.key));
        } catch (err) {
          setPending((p) =>
            p.map((x) => (x.key === item.key ? { ...x, progress: null, error: (err as Error).message } : x)),
          );
          throw new Error(`“${item.file.name}” was not uploaded: ${(err as Error).message}`);
        }
      }
      client.invalidateQueries({ queryKey: ['seller-products'] });
      client.invalidateQueries({ queryKey: ['products'] });
      client.setQueryData(['product', saved.slug], saved);
      if (editing) {
        await existing.refetch();
        setSaved('Saved.');
      } else {
        navigate(`/seller/products/${saved.id}`, { replace: true, state: { created: true } });
      }
    } catch (err) {
      if (err instanceof ApiError) {
        setErrors(err.fieldErrors());
        setFormError(err.message);
      } else setFormError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };

  const archive = async () => {
    if (!product || !window.confirm(`Archive “${product.name}”? It leaves the shop; orders keep it.`)) return;
    try {
      await api(`/api/products/${product.id}`, { method: 'PATCH', json: { status: 'archived' } });
      client.invalidateQueries({ queryKey: ['seller-products'] });
      navigate('/seller');
    } catch (err) {
      setFormError((err as Error).message);
    }
  };

  const restore = async () => {
    if (!product) return;
    setFormError(null);
    try {
      const next = await api<Product>(`/api/products/${product.id}`, { method: 'PATCH', json: { status: 'active' } });
      if (existing.data) client.setQueryData(['seller-product', id], { ...existing.data, product: next });
      client.invalidateQueries({ queryKey: ['seller-products'] });
      setSaved('Restored: the product is back in the shop.');
    } catch (err) {
      setFormError((err as Error).message);
    }
  };

  const removeImage = async (imageId: string) => {
    if (!product) return;
    try {
      await api(`/api/products/${product.id}/images/${imageId}`, { method: 'DELETE' });
      await existing.refetch();
    } catch (err) {
      setFormError((err as Error).message);
    }
  };

  // the uploaded pictures' order: the API takes the whole list; focus stays on the moved picture's buttons
  const moveImage = async (index: number, by: -1 | 1) => {
    if (!product || !existing.data) return;
    const ids = product.images.map((img) => img.id);
    const to = index + by;
    const [imageId] = ids.splice(index, 1);
    if (!imageId || to < 0 || to > ids.length) return;
    ids.splice(to, 0, imageId);
    setFormError(null);
    try {
      const next = await api<Product>(`/api/products/${product.id}/images/order`, {
        method: 'PUT',
        json: { imageIds: ids },
      });
      client.setQueryData(['seller-product', id], { ...existing.data, product: next });
      client.invalidateQueries({ queryKey: ['seller-products'] });
      setMoved(`Picture moved to position ${to + 1} of ${ids.length}.`);
      requestAnimationFrame(() => {
        const side = to === 0 ? 'later' : to === ids.length - 1 ? 'earlier' : by < 0 ? 'earlier' : 'later';
        document.getElementById(`move-${side}-${imageId}`)?.focus();
      });
    } catch (err) {
      setFormError((err as Error).message);
    }
  };

  const categoryOptions: Array<[string, string]> = [
    ['', 'No category'],
    ...(categories.data?.items ?? []).map((c): [string, string] => [c.slug, c.name]),
  ];

  return (
    <>
      <div className="section-head">
        <h1>{editing ? `Edit ${product?.name ?? 'product'}` : 'New product'}</h1>
        {product && product.status === 'active' && <Link to={`/products/${product.slug}`}>View in the shop</Link>}
      </div>
      {product?.status === 'archived' && <p className="notice">This product is archived: shoppers no longer see it.</p>}
      <form onSubmit={submit} className="form panel" noValidate aria-label={editing ? 'Edit product' : 'New product'}>
        <FormError error={formError} />
        <Field
          label="Name"
          required
          maxLength={200}
          value={draft.name}
          onChange={(e) => set('name', e.target.value)}
          error={errors.name}
        />
        <TextArea
          label="Description"
          value={draft.description}
          onChange={(v) => set('description', v)}
          error={errors.description}
        />
        <div className="field-row">
          <Field
            label="Price"
            required
            inputMode="decimal"
            value={draft.price}
            onChange={(e) => set('price', e.target.value)}
            error={errors.price}
            hint="In the currency, e.g. 19.99"
          />
          <Select
            label="Currency"
            value={draft.currency}
            onChange={(v) => set('currency', v)}
            options={CURRENCIES.map((c) => [c, c])}
            error={errors.currency}
          />
        </div>
        <div className="field-row">
          <Select
            label="Category"
            value={draft.category}
            onChange={(v) => set('category', v)}
            options={categoryOptions}
            error={errors.category}
          />
          <Field
            label="Stock"
            required
            type="number"
            min={0}
            value={draft.stock}
            onChange={(e) => set('stock', e.target.value)}
            error={errors.stock ?? errors.quantity}
            hint="Units on hand"
          />
        </div>
        <fieldset>
          <legend>Attributes</legend>
          <p className="hint">Facts shoppers filter and search by: brand, colour, material, size…</p>
          {draft.attributes.map((a, i) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: rows are edited in place, never reordered
            <div className="attr-row" key={i}>
              <Field
                label={`Attribute ${i + 1} name`}
                value={a.key}
                maxLength={64}
                onChange={(e) =>
                  set(
                    'attributes',
                    draft.attributes.map((x, j) => (j === i ? { ...x, key: e.target.value } : x)),
                  )
                }
              />
              <Field
                label={`Attribute ${i + 1} value`}
                value={a.value}
                maxLength={500}
                onChange={(e) =>
                  set(
                    'attributes',
                    draft.attributes.map((x, j) => (j === i ? { ...x, value: e.target.value } : x)),
                  )
                }
              />
              <button
                type="button"
                className="btn btn-secondary btn-small"
                aria-label={`Remove attribute ${i + 1}`}
                onClick={() =>
                  set(
                    'attributes',
                    draft.attributes.filter((_, j) => j !== i),
                  )
                }
              >
                Remove
              </button>
            </div>
          ))}
          {errors.attributes && <p className="field-error">{errors.attributes}</p>}
          <button
            type="button"
            className="btn btn-secondary btn-small"
            onClick={() => set('attributes', [...draft.attributes, { key: '', value: '' }])}
          >
            Add attribute
          </button>
        </fieldset>
        <fieldset>
          <legend>Pictures</legend>
          {product && product.images.length > 0 && (
            <ul className="uploads" aria-label="Current pictures">
              {product.images.map((img, i) => (
                <li key={img.id}>
                  <img
                    src={img.thumbnailUrl}
                    alt={`${product.name} (${i + 1} of ${product.images.length})`}
                    width={150}
                    height={150}
                  />
                  <div className="row-actions">
                    <button
                      type="button"
                      id={`move-earlier-${img.id}`}
                      className="btn btn-secondary btn-small"
                      disabled={i === 0 || busy}
                      onClick={() => moveImage(i, -1)}
                      aria-label={`Move picture ${i + 1} up`}
                    >
                      ↑
                    </button>
                    <button
                      type="button"
                      id={`move-later-${img.id}`}
                      className="btn btn-secondary btn-small"
                      disabled={i === product.images.length - 1 || busy}
                      onClick={() => moveImage(i, 1)}
                      aria-label={`Move picture ${i + 1} down`}
                    >
                      ↓
                    </button>
                    <button
                      type="button"
                      className="btn btn-danger btn-small"
                      onClick={() => removeImage(img.id)}
                      aria-label={`Delete picture ${i + 1}`}
                    >
                      Delete
                    </button>
                  </div>
                </li>
              ))}
            </ul>
          )}
          <p role="status" className="visually-hidden">
            {moved}
          </p>
          <div className="field">
            <label htmlFor={imagesId}>Images</label>
            <input
              id={imagesId}
              ref={fileInput}
              type="file"
              multiple
              accept={IMAGE_TYPES.join(',')}
              onChange={(e) => addFiles(e.target.files)}
            />
            <p className="hint">JPEG, PNG, WebP, GIF or AVIF, up to 10 MB each. The first one is the main picture.</p>
          </div>
          {pending.length > 0 && (
            <ul className="uploads" aria-label="Pictures to upload">
              {pending.map((p, i) => (
                <li key={p.key}>
                  <img src={p.preview} alt={`Preview of ${p.file.name}`} width={150} height={150} />
                  <span className="muted">{p.file.name}</span>
                  {p.progress !== null && (
                    <progress max={1} value={p.progress} aria-label={`Uploading ${p.file.name}`}>
                      {Math.round(p.progress * 100)}%
                    </progress>
                  )}
                  {p.error && <p className="field-error">{p.error}</p>}
                  <div className="row-actions">
                    <button
                      type="button"
                      className="link-button"
                      disabled={i === 0 || busy}
                      onClick={() => move(i, -1)}
                      aria-label={`Move ${p.file.name} earlier`}
                    >
                      ←
                    </button>
                    <button
                      type="button"
                      className="link-button"
                      disabled={i === pending.length - 1 || busy}
                      onClick={() => move(i, 1)}
                      aria-label={`Move ${p.file.name} later`}
                    >
                      →
                    </button>
                    <button
                      type="button"
                      className="link-button"
                      disabled={busy}
                      onClick={() => setPending((x) => x.filter((y) => y.key !== p.key))}
                      aria-label={`Remove ${p.file.name}`}
                    >
                      Remove
                    </button>
                  </div>
                </li>
              ))}
            </ul>
          )}
        </fieldset>
        <div className="row-actions">
          <button type="submit" className="btn btn-primary" disabled={busy}>
            {busy ? 'Saving…' : 'Save'}
          </button>
          {product && product.status === 'active' && (
            <button type="button" className="btn btn-danger" onClick={archive} disabled={busy}>
              Archive
            </button>
          )}
          {product && product.status === 'archived' && (
            <button type="button" className="btn btn-secondary" onClick={restore} disabled={busy}>
              Restore
            </button>
          )}
        </div>
        <p aria-live="polite" className="success">
          {saved}
        </p>
      </form>
    </>
  );
}
