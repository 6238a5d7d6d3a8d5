// Sign-in and registration forms, used on their own pages and inline at checkout.
import { useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { Link } from 'react-router';
import { Field, FormError } from '../components/ui.js';
import { ApiError, api } from '../lib/api.js';
import { signedIn } from '../lib/cart.js';
import type { SessionTokens } from '../lib/types.js';

function reason(err: unknown): string {
  if (err instanceof ApiError) {
    if (err.status === 401) return 'Wrong email or password.';
    if (err.status === 403) return 'This account is disabled. Contact the shop for help.';
    if (err.status === 429) return 'Too many attempts. Wait a few minutes and try again.';
    if (err.code === 'USER_EXISTS') return 'An account with this email already exists. Sign in instead.';
    return err.message;
  }
  return 'Something went wrong. Try again.';
}

export function SignInForm({ onDone }: { onDone: () => void }) {
  const client = useQueryClient();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    setBusy(true);
    setError(null);
    try {
      const tokens = await api<SessionTokens>('/api/auth/login', {
        method: 'POST',
        json: { email: String(form.get('email') ?? ''), password: String(form.get('password') ?? '') },
      });
      await signedIn(client, tokens);
      onDone();
    } catch (err) {
      setError(reason(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form onSubmit={submit} className="form" aria-label="Sign in">
      <FormError error={error} />
      <Field label="Email" name="email" type="email" autoComplete="email" required />
      <Field label="Password" name="password" type="password" autoComplete="current-password" required />
      <button type="submit" className="btn btn-primary btn-block" disabled={busy}>
        {busy ? 'Signing in…' : 'Sign in'}
      </button>
      <p className="form-links">
        <Link to="/forgot-password">Forgot your password?</Link>
      </p>
    </form>
  );
}

export function RegisterForm({ onDone }: { onDone: () => void }) {
  const client = useQueryClient();
  const [error, setError] = useState<string | null>(null);
  const [fields, setFields] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    const body = {
      name: String(form.get('name') ?? '').trim(),
      email: String(form.get('email') ?? '').trim(),
      password: String(form.get('password') ?? ''),
    };
    const local: Record<string, string> = {};
    if (!body.name) local.name = 'Enter your name';
    if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(body.email)) local.email = 'Enter an email address like ada@example.com';
    if (body.password.length < 8) local.password = 'Use at least 8 characters';
    setFields(local);
    if (Object.keys(local).length) return;
    setBusy(true);
    setError(null);
    try {
      const tokens = await api<SessionTokens>('/api/auth/register', { method: 'POST', json: body });
      await signedIn(client, tokens);
      onDone();
    } catch (err) {
      if (err instanceof ApiError && err.details.length) setFields(err.fieldErrors());
      setError(reason(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form onSubmit={submit} className="form" aria-label="Create account" noValidate>
      <FormError error={error} />
      <Field label="Name" name="name" autoComplete="name" required error={fields.name} />
      <Field label="Email" name="email" type="email" autoComplete="email" required error={fields.email} />
      <Field
        label="Password"
        name="password"
        type="password"
        autoComplete="new-password"
        required
        minLength={8}
        error={fields.password}
        hint="At least 8 characters."
      />
      <button type="submit" className="btn btn-primary btn-block" disabled={busy}>
        {busy ? 'Creating your account…' : 'Create account'}
      </button>
    </form>
  );
}
