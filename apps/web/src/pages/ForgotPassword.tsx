// /forgot-password: the same answer whether or not the account exists.
import { type FormEvent, useState } from 'react';
import { Link } from 'react-router';
import { Field, FormError } from '../components/ui.js';
import { ApiError, api } from '../lib/api.js';
import { useHead } from '../lib/hooks.js';
import { simpleHead } from '../lib/seo.js';

const head = simpleHead('Forgot your password');

export default function ForgotPassword() {
  useHead(head);
  const [sent, setSent] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const email = String(new FormData(e.currentTarget).get('email') ?? '').trim();
    setBusy(true);
    setError(null);
    try {
      await api('/api/auth/password/forgot', { method: 'POST', json: { email } });
      setSent(true);
    } catch (err) {
      setError(
        err instanceof ApiError && err.status === 429 ? 'Too many requests. Try again later.' : (err as Error).message,
      );
    } finally {
      setBusy(false);
    }
  };
  return (
    <section className="auth-page">
      <h1>Forgot your password?</h1>
      {sent ? (
        <p className="notice" role="status">
          If an account exists for that email, we sent a link to reset the password. It works for 30 minutes.
        </p>
      ) : (
        <form onSubmit={submit} className="form">
          <p>Enter your email and we will send you a link to choose a new password.</p>
          <FormError error={error} />
          <Field label="Email" name="email" type="email" autoComplete="email" required />
          <button type="submit" className="btn btn-primary btn-block" disabled={busy}>
            Send the link
          </button>
        </form>
      )}
      <p className="form-links">
        <Link to="/signin">Back to sign in</Link>
      </p>
    </section>
  );
}
