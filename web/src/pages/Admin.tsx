//! The admin area: tiers (list, create, edit, delete) and users (list, create, change tier and role).

import { useState, type FormEvent } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useSession } from '../auth/session';
import type { Role, Tier, User } from '../api/types';
import { ErrorMessage } from '../components/ErrorMessage';

function parseHeights(s: string): number[] {
  return s
    .split(/[\s,]+/)
    .filter(Boolean)
    .map(Number);
}

function TierForm({ initial, onDone }: { initial?: Tier; onDone: () => void }) {
  const { client } = useSession();
  const qc = useQueryClient();
  const editing = !!initial;
  const [name, setName] = useState(initial?.name ?? '');
  const [heights, setHeights] = useState(initial?.thumbnail_heights.join(', ') ?? '200');
  const [original, setOriginal] = useState(initial?.original_link ?? false);
  const [expiring, setExpiring] = useState(initial?.expiring_links ?? false);
  const save = useMutation({
    mutationFn: (t: Tier) => (editing ? client.updateTier(t) : client.createTier(t)),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: ['tiers'] });
      onDone();
    },
  });
  const prefix = editing ? `edit-${initial.name}` : 'new-tier';
  const submit = (e: FormEvent) => {
    e.preventDefault();
    save.mutate({ name: name.trim(), thumbnail_heights: parseHeights(heights), original_link: original, expiring_links: expiring });
  };
  return (
    <form className="form tier-form" onSubmit={submit} aria-label={editing ? `Edit tier ${initial.name}` : 'New tier'}>
      {!editing && (
        <>
          <label htmlFor={`${prefix}-name`}>Tier name</label>
          <input id={`${prefix}-name`} value={name} onChange={(e) => setName(e.target.value)} required maxLength={32} />
        </>
      )}
      <label htmlFor={`${prefix}-h`}>Thumbnail heights</label>
      <input id={`${prefix}-h`} value={heights} onChange={(e) => setHeights(e.target.value)} aria-describedby={`${prefix}-hint`} />
      <p className="hint" id={`${prefix}-hint`}>Pixels, separated by commas, e.g. 200, 400</p>
      <label className="check">
        <input type="checkbox" checked={original} onChange={(e) => setOriginal(e.target.checked)} /> Original link
      </label>
      <label className="check">
        <input type="checkbox" checked={expiring} onChange={(e) => setExpiring(e.target.checked)} /> Expiring links
      </label>
      <ErrorMessage error={save.error} />
      <div className="row">
        <button type="submit" disabled={save.isPending}>{editing ? 'Save tier' : 'Create tier'}</button>
        {editing && <button type="button" className="secondary" onClick={onDone}>Cancel</button>}
      </div>
    </form>
  );
}

function TierRow({ tier }: { tier: Tier }) {
  const { client } = useSession();
  const qc = useQueryClient();
  const [editing, setEditing] = useState(false);
  const del = useMutation({
    mutationFn: () => client.deleteTier(tier.name),
    onSuccess: () => void qc.invalidateQueries({ queryKey: ['tiers'] }),
  });
  return (
    <li className="tier-row">
      <div className="row spread">
        <div>
          <strong>{tier.name}</strong>
          <p className="muted">
            Thumbnails {tier.thumbnail_heights.join(', ') || 'none'} px · original link {tier.original_link ? 'yes' : 'no'} · expiring links {tier.expiring_links ? 'yes' : 'no'}
          </p>
        </div>
        <div className="row">
          <button type="button" className="secondary small" aria-label={`Edit tier ${tier.name}`} onClick={() => setEditing((v) => !v)}>Edit</button>
          <button type="button" className="secondary small danger-text" aria-label={`Delete tier ${tier.name}`} onClick={() => del.mutate()} disabled={del.isPending}>Delete</button>
        </div>
      </div>
      <ErrorMessage error={del.error} />
      {editing && <TierForm initial={tier} onDone={() => setEditing(false)} />}
    </li>
  );
}

function UserRow({ user, tiers }: { user: User; tiers: Tier[] }) {
  const { client } = useSession();
  const qc = useQueryClient();
  const [saved, setSaved] = useState<string | null>(null);
  const patch = useMutation({
    mutationFn: (c: { tier?: string; role?: Role }) => client.updateUser(user.username, c),
    onSuccess: (u) => {
      setSaved(`Saved: ${u.username} is ${u.role} on ${u.tier}.`);
      void qc.invalidateQueries({ queryKey: ['users'] });
    },
  });
  return (
    <tr>
      <th scope="row">{user.username}</th>
      <td>
        <select aria-label={`Tier for ${user.username}`} value={user.tier} onChange={(e) => patch.mutate({ tier: e.target.value })}>
          {!tiers.some((t) => t.name === user.tier) && <option value={user.tier}>{user.tier}</option>}
          {tiers.map((t) => <option key={t.name} value={t.name}>{t.name}</option>)}
        </select>
      </td>
      <td>
        <select aria-label={`Role for ${user.username}`} value={user.role} onChange={(e) => patch.mutate({ role: e.target.value as Role })}>
          <option value="user">user</option>
          <option value="admin">admin</option>
        </select>
      </td>
      <td className="status-cell">
        {patch.error ? <ErrorMessage error={patch.error} /> : saved && <span role="status">{saved}</span>}
      </td>
    </tr>
  );
}

function NewUserForm({ tiers }: { tiers: Tier[] }) {
  const { client } = useSession();
  const qc = useQueryClient();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [tier, setTier] = useState('Basic');
  const [role, setRole] = useState<Role>('user');
  const create = useMutation({
    mutationFn: () => client.createUser({ username: username.trim(), password, tier, role }),
    onSuccess: () => {
      setUsername('');
      setPassword('');
      void qc.invalidateQueries({ queryKey: ['users'] });
    },
  });
  return (
    <form className="form" aria-label="New user" onSubmit={(e) => { e.preventDefault(); create.mutate(); }}>
      <label htmlFor="nu-name">New username</label>
      <input id="nu-name" value={username} onChange={(e) => setUsername(e.target.value)} required autoComplete="off" />
      <label htmlFor="nu-pass">New user's password</label>
      <input id="nu-pass" type="password" value={password} onChange={(e) => setPassword(e.target.value)} required autoComplete="new-password" />
      <label htmlFor="nu-tier">New user's tier</label>
      <select id="nu-tier" value={tier} onChange={(e) => setTier(e.target.value)}>
        {tiers.map((t) => <option key={t.name} value={t.name}>{t.name}</option>)}
      </select>
      <label htmlFor="nu-role">New user's role</label>
      <select id="nu-role" value={role} onChange={(e) => setRole(e.target.value as Role)}>
        <option value="user">user</option>
        <option value="admin">admin</option>
      </select>
      <ErrorMessage error={create.error} />
      {create.isSuccess && <p role="status">User created.</p>}
      <button type="submit" disabled={create.isPending}>Create user</button>
    </form>
  );
}

export function AdminPage() {
  const { client, user } = useSession();
  const tiers = useQuery({ queryKey: ['tiers'], queryFn: () => client.tiers(), enabled: user?.role === 'admin' });
  const users = useQuery({ queryKey: ['users'], queryFn: () => client.users(), enabled: user?.role === 'admin' });
  if (user?.role !== 'admin') {
    return (
      <main>
        <h1>Admin</h1>
        <p className="error" role="alert">Only administrators can see this page.</p>
      </main>
    );
  }
  const tierList = tiers.data?.items ?? [];
  return (
    <main>
      <h1>Admin</h1>
      <div className="admin">
        <section className="card" aria-labelledby="tiers-title">
          <h2 id="tiers-title">Tiers</h2>
          <ErrorMessage error={tiers.error} />
          <ul className="plain">
            {tierList.map((t) => <TierRow key={t.name} tier={t} />)}
          </ul>
          <h3>New tier</h3>
          <TierForm onDone={() => undefined} />
        </section>
        <section className="card" aria-labelledby="users-title">
          <h2 id="users-title">Users</h2>
          <ErrorMessage error={users.error} />
          <div className="table-wrap">
            <table>
              <thead>
                <tr><th scope="col">User</th><th scope="col">Tier</th><th scope="col">Role</th><th scope="col"><span className="visually-hidden">Status</span></th></tr>
              </thead>
              <tbody>
                {(users.data?.items ?? []).map((u) => <UserRow key={u.username} user={u} tiers={tierList} />)}
              </tbody>
            </table>
          </div>
          <h3>New user</h3>
          <NewUserForm tiers={tierList} />
        </section>
      </div>
    </main>
  );
}
