// /account: profile and notification preferences.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useEffect, useState } from 'react';
import { Link } from 'react-router';
import { ErrorState, Field, FormError, Loading } from '../components/ui.js';
import { ApiError, api } from '../lib/api.js';
import { useHead } from '../lib/hooks.js';
import { useLive } from '../lib/live.js';
import { simpleHead } from '../lib/seo.js';
import { session, useUser } from '../lib/session.js';
import type { Preferences, User } from '../lib/types.js';

const head = simpleHead('Your account');

function PreferencesForm() {
  const client = useQueryClient();
  const prefs = useQuery({
    queryKey: ['preferences'],
    queryFn: () => api<Preferences>('/api/notifications/preferences'),
  });
  const [draft, setDraft] = useState<Preferences | null>(null);
  useEffect(() => {
    if (prefs.data) setDraft(prefs.data);
  }, [prefs.data]);
  const save = useMutation({
    mutationFn: (p: Preferences) =>
      api<Preferences>('/api/notifications/preferences', {
        method: 'PUT',
        json: { email: p.email, sms: p.sms, inApp: p.inApp, phone: p.phone?.trim() ? p.phone.trim() : null },
      }),
    onSuccess: (p) => client.setQueryData(['preferences'], p),
  });
  if (prefs.isError)
    return <ErrorState error={prefs.error} retry={() => prefs.refetch()} title="Preferences are unavailable." />;
  if (!draft) return <Loading label="Loading preferences" />;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    save.mutate(draft);
  };
  const fieldErrors = save.error instanceof ApiError ? save.error.fieldErrors() : {};
  return (
    <form onSubmit={submit} className="form" aria-labelledby="prefs-title">
      <h2 id="prefs-title">Notifications</h2>
      <fieldset>
        <legend>Tell me about my orders by</legend>
        {(['email', 'inApp', 'sms'] as const).map((k) => (
          <label className="check" key={k}>
            <input type="checkbox" checked={draft[k]} onChange={(e) => setDraft({ ...draft, [k]: e.target.checked })} />
            {k === 'email' ? 'Email' : k === 'inApp' ? 'Notifications in the shop' : 'Text message'}
          </label>
        ))}
      </fieldset>
      <Field
        label="Mobile number for text messages"
        type="tel"
        value={draft.phone ?? ''}
        onChange={(e) => setDraft({ ...draft, phone: e.target.value })}
        error={
          fieldErrors.phone ??
          (save.error instanceof ApiError && /phone/i.test(save.error.message) ? save.error.message : undefined)
        }
        hint="In international format, e.g. +14155550123."
      />
      {save.error && !(save.error instanceof ApiError && /phone/i.test(save.error.message)) && (
        <FormError error={save.error.message} />
      )}
      <button type="submit" className="btn btn-primary" disabled={save.isPending}>
        Save preferences
      </button>
      <p aria-live="polite" className="success">
        {save.isSuccess ? 'Saved.' : ''}
      </p>
    </form>
  );
}

export default function Account() {
  useHead(head);
  const user = useUser()!;
  const { unread } = useLive();
  const me = useQuery({ queryKey: ['me'], queryFn: () => api<User>('/api/auth/me') });
  useEffect(() => {
    if (me.data) session.updateUser(me.data);
  }, [me.data]);
  const profile = me.data ?? user;
  return (
    <>
      <h1>Your account</h1>
      <div className="account">
        <section className="panel" aria-labelledby="profile-title">
          <h2 id="profile-title">Profile</h2>
          <dl className="profile">
            <div>
              <dt>Name</dt>
              <dd>{profile.name || '—'}</dd>
            </div>
            <div>
              <dt>Email</dt>
              <dd>{profile.email}</dd>
            </div>
            <div>
              <dt>Account type</dt>
              <dd>{profile.role}</dd>
            </div>
            <div>
              <dt>Member since</dt>
              <dd>{new Date(profile.createdAt).toLocaleDateString('en-US', { dateStyle: 'long' })}</dd>
            </div>
          </dl>
          <ul className="account-links">
            <li>
              <Link to="/account/orders">Your orders</Link>
            </li>
            <li>
              <Link to="/account/notifications">Notifications{unread ? ` (${unread} unread)` : ''}</Link>
            </li>
            <li>
              <Link to="/forgot-password">Change your password</Link>
            </li>
          </ul>
        </section>
        <section className="panel">
          <PreferencesForm />
        </section>
      </div>
    </>
  );
}
