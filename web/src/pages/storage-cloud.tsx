/**
 * Cloud connectors (S3-compatible endpoints and their credentials) and their buckets. "Test" asks the
 * server to list the connector's buckets with the stored credentials (PUT /cloud_connectors/-/test);
 * the secret key is write-only and never shown.
 */
import { useCallback, useState } from 'react';
import { PageHeader } from '../components/layout';
import { ConfirmDelete, FormModal } from '../components/resource-form';
import { DataTable, type Column } from '../components/table';
import { RightBadge } from '../components/privileges-editor';
import { Badge, Button, Card, Empty, ErrorBanner, RelativeTime } from '../components/ui';
import { del, getPage, post, put, type ListParams } from '../lib/api';
import { ApiError } from '../lib/errors';
import { humanize } from '../lib/format';
import { storageRoute } from '../lib/privileges';
import { Link, navigate } from '../lib/router';
import { useEnums } from '../lib/schema';
import { useSession } from '../lib/session';
import { useStorageIndex } from '../lib/storages';
import type { CloudBucket, CloudConnector } from '../lib/types';

/** Product names as their vendors write them. */
export const PROVIDER_LABEL: Record<string, string> = {
  generic_s3: 'Generic S3', amazon_aws_s3: 'Amazon S3', cloudian_hyperstore: 'Cloudian HyperStore', scality_ring: 'Scality RING',
  dell_emc_ecs: 'Dell EMC ECS', azure: 'Azure Blob Storage', google_cloud_storage: 'Google Cloud Storage',
  openstack_swift: 'OpenStack Swift', wasabi: 'Wasabi',
};
const providerLabel = (p: string) => PROVIDER_LABEL[p] ?? humanize(p);

type TestResult = { ok: boolean; buckets?: number; error?: string | null };

function TestButton({ id }: { id: string }) {
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<TestResult | ApiError>();
  async function test() {
    setBusy(true);
    try {
      setResult(await put<TestResult>('/cloud_connectors/-/test', { id }));
    } catch (err) {
      setResult(err instanceof ApiError ? err : new ApiError(0, String(err)));
    } finally {
      setBusy(false);
    }
  }
  const r = result;
  return (
    <span className="test-cell">
      <Button busy={busy} onClick={test}>Test</Button>
      {r instanceof ApiError ? <Badge tone="red" title={r.message}>Refused</Badge>
        : r?.ok ? <Badge tone="green">OK · {r.buckets ?? 0} bucket{r.buckets === 1 ? '' : 's'}</Badge>
        : r ? <span className="test-error" title={r.error ?? undefined}><Badge tone="red">Failed</Badge><span className="cell-sub">{r.error}</span></span> : null}
    </span>
  );
}

export function CloudPage() {
  const { user } = useSession();
  const admin = user?.is_admin === true;
  const enums = useEnums();
  const index = useStorageIndex();
  const [version, setVersion] = useState(0);
  const [dialog, setDialog] = useState<'connector' | 'bucket' | null>(null);
  const [deleting, setDeleting] = useState<{ kind: 'cloud_connectors' | 'cloud_buckets'; id: string; name: string } | null>(null);
  const [syncError, setSyncError] = useState<ApiError>();
  const bump = () => { setVersion((v) => v + 1); index.reload(); };
  const [connectorNames, setConnectorNames] = useState(new Map<string, string>());

  const loadConnectors = useCallback(async (p: ListParams, s: AbortSignal) => {
    const page = await getPage<CloudConnector>('/cloud_connectors', 'cloud_connectors', p, s);
    setConnectorNames((m) => new Map([...m, ...page.rows.map((c) => [c.id, c.name] as [string, string])]));
    return page;
  }, []);
  const loadBuckets = useCallback((p: ListParams, s: AbortSignal) => getPage<CloudBucket>('/cloud_buckets', 'cloud_buckets', p, s), []);

  async function sync(id: string) {
    setSyncError(undefined);
    try {
      await put(`/cloud_connectors/${encodeURIComponent(id)}/cloud_buckets/-/sync`);
      bump();
    } catch (err) {
      setSyncError(err instanceof ApiError ? err : new ApiError(0, String(err)));
    }
  }

  const connectorColumns: Array<Column<CloudConnector>> = [
    { key: 'name', label: 'Name', sortKey: 'name', render: (c) => <strong>{c.name}</strong> },
    { key: 'provider', label: 'Provider', sortKey: 'provider', render: (c) => <span className="chip">{providerLabel(c.provider)}</span> },
    // Endpoint, region and credentials are the admins' business: the API leaves them out for others.
    ...(admin ? ([
      { key: 'url', label: 'Endpoint', sortKey: 'url', className: 'mono', render: (c) => c.url ?? <span className="muted">provider default</span> },
      { key: 'region', label: 'Region', sortKey: 'region', render: (c) => c.region ?? <span className="muted">—</span> },
      { key: 'key', label: 'Access key', render: (c) => (c.access_key ? <span className="mono">{c.access_key}</span> : <span className="muted">none</span>) },
      { key: 'test', label: 'Connection', render: (c) => <TestButton id={c.id} /> },
    ] satisfies Array<Column<CloudConnector>>) : []),
    ...(admin ? [{ key: 'x', label: '', align: 'right' as const, render: (c: CloudConnector) => <span className="row-actions"><Button variant="ghost" onClick={() => sync(c.id)}>Sync buckets</Button><Button variant="ghost" className="text-red" onClick={() => setDeleting({ kind: 'cloud_connectors', id: c.id, name: c.name })}>Delete</Button></span> }] : []),
  ];
  const bucketColumns: Array<Column<CloudBucket>> = [
    { key: 'name', label: 'Bucket', sortKey: 'name', render: (b) => <Link to={storageRoute('cloud_buckets', b.id)} className="strong-link mono">{b.name}</Link> },
    { key: 'connector', label: 'Connector', sortKey: 'cloud_connector_id', render: (b) => connectorNames.get(b.cloud_connector_id) ?? '—' },
    { key: 'location', label: 'Location', sortKey: 'location', render: (b) => b.location ?? <span className="muted">—</span> },
    { key: 'pool', label: 'Pool', render: (b) => index.data?.pools.find((p) => p.id === b.pool_id)?.name ?? <span className="muted">—</span> },
    { key: 'guest', label: 'Guest right', render: (b) => <RightBadge right={b.guest_right} /> },
    { key: 'created', label: 'Added', sortKey: 'created_at', render: (b) => <RelativeTime iso={b.created_at} /> },
    ...(admin ? [{ key: 'x', label: '', align: 'right' as const, render: (b: CloudBucket) => <Button variant="ghost" className="text-red" onClick={() => setDeleting({ kind: 'cloud_buckets', id: b.id, name: b.name })}>Delete</Button> }] : []),
  ];

  return (
    <>
      <PageHeader
        title="Cloud storage"
        subtitle="S3-compatible object stores and their buckets."
        actions={admin && <><Button onClick={() => setDialog('bucket')} disabled={connectorNames.size === 0}>+ Add bucket</Button><Button variant="primary" onClick={() => setDialog('connector')}>+ Add connector</Button></>}
      />
      <ErrorBanner error={syncError} title="Bucket sync failed" onDismiss={() => setSyncError(undefined)} />
      <Card title="Connectors">
        <DataTable label="connectors" columns={connectorColumns} load={loadConnectors} rowKey={(c) => c.id} initialSort={{ key: 'name', dir: 'asc' }} filterKey={String(version)} pageSize={10}
          empty={<Empty title="No cloud connector">{admin ? 'Add a connector with an endpoint URL and credentials.' : 'An administrator adds connectors.'}</Empty>} />
      </Card>
      <Card title="Buckets">
        <DataTable label="buckets" columns={bucketColumns} load={loadBuckets} rowKey={(b) => b.id} onRowClick={(b) => navigate(storageRoute('cloud_buckets', b.id))} initialSort={{ key: 'name', dir: 'asc' }} filterKey={String(version)}
          empty={<Empty title="No buckets">Add one, or use "Sync buckets" on a connector to import the existing ones.</Empty>} />
      </Card>
      <FormModal title="Add a cloud connector" open={dialog === 'connector'} onClose={() => setDialog(null)} submitLabel="Add connector" initial={{ provider: 'generic_s3' }}
        fields={[
          { key: 'name', label: 'Name', placeholder: 'e.g. ceph-east' },
          { key: 'provider', label: 'Provider', kind: 'select', choices: (enums?.cloud_provider ?? ['generic_s3']).map((value) => ({ value, label: providerLabel(value) })) },
          { key: 'url', label: 'Endpoint URL', omitEmpty: true, placeholder: 'https://s3.example.com', hint: 'Empty for the provider’s default endpoint.' },
          { key: 'region', label: 'Region', omitEmpty: true, placeholder: 'us-east-1' },
          { key: 'access_key', label: 'Access key', omitEmpty: true },
          { key: 'secret_key', label: 'Secret key', kind: 'password', omitEmpty: true, hint: 'Stored encrypted; never shown again.' },
        ]}
        onSubmit={async (b) => { await post('/cloud_connectors', b); bump(); }} />
      <FormModal title="Add a bucket" open={dialog === 'bucket'} onClose={() => setDialog(null)} submitLabel="Add bucket" initial={{ cloud_connector_id: [...connectorNames.keys()][0] ?? '' }}
        fields={[
          { key: 'cloud_connector_id', label: 'Connector', kind: 'select', choices: [...connectorNames].map(([value, label]) => ({ value, label })) },
          { key: 'name', label: 'Bucket name', placeholder: 'lowercase, 3–63 characters' },
          { key: 'location', label: 'Location', omitEmpty: true },
        ]}
        onSubmit={async ({ cloud_connector_id, ...b }) => { await post(`/cloud_connectors/${encodeURIComponent(String(cloud_connector_id))}/cloud_buckets`, b); bump(); }} />
      <ConfirmDelete what={deleting?.name ?? ''} open={deleting !== null} onClose={() => setDeleting(null)}
        onConfirm={async () => { if (deleting) await del(`/${deleting.kind}/${encodeURIComponent(deleting.id)}`); bump(); }}>
        <p>It is removed from Barge only; no object is deleted. A storage used by a task cannot be deleted.</p>
      </ConfirmDelete>
    </>
  );
}
