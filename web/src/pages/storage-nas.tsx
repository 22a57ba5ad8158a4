/**
 * NAS and their shares. A share is a directory Barge reads and writes (where it is mounted on the
 * movers); each row checks its mount live (GET /nas_shares/{id}/mount). Admins add and remove them.
 */
import { useCallback, useState } from 'react';
import { PageHeader } from '../components/layout';
import { ConfirmDelete, FormModal } from '../components/resource-form';
import { DataTable, type Column } from '../components/table';
import { MountBadge } from '../components/mount-badge';
import { RightBadge } from '../components/privileges-editor';
import { Button, Card, Empty, RelativeTime } from '../components/ui';
import { del, getPage, post, type ListParams } from '../lib/api';
import { humanize } from '../lib/format';
import { storageRoute } from '../lib/privileges';
import { Link, navigate } from '../lib/router';
import { useEnums } from '../lib/schema';
import { useSession } from '../lib/session';
import { useStorageIndex } from '../lib/storages';
import type { Nas, NasShare } from '../lib/types';
import { ApiError } from '../lib/errors';
import { ByteSizeError, parseByteSize } from '../../../src/lib/byte-size';

/** The quota field's text as bytes; an unreadable size is refused on that field, before anything is sent. */
function quotaBytes(text: string): number | null {
  try {
    return parseByteSize(text);
  } catch (err) {
    throw new ApiError(422, 'The share was not added', { quota_bytes: [err instanceof ByteSizeError ? err.message : String(err)] });
  }
}

const PROTOCOL: Record<string, string> = { local: 'Local', nfs_v3: 'NFS v3', nfs_v4: 'NFS v4', smb_v3: 'SMB 3' };
const protocol = (t: string) => PROTOCOL[t] ?? humanize(t);

export function NasPage() {
  const { user } = useSession();
  const admin = user?.is_admin === true;
  const enums = useEnums();
  const index = useStorageIndex();
  const [version, setVersion] = useState(0);
  const [dialog, setDialog] = useState<'nas' | 'share' | null>(null);
  const [deleting, setDeleting] = useState<{ kind: 'nas' | 'nas_shares'; id: string; name: string } | null>(null);
  const bump = () => { setVersion((v) => v + 1); index.reload(); };
  const nasName = new Map((index.data?.nas ?? []).map((n) => [n.id, n.name]));
  const poolName = new Map((index.data?.pools ?? []).map((p) => [p.id, p.name]));

  const loadNas = useCallback((p: ListParams, s: AbortSignal) => getPage<Nas>('/nas', 'nas', p, s), []);
  const loadShares = useCallback((p: ListParams, s: AbortSignal) => getPage<NasShare>('/nas_shares', 'nas_shares', p, s), []);

  const nasColumns: Array<Column<Nas>> = [
    { key: 'name', label: 'Name', sortKey: 'name', render: (n) => <span className="cell-main"><strong>{n.name}</strong>{n.comment && <span className="cell-sub">{n.comment}</span>}</span> },
    { key: 'type', label: 'Protocol', sortKey: 'type', render: (n) => <span className="chip">{protocol(n.type)}</span> },
    ...(admin ? [{ key: 'host', label: 'Host', sortKey: 'host', render: (n: Nas) => n.host ?? <span className="muted">this machine</span> }] : []),
    { key: 'shares', label: 'Shares', align: 'right', render: (n) => String((index.data?.shares ?? []).filter((s) => s.nas_id === n.id).length) },
    { key: 'created', label: 'Added', sortKey: 'created_at', render: (n) => <RelativeTime iso={n.created_at} /> },
    ...(admin ? [{ key: 'x', label: '', align: 'right' as const, render: (n: Nas) => <Button variant="ghost" className="text-red" onClick={() => setDeleting({ kind: 'nas', id: n.id, name: n.name })}>Delete</Button> }] : []),
  ];
  const shareColumns: Array<Column<NasShare>> = [
    { key: 'name', label: 'Share', sortKey: 'name', render: (s) => <Link to={storageRoute('nas_shares', s.id)} className="strong-link">{s.name}</Link> },
    { key: 'nas', label: 'NAS', sortKey: 'nas_id', render: (s) => nasName.get(s.nas_id) ?? '—' },
    // A share's path is the admins' business: the API leaves it out for others.
    ...(admin ? [{ key: 'path', label: 'Mount path', sortKey: 'path', className: 'mono', render: (s: NasShare) => s.path ?? '' }] : []),
    { key: 'pool', label: 'Pool', render: (s) => (s.pool_id ? poolName.get(s.pool_id) ?? '—' : <span className="muted">—</span>) },
    { key: 'mount', label: 'Status', render: (s) => <MountBadge shareId={s.id} /> },
    { key: 'guest', label: 'Guest right', render: (s) => <RightBadge right={s.guest_right} /> },
    ...(admin ? [{ key: 'x', label: '', align: 'right' as const, render: (s: NasShare) => <Button variant="ghost" className="text-red" onClick={() => setDeleting({ kind: 'nas_shares', id: s.id, name: s.name })}>Delete</Button> }] : []),
  ];

  return (
    <>
      <PageHeader
        title="NAS & shares"
        subtitle="File storages Barge reads from and writes to."
        actions={admin && <><Button onClick={() => setDialog('nas')}>+ Add NAS</Button><Button variant="primary" onClick={() => setDialog('share')} disabled={(index.data?.nas.length ?? 0) === 0}>+ Add share</Button></>}
      />
      <Card title="Shares">
        <DataTable label="shares" columns={shareColumns} load={loadShares} rowKey={(s) => s.id} onRowClick={(s) => navigate(storageRoute('nas_shares', s.id))} initialSort={{ key: 'name', dir: 'asc' }} filterKey={String(version)}
          empty={<Empty title="No shares">{admin ? 'Add a NAS, then a share: a directory on it.' : 'An administrator adds shares.'}</Empty>} />
      </Card>
      <Card title="NAS">
        <DataTable label="NAS" columns={nasColumns} load={loadNas} rowKey={(n) => n.id} initialSort={{ key: 'name', dir: 'asc' }} filterKey={String(version)} pageSize={10}
          empty={<Empty title="No NAS yet" action={admin && <Button variant="primary" onClick={() => setDialog('nas')}>Add a NAS</Button>} />} />
      </Card>
      <FormModal title="Add a NAS" open={dialog === 'nas'} onClose={() => setDialog(null)} submitLabel="Add NAS" initial={{ type: 'local' }}
        fields={[
          { key: 'name', label: 'Name', placeholder: 'e.g. filer-01' },
          { key: 'type', label: 'Protocol', kind: 'select', choices: (enums?.nas_type ?? ['local']).map((value) => ({ value, label: protocol(value) })) },
          { key: 'host', label: 'Host', omitEmpty: true, hint: 'Empty for storage mounted on this machine.' },
          { key: 'comment', label: 'Comment', omitEmpty: true },
        ]}
        onSubmit={async (b) => { await post('/nas', b); bump(); }} />
      <FormModal title="Add a share" open={dialog === 'share'} onClose={() => setDialog(null)} submitLabel="Add share" initial={{ nas_id: index.data?.nas[0]?.id ?? '' }}
        fields={[
          { key: 'nas_id', label: 'NAS', kind: 'select', choices: (index.data?.nas ?? []).map((n) => ({ value: n.id, label: n.name })) },
          { key: 'name', label: 'Name', placeholder: 'e.g. projects' },
          { key: 'path', label: 'Mount path', placeholder: '/mnt/filer-01/projects', hint: 'Absolute path where the movers see this share.' },
          { key: 'pool_id', label: 'Pool', kind: 'select', omitEmpty: true, choices: (index.data?.pools ?? []).filter((p) => p.content === 'nas').map((p) => ({ value: p.id, label: p.name })) },
          { key: 'quota_bytes', label: 'Quota', omitEmpty: true, placeholder: 'e.g. 500G', hint: 'Optional: what cache_cleaning keeps the share under (files safe on tape are evicted).' },
        ]}
        onSubmit={async ({ nas_id, quota_bytes, ...b }) => {
          await post(`/nas/${encodeURIComponent(String(nas_id))}/nas_shares`, { ...b, ...(quota_bytes !== undefined ? { quota_bytes: quotaBytes(String(quota_bytes)) } : {}) });
          bump();
        }} />
      <ConfirmDelete what={deleting?.name ?? ''} open={deleting !== null} onClose={() => setDeleting(null)}
        onConfirm={async () => { if (deleting) await del(`/${deleting.kind}/${encodeURIComponent(deleting.id)}`); bump(); }}>
        <p>{deleting?.kind === 'nas' ? 'The NAS is removed from Barge (its shares must be removed first).' : 'The share is removed from Barge; its files are not touched.'} A storage used by a task cannot be deleted.</p>
      </ConfirmDelete>
    </>
  );
}
