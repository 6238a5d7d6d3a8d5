// Users: search, change a role, disable or enable an account.
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { useSearchParams } from 'react-router';
import { ErrorState, Loading } from '../components/ui.js';
import { api, qs } from '../lib/api.js';
import { useHead } from '../lib/hooks.js';
import { LoadMore, useCursorList } from '../lib/paged.js';
import { simpleHead } from '../lib/seo.js';
import { useUser } from '../lib/session.js';
import type { Role, User } from '../lib/types.js';

const head = simpleHead('Users');
const ROLES: Role[] = ['customer', 'seller', 'admin'];

function UserRow({ user, self }: { user: User; self: boolean }) {
  const client = useQueryClient();
  const change = useMutation({
    mutationFn: (c: { role?: Role; disabled?: boolean }) =>
      api<User>(`/api/auth/users/${user.id}`, { method: 'PATCH', json: c }),
    onSuccess: () => client.invalidateQueries({ queryKey: ['admin-users'] }),
  });
  return (
    <tr>
      <td>{user.email}</td>
      <td>{user.name || '—'}</td>
      <td>
        <label className="visually-hidden" htmlFor={`role-${user.id}`}>
          Role of {user.email}
        </label>
        <select
          id={`role-${user.id}`}
          value={user.role}
          disabled={self || change.isPending}
          onChange={(e) => change.mutate({ role: e.target.value as Role })}
        >
          {ROLES.map((r) => (
            <option key={r} value={r}>
              {r}
            </option>
          ))}
        </select>
      </td>
      <td>
        {user.disabled ? (
          <span className="badge badge-cancelled">Disabled</span>
        ) : (
          <span className="badge badge-confirmed">Active</span>
        )}
      </td>
      <td>
        {!self && (
          <button
            type="button"
            className={user.disabled ? 'btn btn-secondary' : 'btn btn-danger'}
            disabled={change.isPending}
            onClick={() => change.mutate({ disabled: !user.disabled })}
          >
            {user.disabled ? 'Enable' : 'Disable'}
          </button>
        )}
        {change.error && <p className="field-error">{change.error.message}</p>}
      </td>
    </tr>
  );
}

export function AdminUsers() {
  useHead(head);
  const me = useUser()!;
  const [params, setParams] = useSearchParams();
  const q = params.get('q') ?? '';
  const [text, setText] = useState(q);
  const { list, items: users } = useCursorList<User>(
    ['admin-users', q],
    (cursor) => `/api/auth/users${qs({ q, limit: 20, cursor })}`,
  );
  const search = (e: FormEvent) => {
    e.preventDefault();
    setParams(text.trim() ? { q: text.trim() } : {});
  };
  return (
    <>
      <h1>Users</h1>
      <search>
        <form className="toolbar" onSubmit={search}>
          <div className="field">
            <label htmlFor="user-q">Search users</label>
            <input
              id="user-q"
              type="search"
              value={text}
              maxLength={100}
              placeholder="Email or name"
              onChange={(e) => setText(e.target.value)}
            />
          </div>
          <button type="submit" className="btn btn-secondary">
            Search
          </button>
        </form>
      </search>
      {list.isError ? (
        <ErrorState error={list.error} retry={() => list.refetch()} />
      ) : list.isPending ? (
        <Loading label="Loading users" />
      ) : users.length === 0 ? (
        <p className="empty">No user matches “{q}”.</p>
      ) : (
        <div className="table-wrap">
          <table>
            <caption className="visually-hidden">Users</caption>
            <thead>
              <tr>
                <th scope="col">Email</th>
                <th scope="col">Name</th>
                <th scope="col">Role</th>
                <th scope="col">State</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {users.map((u) => (
                <UserRow key={u.id} user={u} self={u.id === me.id} />
              ))}
            </tbody>
          </table>
        </div>
      )}
      <LoadMore list={list} />
    </>
  );
}
