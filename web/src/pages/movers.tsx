/**
 * Movers (administrators only): the processes that move the files — the one inside `npm start` and
 * every `barge mover` on other hosts — with their state, what they reach and what they moved, so an
 * operator sees at a glance whether a run waits because no mover reaches its storages or one died.
 * Refreshed every few seconds, as movers report on a one-second heartbeat.
 */
import { useCallback } from 'react';
import { PageHeader } from '../components/layout';
import { DataTable, type Column } from '../components/table';
import { Badge, Card, Empty, Notice, RelativeTime, type Tone } from '../components/ui';
import { getPage, type ListParams } from '../lib/api';
import { formatBytes, formatCount, formatRate } from '../lib/format';
import { useSession } from '../lib/session';
import type { Mover, MoverState } from '../lib/types';

/** How often the page reloads the list: movers beat every second, a few seconds is fresh enough. */
export const MOVERS_REFRESH_MS = 3000;

const STATE: Record<MoverState, { tone: Tone; label: string; title: string }> = {
  online: { tone: 'green', label: 'Online', title: 'Heard of within 15 s; takes batches' },
  draining: { tone: 'amber', label: 'Draining', title: 'Stopping: finishes the files in flight, takes no new batch' },
  offline: { tone: 'gray', label: 'Offline', title: 'Stopped, or silent for more than 15 s (killed, host down)' },
};

export function MoverStateBadge({ state }: { state: string }) {
  const s = STATE[state as MoverState] ?? { tone: 'gray' as Tone, label: state, title: state };
  return <span data-mover-state={state}><Badge tone={s.tone} title={s.title}>{s.label}</Badge></span>;
}

function Storages({ storages }: { storages: Mover['storages'] }) {
  if (storages === '*') return <span className="muted" title="Every share and bucket whose path exists on its host">All storages</span>;
  if (storages.length === 0) return <span className="muted">None</span>;
  return <span className="chips">{storages.map((s) => <span key={s} className="chip">{s}</span>)}</span>;
}

export function MoversPage() {
  const { user: me } = useSession();
  const load = useCallback((p: ListParams, s: AbortSignal) => getPage<Mover>('/movers', 'movers', p, s), []);

  if (!me?.is_admin) return <><PageHeader title="Movers" /><Notice tone="warning">Only administrators see the movers.</Notice></>;

  const columns: Array<Column<Mover>> = [
    { key: 'name', label: 'Name', sortKey: 'name', render: (m) => <strong>{m.name}</strong> },
    { key: 'state', label: 'State', sortKey: 'state', render: (m) => <MoverStateBadge state={m.state} /> },
    { key: 'host', label: 'Host', sortKey: 'host', render: (m) => <span className="mono">{m.host}:{m.pid}</span> },
    { key: 'slots', label: 'Slots', align: 'right', render: (m) => String(m.slots) },
    { key: 'storages', label: 'Reaches', className: 'cell-wrap', render: (m) => <Storages storages={m.storages} /> },
    { key: 'bandwidth', label: 'Bandwidth', sortKey: 'bandwidth', align: 'right', render: (m) => formatRate(m.bandwidth) },
    { key: 'files', label: 'Files', sortKey: 'files_done', align: 'right', render: (m) => formatCount(m.files_done) },
    { key: 'bytes', label: 'Moved', sortKey: 'bytes_done', align: 'right', render: (m) => formatBytes(m.bytes_done) },
    { key: 'heard', label: 'Last heartbeat', sortKey: 'last_heartbeat_at', render: (m) => <RelativeTime iso={m.last_heartbeat_at} /> },
  ];
  return (
    <>
      <PageHeader title="Movers" subtitle="The processes that move files: the one inside the server and every barge mover on other hosts. A mover silent for 15 seconds is offline." />
      <Card>
        <DataTable label="movers" columns={columns} load={load} rowKey={(m) => m.name} initialSort={{ key: 'name', dir: 'asc' }} refreshMs={MOVERS_REFRESH_MS}
          empty={<Empty title="No movers yet">A mover appears here once it starts: the server's own engine (BARGE_ENGINE=on) or <code>barge mover</code> on a host that reaches your storages.</Empty>} />
      </Card>
    </>
  );
}
