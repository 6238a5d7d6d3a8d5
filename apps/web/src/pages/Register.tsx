// /register
import { Link, useNavigate, useSearchParams } from 'react-router';
import { useHead } from '../lib/hooks.js';
import { simpleHead } from '../lib/seo.js';
import { RegisterForm } from './auth.js';
import { safeNext } from './SignIn.js';

const head = simpleHead('Create an account');

export default function Register() {
  useHead(head);
  const [params] = useSearchParams();
  const navigate = useNavigate();
  return (
    <section className="auth-page">
      <h1>Create an account</h1>
      <RegisterForm onDone={() => navigate(safeNext(params.get('next')), { replace: true })} />
      <p className="form-links">
        Already have an account? <Link to="/signin">Sign in</Link>
      </p>
    </section>
  );
}
