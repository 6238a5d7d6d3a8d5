// Small building blocks every page uses: states, fields, prices, badges.
import { type InputHTMLAttributes, type ReactNode, useId } from 'react';
import type { ApiError } from '../lib/api.js';
import { formatMoney, STATUS_WORDS } from '../lib/format.js';
import type { Money, OrderStatus } from '../lib/types.js';

export function Price({ money, className }: { money: Money; className?: string }) {
  return <span className={className ?? 'price'}>{formatMoney(money)}</span>;
}

export function StatusBadge({ status }: { status: OrderStatus }) {
  return (
    <span className={`badge badge-${status}`} data-status={status}>
      {STATUS_WORDS[status]}
    </span>
  );
}

/** A failed read: the reason in words and a retry for that part only. */
export function ErrorState({ error, retry, title }: { error: unknown; retry?: () => void; title?: string }) {
  const message = (error as ApiError | undefined)?.message ?? 'Something went wrong.';
  return (
    <div className="error-state" role="alert">
      <p>
        <strong>{title ?? 'This part of the page could not be loaded.'}</strong> {message}
      </p>
      {retry && (
        <button type="button" className="btn btn-secondary" onClick={retry}>
          Try again
        </button>
      )}
    </div>
  );
}

export function Skeleton({ lines = 3, className }: { lines?: number; className?: string }) {
  return (
    <div className={`skeleton ${className ?? ''}`} aria-hidden="true">
      {Array.from({ length: lines }, (_, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: placeholders without identity
        <div key={i} className="skeleton-line" />
      ))}
    </div>
  );
}

export function Loading({ label = 'Loading' }: { label?: string }) {
  return (
    <div role="status" className="loading">
      <span className="visually-hidden">{label}…</span>
      <Skeleton lines={4} />
    </div>
  );
}

interface FieldProps extends InputHTMLAttributes<HTMLInputElement> {
  label: string;
  error?: string | undefined;
  hint?: ReactNode;
}

/** A labelled input whose error sits next to it and is announced with it. */
export function Field({ label, error, hint, className, ...input }: FieldProps) {
  const id = useId();
  const errorId = `${id}-error`;
  const hintId = `${id}-hint`;
  const describedBy = [error ? errorId : '', hint ? hintId : ''].filter(Boolean).join(' ') || undefined;
  return (
    <div className={`field ${className ?? ''}`}>
      <label htmlFor={id}>
        {label}
        {input.required ? null : <span className="optional"> (optional)</span>}
      </label>
      <input id={id} aria-invalid={error ? true : undefined} aria-describedby={describedBy} {...input} />
      {hint && (
        <p id={hintId} className="hint">
          {hint}
        </p>
      )}
      {error && (
        <p id={errorId} className="field-error">
          {error}
        </p>
      )}
    </div>
  );
}

export function FormError({ error }: { error: string | null | undefined }) {
  if (!error) return null;
  return (
    <p className="form-error" role="alert">
      {error}
    </p>
  );
}
