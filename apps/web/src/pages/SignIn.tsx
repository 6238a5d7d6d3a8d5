// /signin: back to where the shopper came from afterwards.
import { Link, useNavigate, useSearchParams } from 'react-router';
import { useHead } from '../lib/hooks.js';
import { simpleHead } from '../lib/seo.js';
import { session } from '../lib/session.js';
import { SignInForm } from './auth.js';

const head = simpleHead('Sign in');

/** Only paths of this site (no `//evil.example`). */
export function safeNext(next: string | null): string {
  return next?.startsWith('/') && !next.startsWith('//') ? next : '/account';
}

export default function SignIn() {
  useHead(head);
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const expired = session.takeSignOutReason() === 'expired';
  return (
    <section className="auth-page">
      <h1>Sign in</h1>
      {expired && <p className="notice">Your session ended. Sign in again to continue.</p>}
      <SignInForm onDone={() => navigate(safeNext(params.get('next')), { replace: true })} />
      <p className="form-links">
        New here?{' '}
        <Link to={`/register${params.get('next') ? `?next=${encodeURIComponent(params.get('next')!)}` : ''}`}>
          Create an account
        </Link>
      </p>
    </section>
  );
}
