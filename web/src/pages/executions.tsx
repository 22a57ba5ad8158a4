/** Activity: every execution the user may see, newest first, filterable by status. */
import { ExecutionsTable } from '../components/executions-table';
import { PageHeader } from '../components/layout';
import { humanize } from '../lib/format';
import { setSearch, useLocation } from '../lib/router';
import { useEnums } from '../lib/schema';

export function ExecutionsPage() {
  const { search } = useLocation();
  const enums = useEnums();
  const status = search.get('status') ?? '';
  return (
    <>
      <PageHeader title="Activity" subtitle="Every execution, running or finished." />
      <div className="card">
        <div className="toolbar">
          <select aria-label="Filter by status" value={status} onChange={(e) => setSearch({ status: e.target.value })}>
            <option value="">All statuses</option>
            {enums?.execution_status.map((s) => <option key={s} value={s}>{humanize(s)}</option>)}
          </select>
        </div>
        <ExecutionsTable showTask filters={{ status: status || undefined }} pageSize={25} />
      </div>
    </>
  );
}
