/**
 * The tasks list: the API's filters (name contains, workflow action, workflow type), server-side
 * sort and paging, each task's last execution. Filters live in the URL so a view can be shared.
 */
import { useCallback, useEffect, useState } from 'react';
import { PageHeader } from '../components/layout';
import { DataTable, type Column } from '../components/table';
import { Button, Empty, RelativeTime, StatusBadge } from '../components/ui';
import { getPage, type ListParams } from '../lib/api';
import { humanize } from '../lib/format';
import { Link, navigate, setSearch, useLocation } from '../lib/router';
import { useEnums } from '../lib/schema';
import { describeEndpoint, useStorageIndex } from '../lib/storages';
import type { Task } from '../lib/types';

export function TasksPage() {
  const { search } = useLocation();
  const enums = useEnums();
  const storages = useStorageIndex();
  const name = search.get('name') ?? '';
  const action = search.get('workflow_action') ?? '';
  const type = search.get('workflow_type') ?? '';
  const [nameInput, setNameInput] = useState(name);

  // Typing filters after a short pause, so each keystroke is not a request.
  useEffect(() => {
    const t = setTimeout(() => nameInput !== name && setSearch({ name: nameInput }), 300);
    return () => clearTimeout(t);
  }, [nameInput, name]);

  const load = useCallback(
    (p: ListParams, signal: AbortSignal) =>
      getPage<Task>('/tasks', 'tasks', { ...p, filters: { name: name ? `~%${name}%` : undefined, workflow_action: action || undefined, workflow_type: type || undefined } }, signal),
    [name, action, type],
  );

  const columns: Array<Column<Task>> = [
    { key: 'name', label: 'Name', sortKey: 'name', render: (t) => (
      <div className="cell-main">
        <Link to={`/tasks/${t.id}`} className="strong-link">{t.name}</Link>
        {t.comment && <span className="cell-sub">{t.comment}</span>}
      </div>
    ) },
    { key: 'action', label: 'Action', sortKey: 'workflow_action', render: (t) => <span className="chip">{humanize(t.workflow_action)}</span> },
    { key: 'type', label: 'Workflow', sortKey: 'workflow_type', render: (t) => humanize(t.workflow_type) },
    { key: 'route', label: 'Source → destination', render: (t) => (
      <span className="route">
        {t.sources.length ? t.sources.map((e, i) => <span key={i} className="route-part">{i > 0 && ', '}{describeEndpoint(e, storages.data)}</span>) : <span className="muted">no source</span>}
        {t.destinations.length > 0 && <> <span className="arrow">→</span> {t.destinations.map((e, i) => <span key={i} className="route-part">{i > 0 && ', '}{describeEndpoint(e, storages.data)}</span>)}</>}
      </span>
    ) },
    { key: 'status', label: 'Last run', render: (t) => <StatusBadge status={t.last_execution?.status} /> },
    { key: 'when', label: 'Started', render: (t) => <RelativeTime iso={t.last_execution?.started_at ?? t.last_execution?.created_at} /> },
    { key: 'updated', label: 'Updated', sortKey: 'updated_at', render: (t) => <RelativeTime iso={t.updated_at} /> },
  ];

  const filtered = Boolean(name || action || type);
  return (
    <>
      <PageHeader
        title="Tasks"
        subtitle="Copy, move, erase, scan and verify data between your storages."
        actions={<Button variant="primary" onClick={() => navigate('/tasks/new')}>+ New task</Button>}
      />
      <div className="card">
        <div className="toolbar">
          <input className="search" type="search" placeholder="Search by name…" aria-label="Filter by name" value={nameInput} onChange={(e) => setNameInput(e.target.value)} />
          <select aria-label="Filter by action" value={action} onChange={(e) => setSearch({ workflow_action: e.target.value })}>
            <option value="">All actions</option>
            {enums?.workflow_action.map((a) => <option key={a} value={a}>{humanize(a)}</option>)}
          </select>
          <select aria-label="Filter by workflow type" value={type} onChange={(e) => setSearch({ workflow_type: e.target.value })}>
            <option value="">All workflow types</option>
            {enums?.workflow_type.map((a) => <option key={a} value={a}>{humanize(a)}</option>)}
          </select>
          {filtered && <Button variant="ghost" onClick={() => { setNameInput(''); setSearch({ name: '', workflow_action: '', workflow_type: '' }); }}>Clear filters</Button>}
        </div>
        <DataTable
          label="tasks"
          columns={columns}
          load={load}
          rowKey={(t) => t.id}
          initialSort={{ key: 'updated_at', dir: 'desc' }}
          filterKey={`${name}|${action}|${type}`}
          refreshMs={5000}
          onRowClick={(t) => navigate(`/tasks/${t.id}`)}
          empty={
            filtered ? <Empty title="No task matches these filters">Try another name or clear the filters.</Empty>
              : <Empty title="No tasks yet" action={<Button variant="primary" onClick={() => navigate('/tasks/new')}>Create your first task</Button>}>A task describes what to move, from where to where, and how.</Empty>
          }
        />
      </div>
    </>
  );
}
