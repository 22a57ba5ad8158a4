/**
 * The storage resolver for this process: NAS shares become posix drivers rooted at the share's path
 * (one driver per share, reused across executions); a pool endpoint picks the pool's first reachable
 * share. Cloud and tape endpoints are refused until their drivers exist.
 */
import type { TaskEndpoint } from '../domain/task.js';
import { endpointKind } from '../domain/task.js';
import type { StorageDriver } from '../storage/driver.js';
import { StorageError } from '../storage/errors.js';
import type { ResolvedStorage, StorageResolver } from './storage-resolver.js';

export interface ShareLookup {
  share(id: string): Promise<{ id: string; path: string } | undefined>;
  poolShares(poolId: string): Promise<Array<{ id: string; path: string }>>;
  openDriver(kind: string, config: unknown): Promise<StorageDriver>;
}

export class ShareResolver implements StorageResolver {
  private readonly drivers = new Map<string, Promise<StorageDriver>>();

  constructor(private readonly lookup: ShareLookup) {}

  async resolve(endpoint: TaskEndpoint): Promise<ResolvedStorage> {
    const kind = endpointKind(endpoint.type);
    if (kind !== 'nas') throw new StorageError('unsupported', `${kind ?? endpoint.type} storages are not supported by this engine yet`);
    let share: { id: string; path: string } | undefined;
    if (endpoint.storage_id) share = await this.lookup.share(endpoint.storage_id);
    else if (endpoint.pool_id) share = (await this.lookup.poolShares(endpoint.pool_id))[0];
    if (!share) throw new StorageError('not_found', `storage ${endpoint.storage_id ?? endpoint.pool_id} does not exist`);
    // Keyed by id and path: an admin moving a share's path gets a fresh driver.
    const key = `${share.id}\0${share.path}`;
    let driver = this.drivers.get(key);
    if (!driver) {
      driver = this.lookup.openDriver('posix', { root: share.path });
      this.drivers.set(key, driver);
      driver.catch(() => this.drivers.delete(key));
    }
    return { storageId: share.id, driver: await driver };
  }

  async close(): Promise<void> {
    const all = [...this.drivers.values()];
    this.drivers.clear();
    await Promise.allSettled(all.map(async (d) => (await d).close()));
  }
}
