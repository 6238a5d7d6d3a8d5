// The app: providers, the frame and the route table (seller and admin load on demand).
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { lazy, type ReactNode, Suspense } from 'react';
import { Navigate, Route, Routes, useLocation, useParams } from 'react-router';
import { Layout } from './components/Layout.js';
import { Loading } from './components/ui.js';
import { ApiError } from './lib/api.js';
import { useHydrated } from './lib/hooks.js';
import { LiveProvider } from './lib/live.js';
import { useUser } from './lib/session.js';
import type { Role } from './lib/types.js';
import Account from './pages/Account.js';
import CartPage from './pages/CartPage.js';
import Checkout from './pages/Checkout.js';
import ForgotPassword from './pages/ForgotPassword.js';
import Home from './pages/Home.js';
import Listing from './pages/Listing.js';
import NotFound from './pages/NotFound.js';
import Notifications from './pages/Notifications.js';
import OrderPage from './pages/OrderPage.js';
import Orders from './pages/Orders.js';
import ProductPage from './pages/ProductPage.js';
import Register from './pages/Register.js';
import ResetPassword from './pages/ResetPassword.js';
import SignIn from './pages/SignIn.js';

const SellerApp = lazy(() => import('./seller/SellerApp.js'));
const AdminApp = lazy(() => import('./admin/AdminApp.js'));

export function makeQueryClient(server = false): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: {
        staleTime: server ? Number.POSITIVE_INFINITY : 30_000,
        // a 4xx will not change by asking again; a 5xx or a dropped connection may
        retry: server
          ? false
          : (count, err) => count < 2 && !(err instanceof ApiError && err.status >= 400 && err.status < 500),
        refetchOnWindowFocus: false,
      },
    },
  });
}

/** Signed in (and with one of `roles`), or off to the sign-in page and back. */
export function RequireUser({ children, roles }: { children: ReactNode; roles?: Role[] }) {
  const hydrated = useHydrated();
  const user = useUser();
  const location = useLocation();
  if (!hydrated) return <Loading />;
  if (!user) return <Navigate to={`/signin?next=${encodeURIComponent(location.pathname + location.search)}`} replace />;
  if (roles && !roles.includes(user.role)) {
    return (
      <section className="not-found">
        <h1>Not for this account</h1>
        <p>
          This part of the shop needs a {roles.join(' or ')} account. You are signed in as {user.email}.
        </p>
      </section>
    );
  }
  return <>{children}</>;
}

function OrderRedirect() {
  const { id = '' } = useParams();
  return <Navigate to={`/account/orders/${id}`} replace />;
}

export function AppRoutes() {
  return (
    <Routes>
      <Route path="/" element={<Home />} />
      <Route path="/search" element={<Listing />} />
      <Route path="/categories/:slug" element={<Listing />} />
      <Route path="/products/:slug" element={<ProductPage />} />
      <Route path="/cart" element={<CartPage />} />
      <Route path="/checkout" element={<Checkout />} />
      <Route path="/signin" element={<SignIn />} />
      <Route path="/register" element={<Register />} />
      <Route path="/forgot-password" element={<ForgotPassword />} />
      <Route path="/reset-password" element={<ResetPassword />} />
      <Route
        path="/account"
        element={
          <RequireUser>
            <Account />
          </RequireUser>
        }
      />
      <Route
        path="/account/notifications"
        element={
          <RequireUser>
            <Notifications />
          </RequireUser>
        }
      />
      <Route
        path="/account/notifications/preferences"
        element={
          <RequireUser>
            <Account />
          </RequireUser>
        }
      />
      <Route
        path="/account/orders"
        element={
          <RequireUser>
            <Orders />
          </RequireUser>
        }
      />
      <Route
        path="/account/orders/:id"
        element={
          <RequireUser>
            <OrderPage />
          </RequireUser>
        }
      />
      <Route path="/orders/:id" element={<OrderRedirect />} />
      <Route
        path="/seller/*"
        element={
          <RequireUser roles={['seller', 'admin']}>
            <Suspense fallback={<Loading />}>
              <SellerApp />
            </Suspense>
          </RequireUser>
        }
      />
      <Route
        path="/admin/*"
        element={
          <RequireUser roles={['admin']}>
            <Suspense fallback={<Loading />}>
              <AdminApp />
            </Suspense>
          </RequireUser>
        }
      />
      <Route path="*" element={<NotFound />} />
    </Routes>
  );
}

export function App({ client }: { client: QueryClient }) {
  return (
    <QueryClientProvider client={client}>
      <LiveProvider>
        <Layout>
          <AppRoutes />
        </Layout>
      </LiveProvider>
    </QueryClientProvider>
  );
}
