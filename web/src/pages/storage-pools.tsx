/** Pools: named groups of shares, buckets or tapes that a task can target instead of one storage. */
import { useCallback, useState } from 'react';
import { PageHeader } from '../components/layout';
import { ConfirmDelete, FormModal } from '../components/resource-form';
import { DataTable, type Column } from '../components/table';
import { RightBadge } from '../components/privileges-editor';
import { Button, Card, Empty, RelativeTime } from '../components/ui';
import { del, getPage, post, type ListParams } from '../lib/api';
import { humanize } from '../lib/format';
import { storageRoute } from '../lib/privileges';
import { Link, navigate } from '../lib/router';
import { useEnums } from '../lib/schema';
import { useSession } from '../lib/session';
import { useStorageIndex } from '../lib/storages';
import type { Pool } from '../lib/types';

export function PoolsPage() {
  const { user } = useSession();
  const admin = user?.is_admin === true;
  const enums = useEnums();
  const index = useStorageIndex();
  const [version, setVersion] = useState(0);
  const [adding, setAdding] = useState(false);
  const [deleting, setDeleting] = useState<Pool | null>(null);
  const bump = () => { setVersion((v) => v + 1); index.reload(); };
  const load = useCallback((p: ListParams, s: AbortSignal) => getPage<Pool>('/pools', 'pools', p, s), []);
  const members = (p: Pool) => (index.data?.shares.filter((s) => s.pool_id === p.id).length ?? 0) + (index.data?.buckets.filter((b) => b.pool_id === p.id).length ?? 0);

  const columns: Array<Column<Pool>> = [
    { key: 'name', label: 'Name', sortKey: 'name', render: (p) => <span className="cell-main"><Link to={storageRoute('pools', p.id)} className="strong-link">{p.name}</Link>{p.comment && <span className="cell-sub">{p.comment}</span>}</span> },
    { key: 'content', label: 'Content', sortKey: 'content', render: (p) => <span className="chip">{p.content === 'nas' ? 'NAS' : humanize(p.content)}</span> },
    { key: 'type', label: 'Role', sortKey: 'type', render: (p) => humanize(p.type) },
    { key: 'members', label: 'Members', align: 'right', render: (p) => String(members(p)) },
    { key: 'guest', label: 'Guest right', render: (p) => <RightBadge right={p.guest_right} /> },
    { key: 'created', label: 'Added', sortKey: 'created_at', render: (p) => <RelativeTime iso={p.created_at} /> },
    ...(admin ? [{ key: 'x', label: '', align: 'right' as const, render: (p: Pool) => <Button variant="ghost" className="text-red" onClick={() => setDeleting(p)}>Delete</Button> }] : []),
  ];
  return (
    <>
      <PageHeader title="Pools" subtitle="Groups of storages a task can target as one." actions={admin && <Button variant="primary" onClick={() => setAdding(true)}>+ Add pool</Button>} />
      <Card>
        <DataTable label="pools" columns={columns} load={load} rowKey={(p) => p.id} onRowClick={(p) => navigate(storageRoute('pools', p.id))} initialSort={{ key: 'name', dir: 'asc' }} filterKey={String(version)}
          empty={<Empty title="No pools">Pools are optional: tasks can point at one share or bucket directly.</Empty>} />
      </Card>
      <FormModal title="Add a pool" open={adding} onClose={() => setAdding(false)} submitLabel="Add pool" initial={{ type: 'primary', content: 'nas' }}
        fields={[
          { key: 'name', label: 'Name' },
          { key: 'content', label: 'Content', kind: 'select', choices: enums?.pool_content ?? ['nas', 'cloud', 'tape'] },
          { key: 'type', label: 'Role', kind: 'select', choices: enums?.pool_type ?? ['primary'] },
          { key: 'comment', label: 'Comment', omitEmpty: true },
        ]}
        onSubmit={async (b) => { await post('/pools', b); bump(); }} />
      <ConfirmDelete what={deleting?.name ?? ''} open={deleting !== null} onClose={() => setDeleting(null)} onConfirm={async () => { if (deleting) await del(`/pools/${encodeURIComponent(deleting.id)}`); bump(); }}>
        <p>A pool that still has members or is used by a task cannot be deleted.</p>
      </ConfirmDelete>
    </>
  );
}
