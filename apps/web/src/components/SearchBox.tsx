// The header's search: a combobox with debounced suggestions (arrows move, Enter opens, Escape closes).
import { useQuery } from '@tanstack/react-query';
import { type FormEvent, type KeyboardEvent, useEffect, useId, useState } from 'react';
import { useNavigate, useSearchParams } from 'react-router';
import { api, qs } from '../lib/api.js';
import { formatMoney } from '../lib/format.js';
import { useDebounced } from '../lib/hooks.js';
import type { ProductPage } from '../lib/types.js';

export function SearchBox() {
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const [text, setText] = useState(params.get('q') ?? '');
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(-1);
  const listId = useId();
  const term = useDebounced(text.trim(), 200);

  // the box follows the URL (back/forward between searches)
  const urlQ = params.get('q') ?? '';
  useEffect(() => setText(urlQ), [urlQ]);

  const suggestions = useQuery({
    queryKey: ['suggest', term],
    queryFn: ({ signal }) => api<ProductPage>(`/api/products${qs({ q: term, limit: 6 })}`, { signal }),
    enabled: open && term.length >= 2,
    staleTime: 60_000,
  });
  const items = open && term.length >= 2 ? (suggestions.data?.items ?? []) : [];
  const expanded = items.length > 0;

  const go = (path: string) => {
    setOpen(false);
    setActive(-1);
    navigate(path);
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const picked = active >= 0 ? items[active] : undefined;
    if (picked) go(`/products/${picked.slug}`);
    else if (text.trim()) go(`/search${qs({ q: text.trim() })}`);
  };
  const onKeyDown = (e: KeyboardEvent<HTMLInputElement>) => {
    if (e.key === 'ArrowDown') {
      e.preventDefault();
      setOpen(true);
      setActive((i) => (items.length ? (i + 1) % items.length : -1));
    } else if (e.key === 'ArrowUp') {
      e.preventDefault();
      setActive((i) => (items.length ? (i <= 0 ? items.length - 1 : i - 1) : -1));
    } else if (e.key === 'Escape') {
      setOpen(false);
      setActive(-1);
    }
  };

  return (
    <search className="search">
      <form onSubmit={submit} action="/search" role="presentation">
        <label htmlFor={`${listId}-input`} className="visually-hidden">
          Search products
        </label>
        <input
          id={`${listId}-input`}
          name="q"
          type="text"
          role="combobox"
          aria-expanded={expanded}
          aria-controls={listId}
          aria-autocomplete="list"
          aria-activedescendant={active >= 0 && expanded ? `${listId}-${active}` : undefined}
          autoComplete="off"
          placeholder="Search products"
          value={text}
          maxLength={200}
          onChange={(e) => {
            setText(e.target.value);
            setOpen(true);
            setActive(-1);
          }}
          onFocus={() => setOpen(true)}
          onBlur={() => setTimeout(() => setOpen(false), 150)}
          onKeyDown={onKeyDown}
        />
        <button type="submit" className="search-button">
          <span className="visually-hidden">Search</span>
          <svg aria-hidden="true" viewBox="0 0 24 24" width="20" height="20">
            <circle cx="11" cy="11" r="7" fill="none" stroke="currentColor" strokeWidth="2" />
            <path d="m20 20-4-4" stroke="currentColor" strokeWidth="2" strokeLinecap="round" />
          </svg>
        </button>
      </form>
      <div id={listId} role="listbox" aria-label="Suggestions" className="suggestions" hidden={!expanded}>
        {items.map((p, i) => (
          <div
            key={p.id}
            tabIndex={-1}
            id={`${listId}-${i}`}
            role="option"
            aria-selected={i === active}
            className={i === active ? 'active' : undefined}
            onMouseDown={(e) => {
              e.preventDefault();
              go(`/products/${p.slug}`);
            }}
          >
            {p.images[0] && <img src={p.images[0].thumbnailUrl} alt="" width={36} height={36} />}
            <span className="suggestion-name">{p.name}</span>
            <span className="suggestion-price">{formatMoney(p.price)}</span>
          </div>
        ))}
      </div>
    </search>
  );
}
