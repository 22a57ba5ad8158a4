/**
 * Tape (administrators only, like Movers: libraries and drives are hardware): each library with its
 * drives — what each is doing: idle, holding a cartridge, or serving an execution — and its
 * cartridges with how full each is, where it is (slot, drive, mailslot, out of the library) and its
 * flags. A cartridge in a slot can be ejected: the robot takes it to a mailslot and it leaves the
 * library (`POST /tape_libraries/{id}/eject`). Format runs the `format` workflow action on it
 * through a one-off task (components/tape-format-dialog.tsx). Refreshed every few seconds, as drives
 * change while archives and restores run.
 */
import { useCallback, useEffect, useState } from 'react';
import { PageHeader } from '../components/layout';
import { DataTable, type Column } from '../components/table';
import { Badge, Button, Card, Empty, ErrorBanner, Facts, Loading, Modal, Notice, ProgressBar, Tabs, type Tone } from '../components/ui';
import { get, getPage, post, type ListParams } from '../lib/api';
import { ApiError } from '../lib/errors';
import { formatBytes, formatCount, formatRate } from '../lib/format';
import { useAsync, useInterval } from '../lib/hooks';
import { Link } from '../lib/router';
import { useSession } from '../lib/session';
import { FormatDialog, formatBlocker } from '../components/tape-format-dialog';
import type { Tape, TapeDrive, TapeLibrary } from '../lib/tape-types';

/** How often drives and cartridges are reloaded while the page is open. */
export const TAPE_REFRESH_MS = 3000;

const plural = (n: number, what: string): string => `${n} ${what}${n === 1 ? '' : 's'}`;

/** `Slot 3`, `Drive 0`, `Mailslot 0`, `Offline`. */
export function tapePlace(t: Pick<Tape, 'location' | 'location_index'>): string {
  const name = t.location.charAt(0).toUpperCase() + t.location.slice(1);
  return t.location === 'offline' || t.location_index === null ? name : `${name} ${t.location_index}`;
}

/** How full a cartridge is: a bar and `used of max · n%`. */
export function FillBar({ tape }: { tape: Pick<Tape, 'barcode' | 'used' | 'max'> }) {
  const percent = tape.max > 0 ? (100 * tape.used) / tape.max : 0;
  const tone: Tone = percent >= 90 ? 'red' : percent >= 75 ? 'amber' : 'blue';
  return (
    <div className="tape-fill" data-fill={Math.round(percent)}>
      <ProgressBar percent={percent} tone={tone} label={`${tape.barcode} used`} />
      <span className="muted">{formatBytes(tape.used)} of {formatBytes(tape.max)} · {Math.round(percent)}%</span>
    </div>
  );
}

const FLAGS: Array<{ key: 'locked' | 'write_protect' | 'scratch' | 'ejected' | 'cleaning'; label: string; title: string }> = [
  { key: 'locked', label: 'Locked', title: 'Barge does not choose it for writing' },
  { key: 'write_protect', label: 'Write protected', title: 'Its write-protect tab is set: it is never written' },
  { key: 'scratch', label: 'Scratch', title: 'Blank: nothing written since it was formatted' },
  { key: 'ejected', label: 'Ejected', title: 'Out of the library: it cannot be loaded' },
  { key: 'cleaning', label: 'Cleaning', title: 'A cleaning cartridge' },
];

export function TapeFlags({ tape }: { tape: Tape }) {
  const on = FLAGS.filter((f) => tape[f.key]);
  if (on.length === 0) return <span className="muted">–</span>;
  return <span className="chips">{on.map((f) => <span key={f.key} className="chip" title={f.title} data-flag={f.key}>{f.label}</span>)}</span>;
}

/** What a drive is doing: offline, serving an execution, holding a cartridge, or idle. */
export function driveActivity(d: TapeDrive): { state: string; tone: Tone; label: string } {
  if (d.status === 'offline') return { state: 'offline', tone: 'gray', label: 'Offline' };
  if (d.execution_id) return { state: 'in_use', tone: 'blue', label: 'In use' };
  if (d.barcode) return { state: 'loaded', tone: 'amber', label: 'Loaded' };
  return { state: 'idle', tone: 'green', label: 'Idle' };
}

function Drives({ lib }: { lib: TapeLibrary }) {
  const drives = useAsync((s) => get<{ tape_drives: TapeDrive[] }>(`/tape_libraries/${encodeURIComponent(lib.id)}/tape_drives?sort_by=index&limit=1000`, s), [lib.id]);
  useInterval(drives.reload, TAPE_REFRESH_MS, true);
  const list = drives.data?.tape_drives;
  return (
    <Card title="Drives">
      <ErrorBanner error={drives.error} title="Could not load the drives" />
      {!list ? <Loading /> : (
        <div className="table-wrap"><div className="table-scroll"><table className="table" aria-label="drives">
          <thead><tr><th>Drive</th><th>Activity</th><th>Cartridge</th><th>Task</th><th>Execution</th><th className="num">Mounts</th><th className="num">Bandwidth</th></tr></thead>
          <tbody>
            {list.map((d) => {
              const a = driveActivity(d);
              return (
                <tr key={d.id} data-drive={d.index}>
                  <td><strong>{d.name}</strong> <span className="muted mono">{d.serial}</span></td>
                  <td><span data-drive-state={a.state}><Badge tone={a.tone}>{a.label}</Badge></span></td>
                  <td className="mono">{d.barcode ?? <span className="muted">Empty</span>}</td>
                  <td>{d.task_id ? <Link to={`/tasks/${d.task_id}`}>{d.task_id.slice(0, 8)}</Link> : <span className="muted">–</span>}</td>
                  <td>{d.execution_id ? <Link to={`/executions/${d.execution_id}`}>{d.execution_id.slice(0, 8)}</Link> : <span className="muted">–</span>}</td>
                  <td className="num">{formatCount(d.mount_count)}</td>
                  <td className="num">{formatRate(d.bandwidth)}</td>
                </tr>
              );
            })}
          </tbody>
        </table></div></div>
      )}
    </Card>
  );
}

function EjectDialog({ lib, tape, onClose, onDone }: { lib: TapeLibrary; tape: Tape | null; onClose: () => void; onDone: () => void }) {
  const [error, setError] = useState<ApiError>();
  const [busy, setBusy] = useState(false);
  useEffect(() => setError(undefined), [tape]);
  async function go() {
    if (!tape) return;
    setBusy(true);
    try {
      await post(`/tape_libraries/${encodeURIComponent(lib.id)}/eject`, { barcodes: [tape.barcode] });
      onDone();
      onClose();
    } catch (err) {
      setError(err instanceof ApiError ? err : new ApiError(0, String(err)));
    } finally {
      setBusy(false);
    }
  }
  return (
    <Modal title={`Eject ${tape?.barcode ?? ''}?`} open={tape !== null} onClose={onClose}
      footer={<><Button onClick={onClose}>Cancel</Button><Button variant="danger" busy={busy} onClick={go}>Eject</Button></>}>
      <ErrorBanner error={error} title="Not ejected" />
      <p>The robot takes the cartridge to a mailslot and it leaves the library: Barge will not load or write it until it is imported again.</p>
    </Modal>
  );
}

function Cartridges({ lib }: { lib: TapeLibrary }) {
  const [ejecting, setEjecting] = useState<Tape | null>(null);
  const [formatting, setFormatting] = useState<Tape | null>(null);
  const [version, setVersion] = useState(0);
  const load = useCallback((p: ListParams, s: AbortSignal) => getPage<Tape>(`/tape_libraries/${encodeURIComponent(lib.id)}/tapes`, 'tapes', p, s), [lib.id]);
  const columns: Array<Column<Tape>> = [
    { key: 'barcode', label: 'Barcode', sortKey: 'barcode', render: (t) => <strong className="mono">{t.barcode}</strong> },
    { key: 'location', label: 'Location', sortKey: 'location', render: (t) => <span data-location={t.location}>{tapePlace(t)}</span> },
    { key: 'fill', label: 'Used', sortKey: 'used', className: 'cell-wide', render: (t) => <FillBar tape={t} /> },
    { key: 'pool', label: 'Pool', render: (t) => (t.pool_id ? <Link to={`/storages/pools/${t.pool_id}`}>{t.pool_id.slice(0, 8)}</Link> : <span className="muted">–</span>) },
    { key: 'sessions', label: 'Sessions', sortKey: 'sessions', align: 'right', render: (t) => formatCount(t.sessions) },
    { key: 'flags', label: 'Flags', className: 'cell-wrap', render: (t) => <TapeFlags tape={t} /> },
    {
      key: 'actions', label: '', align: 'right', render: (t) => {
        const why = t.location === 'offline' ? 'Already out of the library' : t.location === 'drive' ? 'In a drive: it returns to its slot when the drive is released' : undefined;
        const noFormat = formatBlocker(t);
        return (
          <span className="row-actions">
            <Button variant="ghost" disabled={noFormat !== undefined} title={noFormat ?? 'Erase it to a blank cartridge'} aria-label={`Format ${t.barcode}`} onClick={() => setFormatting(t)}>Format</Button>
            <Button variant="ghost" disabled={why !== undefined} title={why ?? 'Take it out of the library'} aria-label={`Eject ${t.barcode}`} onClick={() => setEjecting(t)}>Eject</Button>
          </span>
        );
      },
    },
  ];
  return (
    <Card title="Cartridges">
      <DataTable label="cartridges" columns={columns} load={load} rowKey={(t) => t.id} initialSort={{ key: 'barcode', dir: 'asc' }} refreshMs={TAPE_REFRESH_MS} filterKey={`${lib.id}:${version}`}
        empty={<Empty title="No cartridges">This library was created without tapes.</Empty>} />
      <EjectDialog lib={lib} tape={ejecting} onClose={() => setEjecting(null)} onDone={() => setVersion((v) => v + 1)} />
      <FormatDialog tape={formatting} onClose={() => setFormatting(null)} />
    </Card>
  );
}

function Library({ lib }: { lib: TapeLibrary }) {
  return (
    <>
      <Card title={lib.name} actions={<Badge tone={lib.status === 'online' ? 'green' : 'gray'}>{lib.status === 'online' ? 'Online' : 'Offline'}</Badge>}>
        <Facts items={[
          ['Product', lib.product],
          ['Cartridges', `${lib.tape_type.replace('data_', '').toUpperCase()}, ${formatBytes(lib.capacity_bytes)} each`],
          ['Elements', [plural(lib.slots, 'slot'), plural(lib.drives, 'drive'), plural(lib.mailslots, 'mailslot')].join(' · ')],
          ['Mechanics', `${lib.load_seconds} s per robot move · seek ${lib.seek_mb_per_second > 0 ? `${lib.seek_mb_per_second} MB/s` : 'free'}`],
          ['Path', <span className="mono">{lib.path}</span>],
        ]} />
      </Card>
      <Drives lib={lib} />
      <Cartridges lib={lib} />
    </>
  );
}

function Libraries() {
  const libs = useAsync((s) => get<{ tape_libraries: TapeLibrary[] }>('/tape_libraries?sort_by=name&limit=1000', s), []);
  const [selected, setSelected] = useState<string>('');
  const list = libs.data?.tape_libraries;
  if (libs.error) return <ErrorBanner error={libs.error} title="Could not load the tape libraries" />;
  if (!list) return <Loading />;
  if (list.length === 0) {
    return <Card><Empty title="No tape libraries">Create a virtual library with <code>barge tape library create</code> or <code>POST /tape_libraries</code>; its cartridges are files under one of BARGE_TAPE_ROOTS.</Empty></Card>;
  }
  const lib = list.find((l) => l.id === selected) ?? (list[0] as TapeLibrary);
  return (
    <>
      {list.length > 1 && <Tabs tabs={list.map((l) => ({ key: l.id, label: l.name }))} value={lib.id} onChange={setSelected} />}
      <Library key={lib.id} lib={lib} />
    </>
  );
}

export function TapePage() {
  const { user: me } = useSession();
  if (!me?.is_admin) return <><PageHeader title="Tape" /><Notice tone="warning">Only administrators see the tape libraries.</Notice></>;
  return (
    <>
      <PageHeader title="Tape" subtitle="Tape libraries: what each drive is doing, and every cartridge with its fill, place and flags. Archives write cartridges of tape pools; ejected cartridges are out of the library." />
      <Libraries />
    </>
  );
}
