// /reset-password?token=: the link in the reset mail lands here.
import { type FormEvent, useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { Field, FormError } from '../components/ui.js';
import { ApiError, api } from '../lib/api.js';
import { useHead } from '../lib/hooks.js';
import { simpleHead } from '../lib/seo.js';

const head = simpleHead('Choose a new password');

export default function ResetPassword() {
  useHead(head);
  const [params] = useSearchParams();
  const token = params.get('token') ?? '';
  const [done, setDone] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [fieldError, setFieldError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    const password = String(form.get('password') ?? '');
    if (password.length < 8) return setFieldError('Use at least 8 characters');
    if (password !== String(form.get('confirm') ?? '')) return setFieldError('The two passwords differ');
    setFieldError(undefined);
    setBusy(true);
    setError(null);
    try {
      await api('/api/auth/password/reset', { method: 'POST', json: { token, password } });
      setDone(true);
    } catch (err) {
      setError(
        err instanceof ApiError && (err.status === 400 || err.status === 401 || err.status === 404)
          ? 'This link has expired or was already used. Ask for a new one.'
          : (err as Error).message,
      );
    } finally {
      setBusy(false);
    }
  };
  return (
    <section className="auth-page">
      <h1>Choose a new password</h1>
      {!token ? (
        <p className="form-error">
          This page needs the link from the reset mail. <Link to="/forgot-password">Ask for a new link</Link>.
        </p>
      ) : done ? (
        <p className="notice" role="status">
          Your password is changed and every other session is signed out. <Link to="/signin">Sign in</Link>
        </p>
      ) : (
        <form onSubmit={submit} className="form" noValidate>
          <FormError error={error} />
          <Field
            label="New password"
            name="password"
            type="password"
            autoComplete="new-password"
            required
            error={fieldError}
          />
          <Field label="Repeat the new password" name="confirm" type="password" autoComplete="new-password" required />
          <button type="submit" className="btn btn-primary btn-block" disabled={busy}>
            Change password
          </button>
          {error && (
            <p className="form-links">
              <Link to="/forgot-password">Ask for a new link</Link>
            </p>
          )}
        </form>
      )}
    </section>
  );
}
