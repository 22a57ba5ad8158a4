/**
 * One task: what it does (endpoints, options), its controls, the latest execution at a glance, and
 * its execution history. Editing and deleting start here.
 */
import { useState } from 'react';
import { ExecutionsTable } from '../components/executions-table';
import { PageHeader } from '../components/layout';
import { TaskActions } from '../components/task-actions';
import { DryRunPreview } from '../components/dry-run-preview';
import { ScheduleCard } from '../components/schedule-card';
import { PREVIEWABLE } from '../lib/dry-run';
import { Advanced, Button, Card, ErrorBanner, Facts, Loading, Modal, ProgressBar, RelativeTime, StatusBadge } from '../components/ui';
import { del, get } from '../lib/api';
import { isActive } from '../lib/actions';
import { ApiError } from '../lib/errors';
import { formatBytes, formatCount, formatRate, humanize, percentDone } from '../lib/format';
import { useAsync, useInterval } from '../lib/hooks';
import { Link, navigate, useLocation } from '../lib/router';
import { describeEndpoint, useStorageIndex } from '../lib/storages';
import type { Task } from '../lib/types';

function optionText(v: unknown): string {
  if (typeof v === 'boolean') return v ? 'Yes' : 'No';
  if (Array.isArray(v)) return v.join(', ');
  if (typeof v === 'string' && /^[a-z_]+$/.test(v) && !/^(crc32|md5|xxhash64)$/.test(v)) return humanize(v);
  if (typeof v === 'object' && v !== null) return JSON.stringify(v);
  return String(v);
}

export function TaskDetailPage({ id }: { id: string }) {
  const task = useAsync((signal) => get<Task>(`/tasks/${encodeURIComponent(id)}`, signal), [id]);
  const storages = useStorageIndex();
  const [historyKey, setHistoryKey] = useState(0);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const previewRequested = useLocation().search.get('preview') === '1';
  const [deleteError, setDeleteError] = useState<ApiError>();
  const t = task.data;
  const last = t?.last_execution ?? null;
  useInterval(task.reload, 2000, isActive(last?.status));

  if (!t) return task.error ? <><PageHeader title="Task" crumbs={[{ to: '/tasks', label: 'Tasks' }]} /><ErrorBanner error={task.error} title="Could not load the task" /></> : <Loading />;

  async function remove() {
    try {
      await del(`/tasks/${encodeURIComponent(id)}`);
      navigate('/tasks');
    } catch (err) {
      setConfirmDelete(false);
      setDeleteError(err instanceof ApiError ? err : new ApiError(0, String(err)));
    }
  }

  const options = Object.entries(t.options ?? {});
  return (
    <>
      <PageHeader
        crumbs={[{ to: '/tasks', label: 'Tasks' }]}
        title={<>{t.name} <StatusBadge status={last?.status} /></>}
        subtitle={<>{humanize(t.workflow_action)} · {humanize(t.workflow_type)}{t.user ? ` · owned by ${t.user}` : ''} · updated <RelativeTime iso={t.updated_at} /></>}
        actions={
          <>
            {PREVIEWABLE.has(t.workflow_action) && <DryRunPreview taskId={t.id} autoStart={previewRequested} disabled={isActive(last?.status)} onStarted={() => { task.reload(); setHistoryKey((k) => k + 1); }} />}
            <Button onClick={() => navigate(`/tasks/${t.id}/edit`)} disabled={isActive(last?.status)} title={isActive(last?.status) ? 'A running task cannot be edited' : undefined}>Edit</Button>
            <Button variant="ghost" className="text-red" onClick={() => setConfirmDelete(true)} disabled={isActive(last?.status)}>Delete</Button>
          </>
        }
      />
      <ErrorBanner error={deleteError} title="The task was not deleted" onDismiss={() => setDeleteError(undefined)} />
      <Card title="Controls" className="controls-card">
        <TaskActions taskId={t.id} status={last?.status} onDone={() => { task.reload(); setHistoryKey((k) => k + 1); }} />
        {last && (
          <div className="last-run">
            <div className="last-run-head">
              <span>Latest execution <Link to={`/executions/${last.id}`}>open live view →</Link></span>
              <span className="muted">{formatCount(last.nodes_done)} / {formatCount(last.nodes_todo)} files · {formatBytes(last.size_done)} of {formatBytes(last.size_todo)}{isActive(last.status) ? ` · ${formatRate(last.bandwidth)}` : ''}</span>
            </div>
            <ProgressBar percent={last.status === 'done' ? 100 : percentDone(last)} tone={last.status === 'error' ? 'red' : last.status === 'done' ? 'green' : last.status === 'paused' ? 'amber' : 'blue'} label="Latest execution progress" />
          </div>
        )}
      </Card>
      <div className="grid-2">
        <Card title="Endpoints">
          <Facts items={[
            ['Sources', t.sources.length ? <ul className="plain">{t.sources.map((e, i) => <li key={e.id ?? i}>{describeEndpoint(e, storages.data)}</li>)}</ul> : <span className="muted">None</span>],
            ['Destinations', t.destinations.length ? <ul className="plain">{t.destinations.map((e, i) => <li key={e.id ?? i}>{describeEndpoint(e, storages.data)}</li>)}</ul> : <span className="muted">None</span>],
            ['Comment', t.comment || <span className="muted">—</span>],
            ['Created', <RelativeTime iso={t.created_at} />],
          ]} />
        </Card>
        <Card title="Options">
          {options.length === 0 ? <p className="muted pad">Server defaults (no option set).</p> : <Facts items={options.map(([k, v]) => [humanize(k), optionText(v)])} />}
          <Advanced value={t} label="Advanced: the task as the API returns it" />
        </Card>
      </div>
      <ScheduleCard taskId={t.id} onRun={() => { task.reload(); setHistoryKey((k) => k + 1); }} />
      <Card title="Execution history">
        <ExecutionsTable taskId={t.id} refreshKey={String(historyKey)} />
      </Card>
      <Modal
        title={`Delete ${t.name}?`}
        open={confirmDelete}
        onClose={() => setConfirmDelete(false)}
        footer={<><Button onClick={() => setConfirmDelete(false)}>Cancel</Button><Button variant="danger" onClick={remove}>Delete task</Button></>}
      >
        <p>The task and its execution history are removed. Data already moved stays where it is.</p>
      </Modal>
    </>
  );
}
