/** Users (administrators only): who may sign in, and who is an administrator. */
import { useCallback, useState } from 'react';
import { PageHeader } from '../components/layout';
import { ConfirmDelete, FormModal } from '../components/resource-form';
import { DataTable, type Column } from '../components/table';
import { Badge, Button, Card, Empty, Notice, RelativeTime } from '../components/ui';
import { del, getPage, post, put, type ListParams } from '../lib/api';
import { Link } from '../lib/router';
import { useSession } from '../lib/session';
import type { User } from '../lib/types';

export function UsersPage() {
  const { user: me } = useSession();
  const [version, setVersion] = useState(0);
  const [adding, setAdding] = useState(false);
  const [editing, setEditing] = useState<User | null>(null);
  const [deleting, setDeleting] = useState<User | null>(null);
  const bump = () => setVersion((v) => v + 1);
  const load = useCallback((p: ListParams, s: AbortSignal) => getPage<User>('/users', 'users', p, s), []);

  if (!me?.is_admin) return <><PageHeader title="Users" /><Notice tone="warning">Only administrators manage users.</Notice></>;

  const columns: Array<Column<User>> = [
    { key: 'username', label: 'Username', sortKey: 'username', render: (u) => (
      <span className="user-cell"><span className="avatar avatar-sm" aria-hidden>{u.username.slice(0, 1).toUpperCase()}</span><strong>{u.username}</strong>{u.id === me.id && <span className="muted">(you)</span>}</span>
    ) },
    { key: 'email', label: 'Email', sortKey: 'email', render: (u) => u.email ?? <span className="muted">—</span> },
    { key: 'role', label: 'Role', sortKey: 'is_admin', render: (u) => (u.is_admin ? <Badge tone="indigo">Administrator</Badge> : <Badge tone="gray">User</Badge>) },
    { key: 'groups', label: 'Groups', className: 'cell-wrap', render: (u) => (u.groups && u.groups.length > 0
      ? <span className="chips">{u.groups.map((g) => <span key={g} className="chip">{g}</span>)}</span>
      : <span className="muted">—</span>) },
    { key: 'created', label: 'Created', sortKey: 'created_at', render: (u) => <RelativeTime iso={u.created_at} /> },
    { key: 'x', label: '', align: 'right', render: (u) => (
      <span className="row-actions">
        <Button variant="ghost" onClick={() => setEditing(u)}>Edit</Button>
        <Button variant="ghost" className="text-red" disabled={u.id === me.id} onClick={() => setDeleting(u)}>Delete</Button>
      </span>
    ) },
  ];
  return (
    <>
      <PageHeader title="Users" subtitle={<>People and automations that sign in to Barge. Teams are managed on the <Link to="/groups">Groups</Link> page.</>}
        actions={<Button variant="primary" onClick={() => setAdding(true)}>+ Add user</Button>} />
      <Card>
        <DataTable label="users" columns={columns} load={load} rowKey={(u) => u.id} initialSort={{ key: 'username', dir: 'asc' }} filterKey={String(version)} empty={<Empty title="No users" />} />
      </Card>
      <FormModal title="Add a user" open={adding} onClose={() => setAdding(false)} submitLabel="Add user" errorPrefix="user."
        fields={[
          { key: 'username', label: 'Username' },
          { key: 'email', label: 'Email', omitEmpty: true },
          { key: 'password', label: 'Password', kind: 'password', hint: 'At least 8 characters.' },
          { key: 'is_admin', label: 'Administrator', kind: 'checkbox', hint: 'Manages users and storages, sees every task.' },
        ]}
        onSubmit={async (b) => { await post('/users', { user: b }); bump(); }} />
      <FormModal title={`Edit ${editing?.username ?? ''}`} open={editing !== null} onClose={() => setEditing(null)} submitLabel="Save" errorPrefix="user."
        initial={{ email: editing?.email ?? '', is_admin: editing?.is_admin ?? false }}
        fields={[
          { key: 'email', label: 'Email', omitEmpty: true },
          { key: 'password', label: 'New password', kind: 'password', omitEmpty: true, hint: 'Leave empty to keep the current password.' },
          { key: 'is_admin', label: 'Administrator', kind: 'checkbox' },
        ]}
        onSubmit={async (b) => { if (editing) await put(`/users/${encodeURIComponent(editing.id)}`, { user: b }); bump(); }} />
      <ConfirmDelete what={deleting?.username ?? ''} open={deleting !== null} onClose={() => setDeleting(null)} onConfirm={async () => { if (deleting) await del(`/users/${encodeURIComponent(deleting.id)}`); bump(); }}>
        <p>The user can no longer sign in; their API keys stop working.</p>
      </ConfirmDelete>
    </>
  );
}
