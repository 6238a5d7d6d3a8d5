// Health: each service's readiness (through the gateway) and notification deliveries that failed.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { ErrorState, Loading } from '../components/ui.js';
import { api } from '../lib/api.js';
import { formatDate } from '../lib/format.js';
import { useHead } from '../lib/hooks.js';
import { simpleHead } from '../lib/seo.js';
import { session } from '../lib/session.js';
import type { Page } from '../lib/types.js';

const head = simpleHead('Health');

interface ServiceHealth {
  service: string;
  status: 'ok' | 'unavailable';
  checks: Record<string, unknown> | null;
  ms: number;
}

interface Failure {
  id: string;
  eventType: string;
  channel: 'email' | 'sms';
  recipient: string;
  attempts: number;
  lastError: string | null;
  failedAt: string | null;
  createdAt: string;
}

async function services(): Promise<{ services: ServiceHealth[] }> {
  // 503 still carries the per-service answer; the checks of each service are shown to admins only
  const token = session.token();
  const res = await fetch('/health/services', token ? { headers: { authorization: `Bearer ${token}` } } : {});
  if (res.status !== 200 && res.status !== 503) throw new Error(`The gateway answered ${res.status}`);
  return res.json();
}

function Failures() {
  const client = useQueryClient();
  const list = useQuery({
    queryKey: ['admin-failures'],
    queryFn: () => api<Page<Failure>>('/api/notifications/admin/failures?limit=50'),
  });
  const retry = useMutation({
    mutationFn: (id: string) => api(`/api/notifications/admin/failures/${id}/retry`, { method: 'POST' }),
    onSuccess: () => client.invalidateQueries({ queryKey: ['admin-failures'] }),
  });
  if (list.isError) return <ErrorState error={list.error} retry={() => list.refetch()} />;
  if (list.isPending) return <Loading />;
  if (list.data.items.length === 0) return <p className="muted">No failed deliveries.</p>;
  return (
    <div className="table-wrap">
      <table>
        <caption className="visually-hidden">Failed deliveries</caption>
        <thead>
          <tr>
            <th scope="col">Event</th>
            <th scope="col">Channel</th>
            <th scope="col">Recipient</th>
            <th scope="col">Attempts</th>
            <th scope="col">Last error</th>
            <th scope="col">Failed</th>
            <th scope="col">
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {list.data.items.map((f) => (
            <tr key={f.id}>
              <td>{f.eventType}</td>
              <td>{f.channel}</td>
              <td>{f.recipient}</td>
              <td>{f.attempts}</td>
              <td>{f.lastError ?? '—'}</td>
              <td>{f.failedAt ? formatDate(f.failedAt) : '—'}</td>
              <td>
                <button
                  type="button"
                  className="btn btn-secondary"
                  disabled={retry.isPending}
                  onClick={() => retry.mutate(f.id)}
                >
                  Retry
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function AdminHealth() {
  useHead(head);
  const health = useQuery({ queryKey: ['admin-health'], queryFn: services, refetchInterval: 10_000 });
  return (
    <>
      <h1>Health</h1>
      <section aria-labelledby="services-title" className="section">
        <h2 id="services-title">Services</h2>
        {health.isError ? (
          <ErrorState error={health.error} retry={() => health.refetch()} />
        ) : health.isPending ? (
          <Loading />
        ) : (
          <ul className="health">
            {health.data.services.map((s) => (
              <li key={s.service}>
                <strong>{s.service}</strong>{' '}
                <span className={`badge ${s.status === 'ok' ? 'badge-confirmed' : 'badge-cancelled'}`}>
                  {s.status === 'ok' ? 'Ready' : 'Unavailable'}
                </span>
                <p className="muted">
                  {s.ms} ms
                  {s.checks && typeof s.checks === 'object' && 'checks' in s.checks
                    ? ` · ${Object.entries(s.checks.checks as Record<string, unknown>)
                        .map(
                          ([k, v]) =>
                            `${k}: ${typeof v === 'object' && v ? ((v as { status?: string }).status ?? 'ok') : String(v)}`,
                        )
                        .join(', ')}`
                    : ''}
                </p>
              </li>
            ))}
          </ul>
        )}
      </section>
      <section aria-labelledby="failures-title" className="section">
        <h2 id="failures-title">Failed notification deliveries</h2>
        <Failures />
      </section>
    </>
  );
}
