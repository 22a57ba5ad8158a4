/**
 * One storage that carries privileges — a NAS share, a cloud bucket or a pool: what it is, and for
 * admins who may use it (the guest right and the privileges of users and groups). A non-admin sees
 * the public attributes only (never a share's path), so every admin-only attribute is optional here.
 * A share or a bucket also has a Files tab to browse its content (tab and folder kept in the URL).
 */
import { useState, type ReactNode } from 'react';
import { FolderBrowser } from '../components/folder-browser';
import { PageHeader } from '../components/layout';
import { MountBadge } from '../components/mount-badge';
import { QuotaForm } from '../components/quota-form';
import { GuestRightForm, PrivilegesEditor, RightBadge } from '../components/privileges-editor';
import { Card, ErrorBanner, Facts, Loading, RelativeTime, Tabs } from '../components/ui';
import { get } from '../lib/api';
import { formatBytes, humanize } from '../lib/format';
import { useAsync } from '../lib/hooks';
import { KINDS, storageApiPath, storageRoute, type GuardedKind } from '../lib/privileges';
import { Link, setSearch, useLocation } from '../lib/router';
import { useSession } from '../lib/session';
import { useStorageIndex, type StorageIndex } from '../lib/storages';
import type { CloudBucket, CloudConnector, NasShare, Pool, Right } from '../lib/types';

type Storage = (NasShare | CloudBucket | Pool) & { guest_right?: Right };

const TITLE_KIND: Record<GuardedKind, string> = { nas_shares: 'NAS share', cloud_buckets: 'Cloud bucket', pools: 'Pool' };
const none = <span className="muted">—</span>;

function poolLink(poolId: string | null | undefined, index: StorageIndex | undefined): ReactNode {
  if (!poolId) return none;
  return <Link to={storageRoute('pools', poolId)}>{index?.pools.find((p) => p.id === poolId)?.name ?? 'pool'}</Link>;
}

function shareFacts(s: NasShare, index: StorageIndex | undefined): Array<[string, ReactNode]> {
  return [
    ['NAS', index?.nas.find((n) => n.id === s.nas_id)?.name ?? none],
    ...(s.path !== undefined ? [['Mount path', <span className="mono">{s.path}</span>] as [string, ReactNode]] : []),
    ['Status', <MountBadge shareId={s.id} />],
    ['Pool', poolLink(s.pool_id, index)],
    ...(s.quota_bytes !== undefined ? [['Quota', s.quota_bytes === null ? none : formatBytes(s.quota_bytes)] as [string, ReactNode]] : []),
  ];
}

function bucketFacts(b: CloudBucket, index: StorageIndex | undefined, connector: CloudConnector | undefined): Array<[string, ReactNode]> {
  return [
    ['Connector', connector?.name ?? none],
    ['Location', b.location ?? none],
    ['Pool', poolLink(b.pool_id, index)],
  ];
}

function poolFacts(p: Pool, index: StorageIndex | undefined): Array<[string, ReactNode]> {
  const shares = index?.shares.filter((s) => s.pool_id === p.id) ?? [];
  const buckets = index?.buckets.filter((b) => b.pool_id === p.id) ?? [];
  const members = [...shares.map((s) => ({ to: storageRoute('nas_shares', s.id), name: s.name })), ...buckets.map((b) => ({ to: storageRoute('cloud_buckets', b.id), name: b.name }))];
  return [
    ['Content', <span className="chip">{p.content === 'nas' ? 'NAS' : humanize(p.content)}</span>],
    ['Role', humanize(p.type)],
    ['Comment', p.comment || none],
    ['Members', members.length ? <ul className="plain">{members.map((m) => <li key={m.to}><Link to={m.to}>{m.name}</Link></li>)}</ul> : <span className="muted">None yet</span>],
  ];
}

export function StorageDetailPage({ kind, id }: { kind: GuardedKind; id: string }) {
  const { user } = useSession();
  const admin = user?.is_admin === true;
  const base = storageApiPath(kind, id);
  const storage = useAsync((signal) => get<Storage>(base, signal), [base]);
  const index = useStorageIndex();
  const connectorId = kind === 'cloud_buckets' ? (storage.data as CloudBucket | undefined)?.cloud_connector_id : undefined;
  const connector = useAsync((signal) => (connectorId ? get<CloudConnector>(`/cloud_connectors/${encodeURIComponent(connectorId)}`, signal).catch(() => undefined) : Promise.resolve(undefined)), [connectorId]);
  const [guest, setGuest] = useState<Right>();
  const [quota, setQuota] = useState<number | null>();
  const { search } = useLocation();
  const browsable = kind !== 'pools';
  const tab = browsable && search.get('tab') === 'files' ? 'files' : 'overview';
  const info = KINDS[kind];
  const crumbs = [{ to: info.list.to, label: info.list.label }];

  const s = storage.data;
  if (!s) {
    return storage.error
      ? <><PageHeader title={TITLE_KIND[kind]} crumbs={crumbs} /><ErrorBanner error={storage.error} title={`Could not load the ${info.noun}`} /></>
      : <Loading />;
  }
  const guestRight: Right = guest ?? s.guest_right ?? 'none';
  const share = kind === 'nas_shares' ? { ...(s as NasShare), ...(quota !== undefined ? { quota_bytes: quota } : {}) } : undefined;
  const facts: Array<[string, ReactNode]> = [
    ...(share ? shareFacts(share, index.data) : kind === 'cloud_buckets' ? bucketFacts(s as CloudBucket, index.data, connector.data) : poolFacts(s as Pool, index.data)),
    ['Guest right', <RightBadge right={guestRight} />],
    ['Added', <RelativeTime iso={s.created_at} />],
  ];
  const nasName = kind === 'nas_shares' ? index.data?.nas.find((n) => n.id === (s as NasShare).nas_id)?.name : undefined;
  const subtitle = kind === 'nas_shares' ? `NAS share${nasName ? ` on ${nasName}` : ''}` : kind === 'cloud_buckets' ? `Cloud bucket${connector.data ? ` on ${connector.data.name}` : ''}` : 'Pool of storages a task can target as one';

  const tabs = browsable && (
    <div className="page-tabs">
      <Tabs tabs={[{ key: 'overview', label: 'Overview' }, { key: 'files', label: 'Files' }]} value={tab} onChange={(t) => setSearch({ tab: t === 'files' ? 'files' : null, path: null })} />
    </div>
  );
  if (browsable && tab === 'files') {
    return (
      <>
        <PageHeader crumbs={crumbs} title={s.name} subtitle={subtitle} />
        {tabs}
        <Card>
          <FolderBrowser kind={kind} id={id} path={search.get('path') || '/'} onNavigate={(p) => setSearch({ path: p === '/' ? null : p })} />
        </Card>
      </>
    );
  }

  return (
    <>
      <PageHeader crumbs={crumbs} title={s.name} subtitle={subtitle} />
      {tabs}
      <div className={admin ? 'grid-2' : undefined}>
        <Card title="Details">
          <Facts items={facts} />
        </Card>
        {admin && (
          <Card title="Guest access">
            <p className="card-intro muted">What every signed-in user may do on this {info.noun}, unless a privilege below names them or one of their groups.</p>
            <GuestRightForm base={base} value={guestRight} onSaved={setGuest} />
          </Card>
        )}
        {admin && share && share.quota_bytes !== undefined && (
          <Card title="Cache quota">
            <p className="card-intro muted">What cache_cleaning keeps this share under, evicting the files already safe on tape (oldest access first); rehydratation brings them back.</p>
            <QuotaForm base={base} value={share.quota_bytes} onSaved={setQuota} />
          </Card>
        )}
      </div>
      {admin ? <PrivilegesEditor base={base} noun={info.noun} /> : <p className="muted">Administrators decide who may read and write this {info.noun}.</p>}
    </>
  );
}
