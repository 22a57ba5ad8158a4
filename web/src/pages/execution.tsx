/**
 * The live view of one execution: status, progress by size and by files, bandwidth chart, ETA, the
 * task's controls, the file ledger (failures always; every file with `full_report`) and the other
 * executions of the same task.
 */
import { useCallback, useState, type ReactNode } from 'react';
import { BandwidthChart } from '../components/bandwidth-chart';
import { ExecutionsTable } from '../components/executions-table';
import { PageHeader } from '../components/layout';
import { DataTable, type Column } from '../components/table';
import { TaskActions } from '../components/task-actions';
import { Advanced, Badge, Card, Empty, ErrorBanner, Loading, ProgressBar, RelativeTime, StatusBadge, Tabs } from '../components/ui';
import { getPage, type ListParams } from '../lib/api';
import { isActive } from '../lib/actions';
import { formatBytes, formatCount, formatDuration, formatRate, humanize, percentDone } from '../lib/format';
import { Link } from '../lib/router';
import { useLiveExecution } from '../lib/use-execution';
import type { Execution, LedgerFile } from '../lib/types';

function Stat({ label, value, sub }: { label: string; value: ReactNode; sub?: ReactNode }) {
  return (
    <div className="stat">
      <div className="stat-label">{label}</div>
      <div className="stat-value">{value}</div>
      {sub && <div className="stat-sub">{sub}</div>}
    </div>
  );
}

function elapsed(e: Execution): number | null {
  if (!e.started_at) return null;
  return ((e.finished_at ? Date.parse(e.finished_at) : Date.now()) - Date.parse(e.started_at)) / 1000;
}

function tone(status: string) {
  return status === 'error' || status === 'stopped_by_system' ? 'red' : status === 'done' ? 'green' : status === 'paused' || status === 'finished_with_warnings' ? 'amber' : 'blue';
}

type LedgerTab = 'failed' | 'all';

function Ledger({ executionId, reloadKey }: { executionId: string; reloadKey: string }) {
  const [tab, setTab] = useState<LedgerTab>('failed');
  const load = useCallback(
    (p: ListParams, signal: AbortSignal) => getPage<LedgerFile>(`/task_executions/${encodeURIComponent(executionId)}/files`, 'files', { ...p, filters: { status: tab === 'failed' ? 'failed' : undefined } }, signal),
    [executionId, tab],
  );
  const columns: Array<Column<LedgerFile>> = [
    { key: 'src', label: 'Source path', sortKey: 'src_path', className: 'mono cell-path', render: (f) => f.src_path },
    { key: 'dst', label: 'Destination path', sortKey: 'dst_path', className: 'mono cell-path', render: (f) => f.dst_path ?? <span className="muted">—</span> },
    { key: 'size', label: 'Size', sortKey: 'size', align: 'right', render: (f) => formatBytes(f.size) },
    { key: 'status', label: 'Status', sortKey: 'status', render: (f) => <StatusBadge status={f.status} /> },
    { key: 'error', label: tab === 'failed' ? 'Error' : 'Detail', render: (f) => (f.error ? <span className="cell-main"><span className="text-red">{f.error}</span>{f.error_class && <span className="cell-sub">{humanize(f.error_class)} · {f.attempts} attempt{f.attempts === 1 ? '' : 's'}</span>}</span> : f.checksum ? <span className="mono muted" title="Checksum">{f.checksum}</span> : <span className="muted">—</span>) },
  ];
  return (
    <>
      <Tabs<LedgerTab> tabs={[{ key: 'failed', label: 'Failed files' }, { key: 'all', label: 'All files' }]} value={tab} onChange={setTab} />
      <DataTable
        label="files"
        columns={columns}
        load={load}
        rowKey={(f) => f.item_key}
        initialSort={{ key: 'src_path', dir: 'asc' }}
        filterKey={tab + reloadKey}
        empty={tab === 'failed' ? <Empty title="No failed files">Every file processed so far succeeded.</Empty> : <Empty title="No files in the ledger">The ledger keeps every file only when the task's <strong>Full report</strong> option is on; failures are always kept.</Empty>}
      />
    </>
  );
}

export function ExecutionPage({ id }: { id: string }) {
  const { execution: e, error, samples, failures, live, endCount, refresh } = useLiveExecution(id);
  if (!e) return error ? <><PageHeader title="Execution" crumbs={[{ to: '/executions', label: 'Activity' }]} /><ErrorBanner error={error} title="Could not load the execution" /></> : <Loading />;

  const pct = e.status === 'done' ? 100 : percentDone(e);
  const secs = elapsed(e);
  const average = secs && secs > 0 ? e.size_done / secs : 0;
  const active = isActive(e.status);
  const taskName = e.task?.name ?? 'Task';
  return (
    <>
      <PageHeader
        crumbs={[{ to: '/tasks', label: 'Tasks' }, { to: `/tasks/${e.task_id}`, label: taskName }]}
        title={<>Execution <span className="title-id">{e.id.slice(0, 8)}</span> <StatusBadge status={e.status} /> {live && <Badge tone="green" title="Updates stream from the server">Live</Badge>}</>}
        subtitle={<>{e.task ? <Link to={`/tasks/${e.task_id}`}>{e.task.name}</Link> : null}{e.task ? ` · ${humanize(e.task.workflow_action)}` : ''} · started <RelativeTime iso={e.started_at ?? e.created_at} />{e.finished_at && <> · finished <RelativeTime iso={e.finished_at} /></>}</>}
      />
      {e.error && <div className="alert alert-error" role="alert"><div><strong>The execution reported an error</strong><p>{e.error}</p></div></div>}
      <Card className="live-card">
        <div className="live-head">
          <div className="live-pct" data-testid="percent">{pct.toFixed(pct % 1 ? 1 : 0)}%</div>
          <div className="live-bytes">{formatBytes(e.size_done)} <span className="muted">of {formatBytes(e.size_todo)}</span></div>
          <div className="live-controls"><TaskActions taskId={e.task_id} status={e.status} onDone={refresh} followRun /></div>
        </div>
        <ProgressBar percent={pct} tone={tone(e.status)} label="Execution progress" />
        <div className="stats">
          <Stat label="Files" value={<span data-testid="files">{formatCount(e.nodes_done)} / {formatCount(e.nodes_todo)}</span>} sub={e.status === 'calculating' ? 'still counting…' : undefined} />
          <Stat label="Failed" value={<span className={e.files_failed > 0 ? 'text-red' : ''}>{formatCount(e.files_failed)}</span>} />
          <Stat label="Bandwidth" value={active ? formatRate(e.bandwidth) : '—'} sub={`average ${formatRate(average)}`} />
          <Stat label="Time left" value={active && e.status !== 'paused' ? formatDuration(e.eta_seconds) : '—'} sub={e.status === 'paused' ? 'paused' : undefined} />
          <Stat label="Elapsed" value={formatDuration(secs)} />
        </div>
      </Card>
      <div className="grid-2 grid-wide-left">
        <Card title="Bandwidth">
          <BandwidthChart samples={samples} />
        </Card>
        <Card title="Live failures">
          {failures.length === 0 ? <p className="muted pad">{active ? 'No failure so far.' : 'No failure reported while this page was open.'}</p> : (
            <ul className="failure-list">
              {failures.slice(-8).reverse().map((f) => <li key={f.src_path}><span className="mono">{f.src_path}</span><span className="text-red">{f.error}</span></li>)}
            </ul>
          )}
        </Card>
      </div>
      {(e.log?.length ?? 0) > 0 && (
        <Card title="Engine notes">
          <ul className="plain-list" aria-label="engine notes">{e.log!.map((line, i) => <li key={i}>{line}</li>)}</ul>
        </Card>
      )}
      <Card title="File ledger">
        <Ledger executionId={e.id} reloadKey={`${endCount}|${e.files_failed}`} />
      </Card>
      <Card title="Executions of this task">
        <ExecutionsTable taskId={e.task_id} refreshKey={`${endCount}|${e.status}`} pageSize={5} live={e} />
      </Card>
      <Advanced value={e} label="Advanced: the execution as the API returns it" />
    </>
  );
}
