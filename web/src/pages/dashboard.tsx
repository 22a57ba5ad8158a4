/**
 * The dashboard: what the scan catalog holds (files by extension, size, age and owner, bytes per
 * storage) and what the executions did (by status, by workflow), drawn from Nodeum's statistics
 * facets, then a search of the catalog. Everything is scoped by the API: a user sees the storages
 * they may read and their own executions. Before any scan the file charts make way for a hint.
 */
import { useState } from 'react';
import { BarChart } from '../components/bar-chart';
import { CatalogSearch } from '../components/catalog-search';
import { PageHeader } from '../components/layout';
import { Button, Card, Empty, ErrorBanner, Loading } from '../components/ui';
import { formatBytes, formatCount } from '../lib/format';
import { useAsync } from '../lib/hooks';
import { Link } from '../lib/router';
import {
  ageBars, extensionBars, formatExecutions, formatFiles, loadStatistics, ownerBars, sizeBars, statusBars, storageBars, workflowBars, TOP, type Statistics,
} from '../lib/statistics';

const NO_SCAN = 'No scan yet: run a scan task to fill the catalog.';

function Summary({ s }: { s: Statistics }) {
  const items: Array<[string, string, string?]> = [
    ['Files catalogued', formatCount(s.byDate.files_count ?? 0)],
    ['Catalogued size', formatBytes(s.byDate.file_size_sum ?? 0)],
    ['Storages', formatCount(s.storage.count ?? 0), `${formatCount(s.storage.nas_share?.count ?? 0)} shares · ${formatCount(s.storage.cloud_bucket?.count ?? 0)} buckets`],
    ['Executions', formatCount(s.byStatus.count ?? 0), `of ${formatCount(s.byStatus.tasks_count ?? 0)} ${s.byStatus.tasks_count === 1 ? 'task' : 'tasks'}`],
    ['Files moved', formatCount(s.byStatus.finalized_files_sum ?? 0), formatBytes(s.byStatus.processed_size_sum ?? 0)],
  ];
  return (
    <div className="stats dashboard-stats">
      {items.map(([label, value, sub]) => (
        <div className="stat" key={label} data-stat={label}>
          <div className="stat-label">{label}</div>
          <div className="stat-value">{value}</div>
          {sub && <div className="stat-sub">{sub}</div>}
        </div>
      ))}
    </div>
  );
}

function FileCharts({ s }: { s: Statistics }) {
  if ((s.byDate.files_count ?? 0) === 0) {
    return (
      <Card title="Catalog">
        <Empty title="No scan yet" action={<Link to="/tasks/new">New task</Link>}>
          Run a scan task (workflow action <strong>scan</strong>) on a share or a bucket to fill the catalog: its files are then counted here by extension, size, age and owner.
        </Empty>
      </Card>
    );
  }
  return (
    <div className="dashboard-grid">
      <Card title="Files by extension">
        <BarChart name="by-extension" title={`Files by extension (the ${TOP} most common)`} bars={extensionBars(s.byExtension)} format={formatFiles} empty={NO_SCAN} />
      </Card>
      <Card title="Storage usage">
        <BarChart name="by-storage" title="Catalogued bytes per storage" bars={storageBars(s.storage)} format={formatBytes} empty={NO_SCAN} />
      </Card>
      <Card title="Files by size">
        <BarChart name="by-size" title="Files by size" bars={sizeBars(s.bySize)} format={formatFiles} empty={NO_SCAN} />
      </Card>
      <Card title="Files by age">
        <BarChart name="by-age" title="Files by age of their last modification" bars={ageBars(s.byDate)} format={formatFiles} empty={NO_SCAN} />
      </Card>
      <Card title="Files by owner">
        <BarChart name="by-owner" title={`Files by owner (the ${TOP} largest)`} bars={ownerBars(s.byOwner)} format={formatFiles} empty={NO_SCAN} />
      </Card>
    </div>
  );
}

function ExecutionCharts({ s }: { s: Statistics }) {
  const none = 'No executions yet: run a task to see them here.';
  return (
    <div className="dashboard-grid">
      <Card title="Executions by status">
        <BarChart name="by-status" title="Executions by status" bars={statusBars(s.byStatus)} format={formatExecutions} empty={none} />
      </Card>
      <Card title="Executions by workflow">
        <BarChart name="by-workflow" title="Executions by workflow action" bars={workflowBars(s.byWorkflow)} format={formatExecutions} empty={none} />
      </Card>
    </div>
  );
}

export function DashboardPage() {
  // Refresh reloads the charts and the search alike (a scan just ended).
  const [round, setRound] = useState(0);
  const stats = useAsync((signal) => loadStatistics(signal), [round]);
  const s = stats.data;
  return (
    <>
      <PageHeader
        title="Dashboard" subtitle="What the scans catalogued and what the executions moved."
        actions={<Button onClick={() => setRound((r) => r + 1)} busy={stats.loading && !!s}>Refresh</Button>}
      />
      <ErrorBanner error={stats.error} title="Could not load the statistics" />
      {!s ? (!stats.error && <Loading label="Counting…" />) : (
        <>
          <Summary s={s} />
          <h2 className="section-title">Catalog</h2>
          <FileCharts s={s} />
          <h2 className="section-title">Executions</h2>
          <ExecutionCharts s={s} />
        </>
      )}
      <Card title="Search the catalog">
        <CatalogSearch refreshKey={round} />
      </Card>
    </>
  );
}
