/**
 * Groups of users (administrators only): what storage privileges name when a right belongs to a team
 * rather than to one person. Members are picked from the users; saving a group replaces its members.
 */
import { useCallback, useState } from 'react';
import { PageHeader } from '../components/layout';
import { ConfirmDelete, FormModal, type FieldSpec } from '../components/resource-form';
import { DataTable, type Column } from '../components/table';
import { Button, Card, Empty, Notice, RelativeTime } from '../components/ui';
import { del, get, getPage, post, put, type ListParams } from '../lib/api';
import { useAsync } from '../lib/hooks';
import { Link } from '../lib/router';
import { useSession } from '../lib/session';
import type { Group, User } from '../lib/types';

const SHOWN_MEMBERS = 6;

function Members({ users }: { users: string[] }) {
  if (users.length === 0) return <span className="muted">No members</span>;
  const rest = users.length - SHOWN_MEMBERS;
  return (
    <span className="chips">
      {users.slice(0, SHOWN_MEMBERS).map((u) => <span key={u} className="chip">{u}</span>)}
      {rest > 0 && <span className="muted" title={users.slice(SHOWN_MEMBERS).join(', ')}>+{rest} more</span>}
    </span>
  );
}

export function GroupsPage() {
  const { user: me } = useSession();
  const [version, setVersion] = useState(0);
  const [adding, setAdding] = useState(false);
  const [editing, setEditing] = useState<Group | null>(null);
  const [deleting, setDeleting] = useState<Group | null>(null);
  const bump = () => setVersion((v) => v + 1);
  const load = useCallback((p: ListParams, s: AbortSignal) => getPage<Group>('/groups', 'groups', p, s), []);
  const admin = me?.is_admin === true;
  const users = useAsync((signal) => (admin ? get<{ users: User[] }>('/users?limit=1000&sort_by=username:asc', signal).then((r) => r.users.map((u) => u.username)) : Promise.resolve([])), [admin]);

  if (!admin) return <><PageHeader title="Groups" /><Notice tone="warning">Only administrators manage groups.</Notice></>;

  const memberField = (extra: string[] = []): FieldSpec => ({
    key: 'users', label: 'Members', kind: 'checklist',
    // A member the user list has not loaded yet (or over its 1000) stays choosable.
    choices: [...new Set([...(users.data ?? []), ...extra])].sort().map((u) => ({ value: u, label: u })),
    hint: 'Saving replaces the members with the ones ticked here.',
  });
  const columns: Array<Column<Group>> = [
    { key: 'name', label: 'Name', sortKey: 'name', render: (g) => <span className="cell-main"><strong>{g.name}</strong>{g.comment && <span className="cell-sub">{g.comment}</span>}</span> },
    { key: 'members', label: 'Members', render: (g) => <Members users={g.users} />, className: 'cell-wrap' },
    { key: 'count', label: 'Size', align: 'right', render: (g) => String(g.users.length) },
    { key: 'created', label: 'Created', sortKey: 'created_at', render: (g) => <RelativeTime iso={g.created_at} /> },
    { key: 'x', label: '', align: 'right', render: (g) => (
      <span className="row-actions">
        <Button variant="ghost" onClick={() => setEditing(g)} aria-label={`Edit ${g.name}`}>Edit</Button>
        <Button variant="ghost" className="text-red" onClick={() => setDeleting(g)} aria-label={`Delete ${g.name}`}>Delete</Button>
      </span>
    ) },
  ];
  return (
    <>
      <PageHeader title="Groups" subtitle={<>Teams that storage privileges can name. Each user’s groups also show on the <Link to="/users">Users</Link> page.</>}
        actions={<Button variant="primary" onClick={() => setAdding(true)}>+ Add group</Button>} />
      <Card>
        <DataTable label="groups" columns={columns} load={load} rowKey={(g) => g.id} initialSort={{ key: 'name', dir: 'asc' }} filterKey={String(version)}
          empty={<Empty title="No groups" action={<Button variant="primary" onClick={() => setAdding(true)}>Add a group</Button>}>A group gathers users so that a storage privilege can name them all.</Empty>} />
      </Card>
      <FormModal title="Add a group" open={adding} onClose={() => setAdding(false)} submitLabel="Add group" errorPrefix="group." initial={{ users: [] }}
        fields={[
          { key: 'name', label: 'Name', placeholder: 'e.g. post-production' },
          { key: 'comment', label: 'Comment', omitEmpty: true },
          memberField(),
        ]}
        onSubmit={async (b) => { await post('/groups', { group: b }); bump(); }} />
      <FormModal title={`Edit ${editing?.name ?? ''}`} open={editing !== null} onClose={() => setEditing(null)} submitLabel="Save" errorPrefix="group."
        initial={{ name: editing?.name ?? '', comment: editing?.comment ?? '', users: editing?.users ?? [] }}
        fields={[
          { key: 'name', label: 'Name' },
          { key: 'comment', label: 'Comment' },
          memberField(editing?.users),
        ]}
        onSubmit={async (b) => { if (editing) await put(`/groups/${encodeURIComponent(editing.id)}`, { group: b }); bump(); }} />
      <ConfirmDelete what={deleting?.name ?? ''} open={deleting !== null} onClose={() => setDeleting(null)} onConfirm={async () => { if (deleting) await del(`/groups/${encodeURIComponent(deleting.id)}`); bump(); }}>
        <p>The group’s members stay; the privileges that name the group are removed with it.</p>
      </ConfirmDelete>
    </>
  );
}
