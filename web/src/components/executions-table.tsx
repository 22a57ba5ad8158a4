/**
 * A list of executions (one task's history, or everybody's activity) with status, progress and
 * volumes; each row opens the live view.
 */
import { useCallback } from 'react';
import { getPage, type ListParams } from '../lib/api';
import { formatBytes, formatCount, formatDuration, humanize, percentDone } from '../lib/format';
import { Link, navigate } from '../lib/router';
import type { Execution } from '../lib/types';
import { DataTable, type Column } from './table';
import { Badge, Empty, ProgressBar, RelativeTime, StatusBadge } from './ui';

function duration(e: Execution): string {
  if (!e.started_at) return '—';
  const end = e.finished_at ? Date.parse(e.finished_at) : Date.now();
  return formatDuration((end - Date.parse(e.started_at)) / 1000);
}

export function ExecutionsTable({ taskId, showTask = false, filters, refreshKey = '', pageSize = 10, live }: { taskId?: string; showTask?: boolean; filters?: Record<string, string | undefined>; refreshKey?: string; pageSize?: number; live?: Execution }) {
  const path = taskId ? `/tasks/${encodeURIComponent(taskId)}/task_executions` : '/task_executions';
  const load = useCallback((p: ListParams, signal: AbortSignal) => getPage<Execution>(path, 'task_executions', { ...p, filters }, signal), [path, JSON.stringify(filters)]);
  const columns: Array<Column<Execution>> = [
    { key: 'started', label: 'Started', sortKey: 'created_at', render: (e) => <Link to={`/executions/${e.id}`} className="strong-link"><RelativeTime iso={e.started_at ?? e.created_at} /></Link> },
    ...(showTask ? [{ key: 'task', label: 'Task', render: (e: Execution) => (e.task ? <span className="cell-main"><Link to={`/tasks/${e.task_id}`}>{e.task.name}</Link><span className="cell-sub">{humanize(e.task.workflow_action)}</span></span> : '—') }] : []),
    { key: 'status', label: 'Status', sortKey: 'status', render: (e) => <>{<StatusBadge status={e.status} />}{e.dry_run && <> <Badge tone="slate" title="A dry run: planned, nothing written">Preview</Badge></>}</> },
    { key: 'progress', label: 'Progress', render: (e) => (
      <div className="mini-progress">
        <ProgressBar percent={e.status === 'done' ? 100 : percentDone(e)} tone={e.status === 'error' ? 'red' : e.status === 'done' ? 'green' : 'blue'} label="Progress" />
      </div>
    ) },
    { key: 'files', label: 'Files', align: 'right', sortKey: 'nodes_done', render: (e) => `${formatCount(e.nodes_done)} / ${formatCount(e.nodes_todo)}` },
    { key: 'size', label: 'Data', align: 'right', sortKey: 'size_done', render: (e) => formatBytes(e.size_done) },
    { key: 'failed', label: 'Failed', align: 'right', sortKey: 'files_failed', render: (e) => (e.files_failed > 0 ? <span className="text-red">{formatCount(e.files_failed)}</span> : <span className="muted">0</span>) },
    { key: 'duration', label: 'Duration', align: 'right', render: duration },
  ];
  return (
    <DataTable
      label="executions"
      columns={columns}
      load={load}
      rowKey={(e) => e.id}
      initialSort={{ key: 'created_at', dir: 'desc' }}
      filterKey={refreshKey + JSON.stringify(filters ?? {})}
      pageSize={pageSize}
      refreshMs={5000}
      onRowClick={(e) => navigate(`/executions/${e.id}`)}
      mapRow={live ? (e) => (e.id === live.id ? { ...e, ...live } : e) : undefined}
      empty={<Empty title="No executions yet">{taskId ? 'Run the task to see its executions here.' : 'Executions of every task appear here.'}</Empty>}
    />
  );
}
