/**
 * Names of the storages tasks point at (share, bucket, pool ids → names), so tables and forms show
 * "projects on nas-01" instead of ids. Loaded once per page view; the registry is small.
 */
import { get } from './api';
import { useAsync } from './hooks';
import type { CloudBucket, Endpoint, Nas, NasShare, Pool } from './types';

export interface StorageIndex {
  shares: NasShare[];
  nas: Nas[];
  buckets: CloudBucket[];
  pools: Pool[];
  name(id: string | null | undefined): string | undefined;
}

export async function loadStorageIndex(signal?: AbortSignal): Promise<StorageIndex> {
  const [shares, nas, buckets, pools] = await Promise.all([
    get<{ nas_shares: NasShare[] }>('/nas_shares?limit=1000&sort_by=name:asc', signal),
    get<{ nas: Nas[] }>('/nas?limit=1000&sort_by=name:asc', signal),
    get<{ cloud_buckets: CloudBucket[] }>('/cloud_buckets?limit=1000&sort_by=name:asc', signal),
    get<{ pools: Pool[] }>('/pools?limit=1000&sort_by=name:asc', signal),
  ]);
  const names = new Map<string, string>();
  const nasName = new Map(nas.nas.map((n) => [n.id, n.name]));
  for (const s of shares.nas_shares) names.set(s.id, `${s.name}${nasName.has(s.nas_id) ? ` (${nasName.get(s.nas_id)})` : ''}`);
  for (const b of buckets.cloud_buckets) names.set(b.id, b.name);
  for (const p of pools.pools) names.set(p.id, `pool ${p.name}`);
  return { shares: shares.nas_shares, nas: nas.nas, buckets: buckets.cloud_buckets, pools: pools.pools, name: (id) => (id ? names.get(id) : undefined) };
}

export function useStorageIndex() {
  return useAsync((signal) => loadStorageIndex(signal), []);
}

/** "src-share:/projects" for one endpoint. */
export function describeEndpoint(e: Endpoint, index: StorageIndex | undefined): string {
  const where = index?.name(e.storage_id ?? e.pool_id) ?? (e.storage_id || e.pool_id ? 'unknown storage' : e.type);
  const paths = e.node_paths && e.node_paths.length > 0 ? e.node_paths.join(', ') : '';
  return paths && paths !== '/' ? `${where}: ${paths}` : where;
}
