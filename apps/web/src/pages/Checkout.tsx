// Checkout: sign in or register inline, shipping address, payment, and "Place order" with an
// Idempotency-Key that survives a double click and a retry.
import { useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useEffect, useId, useRef, useState } from 'react';
import { Link, useNavigate } from 'react-router';
import { ErrorState, Field, FormError, Loading, Price } from '../components/ui.js';
import { type AddressErrors, cleanAddress, validateAddress } from '../lib/address.js';
import { ApiError, api, newIdempotencyKey } from '../lib/api.js';
import { formatCardNumber, sandboxToken, TEST_CARDS } from '../lib/cards.js';
import { useCart } from '../lib/cart.js';
import { COUNTRIES } from '../lib/countries.js';
import { useHead, useHydrated } from '../lib/hooks.js';
import { simpleHead } from '../lib/seo.js';
import { useUser } from '../lib/session.js';
import { paymentConfig, type StripeCard, stripeCard } from '../lib/stripe.js';
import type { Address, Order } from '../lib/types.js';
import { RegisterForm, SignInForm } from './auth.js';

const head = simpleHead('Checkout');
const ADDRESS_KEY = 'mb.address';

const emptyAddress: Address = {
  name: '',
  line1: '',
  line2: '',
  city: '',
  region: '',
  postalCode: '',
  country: 'US',
  phone: '',
};

function Who() {
  const [mode, setMode] = useState<'signin' | 'register'>('register');
  return (
    <section className="panel" aria-labelledby="who-title">
      <h2 id="who-title">1. Your account</h2>
      <p>Create an account to follow your order, or sign in.</p>
      <fieldset className="tabs">
        <legend className="visually-hidden">Account</legend>
        <button type="button" aria-pressed={mode === 'register'} onClick={() => setMode('register')}>
          New customer
        </button>
        <button type="button" aria-pressed={mode === 'signin'} onClick={() => setMode('signin')}>
          I have an account
        </button>
      </fieldset>
      {mode === 'register' ? <RegisterForm onDone={() => {}} /> : <SignInForm onDone={() => {}} />}
    </section>
  );
}

function CountrySelect({
  value,
  onChange,
  error,
}: {
  value: string;
  onChange: (v: string) => void;
  error?: string | undefined;
}) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>Country</label>
      <select
        id={id}
        name="country"
        value={value}
        onChange={(e) => onChange(e.target.value)}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? `${id}-error` : undefined}
        required
      >
        <option value="">Choose…</option>
        {COUNTRIES.map(([code, name]) => (
          <option key={code} value={code}>
            {name}
          </option>
        ))}
      </select>
      {error && (
        <p id={`${id}-error`} className="field-error">
          {error}
        </p>
      )}
    </div>
  );
}

export default function Checkout() {
  useHead(head);
  const hydrated = useHydrated();
  const user = useUser();
  const cart = useCart();
  const navigate = useNavigate();
  const client = useQueryClient();
  const [address, setAddress] = useState<Address>(emptyAddress);
  const [errors, setErrors] = useState<AddressErrors>({});
  const [card, setCard] = useState('');
  const [cardError, setCardError] = useState<string | undefined>();
  const [formError, setFormError] = useState<string | null>(null);
  const [placing, setPlacing] = useState(false);
  // one key per attempt: a double click or a retry after a lost answer sends the same one
  const key = useRef<string | null>(null);
  const stripe = useRef<StripeCard | null>(null);
  const stripeMount = useRef<HTMLDivElement>(null);
  const config = paymentConfig();

  useEffect(() => {
    try {
      const saved = JSON.parse(localStorage.getItem(ADDRESS_KEY) ?? 'null') as Address | null;
      if (saved) setAddress({ ...emptyAddress, ...saved });
    } catch {
      // a damaged saved address is simply not offered
    }
  }, []);

  useEffect(() => {
    if (config.provider !== 'stripe' || !user || !stripeMount.current) return;
    let cancelled = false;
    stripeCard(config.publishableKey, stripeMount.current)
      .then((c) => {
        if (cancelled) c.destroy();
        else stripe.current = c;
      })
      .catch(() => setCardError('The card form could not be loaded. Reload the page to try again.'));
    return () => {
      cancelled = true;
      stripe.current?.destroy();
      stripe.current = null;
    };
  }, [config.provider, config.publishableKey, user]);

  const set = (k: keyof Address) => (e: { target: { value: string } }) => {
    setAddress((a) => ({ ...a, [k]: e.target.value }));
    key.current = null;
  };

  const place = async (e: FormEvent) => {
    e.preventDefault();
    if (placing) return;
    const found = validateAddress(address);
    setErrors(found);
    let token: string | undefined;
    if (config.provider === 'sandbox') {
      const t = sandboxToken(card);
      if ('error' in t) setCardError(t.error);
      else {
        setCardError(undefined);
        token = t.token;
      }
    }
    if (Object.keys(found).length || (config.provider === 'sandbox' && !token)) {
      setFormError('Check the fields marked below.');
      return;
    }
    setFormError(null);
    setPlacing(true);
    try {
      if (config.provider === 'stripe') {
        if (!stripe.current) throw new Error('The card form is not ready yet');
        token = await stripe.current.paymentMethod(address.name);
      }
      key.current ??= newIdempotencyKey();
      const body = { shippingAddress: cleanAddress(address), paymentToken: token };
      let order: Order | undefined;
      for (let attempt = 0; ; attempt++) {
        try {
          order = await api<Order>('/api/orders', {
            method: 'POST',
            json: body,
            headers: { 'idempotency-key': key.current },
          });
          break;
        } catch (err) {
          // a lost answer or a busy service: the same key returns the same order
          const transient = err instanceof ApiError && (err.status === 0 || err.status >= 502);
          if (!transient || attempt >= 2) throw err;
          await new Promise((r) => setTimeout(r, 500 * (attempt + 1)));
        }
      }
      localStorage.setItem(ADDRESS_KEY, JSON.stringify(cleanAddress(address)));
      key.current = null;
      client.setQueryData(['order', order.id], order);
      navigate(`/account/orders/${order.id}`);
    } catch (err) {
      if (err instanceof ApiError) {
        const fields = err.fieldErrors();
        setErrors(fields as AddressErrors);
        if (fields.paymentToken) setCardError(fields.paymentToken);
        setFormError(
          err.status === 409 || err.code === 'CART_EMPTY' ? `${err.message}. Check your cart.` : err.message,
        );
      } else setFormError((err as Error).message);
    } finally {
      setPlacing(false);
    }
  };

  if (!hydrated || cart.isPending) return <Loading label="Loading the checkout" />;
  if (cart.isError) return <ErrorState error={cart.error} retry={() => cart.refetch()} />;
  const lines = cart.data.items;
  if (lines.length === 0) {
    return (
      <section className="empty">
        <h1>Checkout</h1>
        <p>Your cart is empty, so there is nothing to check out.</p>
        <Link to="/" className="btn btn-primary">
          Start shopping
        </Link>
      </section>
    );
  }

  return (
    <>
      <h1>Checkout</h1>
      <div className="checkout">
        <div className="checkout-steps">
          {!user ? (
            <Who />
          ) : (
            <form onSubmit={place} noValidate className="form" aria-label="Shipping and payment">
              <p className="muted">Signed in as {user.email}</p>
              <FormError error={formError} />
              <section className="panel" aria-labelledby="ship-title">
                <h2 id="ship-title">Shipping address</h2>
                <Field
                  label="Full name"
                  autoComplete="name"
                  required
                  value={address.name}
                  onChange={set('name')}
                  error={errors.name}
                />
                <Field
                  label="Address line 1"
                  autoComplete="address-line1"
                  required
                  value={address.line1}
                  onChange={set('line1')}
                  error={errors.line1}
                />
                <Field
                  label="Address line 2"
                  autoComplete="address-line2"
                  value={address.line2 ?? ''}
                  onChange={set('line2')}
                  error={errors.line2}
                />
                <div className="field-row">
                  <Field
                    label="City"
                    autoComplete="address-level2"
                    required
                    value={address.city}
                    onChange={set('city')}
                    error={errors.city}
                  />
                  <Field
                    label="Region"
                    autoComplete="address-level1"
                    value={address.region ?? ''}
                    onChange={set('region')}
                    error={errors.region}
                  />
                </div>
                <div className="field-row">
                  <Field
                    label="Postal code"
                    autoComplete="postal-code"
                    required
                    value={address.postalCode}
                    onChange={set('postalCode')}
                    error={errors.postalCode}
                  />
                  <CountrySelect
                    value={address.country}
                    onChange={(v) => set('country')({ target: { value: v } })}
                    error={errors.country}
                  />
                </div>
                <Field
                  label="Phone"
                  type="tel"
                  autoComplete="tel"
                  value={address.phone ?? ''}
                  onChange={set('phone')}
                  error={errors.phone}
                />
              </section>
              <section className="panel" aria-labelledby="pay-title">
                <h2 id="pay-title">Payment</h2>
                {config.provider === 'stripe' ? (
                  <div className="field">
                    <span className="label">Card</span>
                    <div ref={stripeMount} className="stripe-card" />
                    {cardError && <p className="field-error">{cardError}</p>}
                  </div>
                ) : (
                  <>
                    <Field
                      label="Card number"
                      inputMode="numeric"
                      autoComplete="cc-number"
                      required
                      value={card}
                      onChange={(e) => {
                        setCard(formatCardNumber(e.target.value));
                        key.current = null;
                      }}
                      error={cardError}
                      placeholder="4242 4242 4242 4242"
                    />
                    <details className="test-cards">
                      <summary>Test card numbers (this shop takes no real cards)</summary>
                      <ul>
                        {TEST_CARDS.map((c) => (
                          <li key={c.number}>
                            <code>{c.number}</code> {c.outcome}
                          </li>
                        ))}
                      </ul>
                      <p className="muted">Any future expiry date and any CVC; no card data leaves your browser.</p>
                    </details>
                  </>
                )}
              </section>
              <button
                type="submit"
                className="btn btn-primary btn-large btn-block"
                disabled={placing}
                aria-busy={placing}
              >
                {placing ? 'Placing your order…' : 'Place order'}
              </button>
            </form>
          )}
        </div>
        <aside className="summary" aria-label="Order summary">
          <h2>Order summary</h2>
          <ul className="summary-lines">
            {lines.map((l) => (
              <li key={l.productId}>
                <span>
                  {l.quantity} × {l.name}
                </span>
                <Price money={{ amount: l.unitPrice.amount * l.quantity, currency: l.unitPrice.currency }} />
              </li>
            ))}
          </ul>
          <dl>
            <div>
              <dt>Shipping</dt>
              <dd>Free</dd>
            </div>
            <div className="total">
              <dt>Total</dt>
              <dd>
                <Price money={cart.data.subtotal} />
              </dd>
            </div>
          </dl>
          <Link to="/cart">Edit cart</Link>
        </aside>
      </div>
    </>
  );
}
