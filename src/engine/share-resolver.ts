/**
 * The storage resolver for this process: NAS shares become posix drivers rooted at the share's path,
 * cloud buckets become drivers of their connector's kind (s3, azure) with its credentials (one driver per storage, reused
 * across executions); a pool endpoint picks the pool's first storage. Tape is refused until its
 * driver exists.
 */
import type { TaskEndpoint } from '../domain/task.js';
import { endpointKind } from '../domain/task.js';
import type { StorageDriver } from '../storage/driver.js';
import { StorageError } from '../storage/errors.js';
import type { ResolveOptions, ResolvedStorage, StorageResolver } from './storage-resolver.js';

/** A bucket with what its driver needs (the secret decrypted, in memory only). */
export interface BucketTarget {
  id: string;
  /** Stable identity of the driver config (changes when the bucket or its connector changes). */
  version: string;
  /** Driver kind serving the bucket (`s3`, `azure`: from the connector's provider). */
  kind: string;
  config: Record<string, unknown>;
}

export interface ShareLookup {
  share(id: string): Promise<{ id: string; path: string } | undefined>;
  poolShares(poolId: string): Promise<Array<{ id: string; path: string }>>;
  bucket(id: string): Promise<BucketTarget | undefined>;
  poolBuckets(poolId: string): Promise<BucketTarget[]>;
  openDriver(kind: string, config: unknown): Promise<StorageDriver>;
}

export class ShareResolver implements StorageResolver {
  private readonly drivers = new Map<string, Promise<StorageDriver>>();

  constructor(private readonly lookup: ShareLookup) {}

  async resolve(endpoint: TaskEndpoint, options: ResolveOptions = {}): Promise<ResolvedStorage> {
    const kind = endpointKind(endpoint.type);
    if (kind === 'cloud') return this.resolveBucket(endpoint);
    if (kind !== 'nas') throw new StorageError('unsupported', `${kind ?? endpoint.type} storages are not supported by this engine yet`);
    let share: { id: string; path: string } | undefined;
    if (endpoint.storage_id) share = await this.lookup.share(endpoint.storage_id);
    else if (endpoint.pool_id) share = (await this.lookup.poolShares(endpoint.pool_id))[0];
    if (!share) throw new StorageError('not_found', `storage ${endpoint.storage_id ?? endpoint.pool_id} does not exist`);
    // Keyed by id and path: an admin moving a share's path gets a fresh driver; and by the execution's
    // context user, whose driver runs every path operation with that user's rights (credentialed-fs.ts).
    const { context } = options;
    const key = `${share.id}\0${share.path}${context === undefined ? '' : `\0${context.uid}:${context.gid}`}`;
    let driver = this.drivers.get(key);
    if (!driver) {
      driver = this.lookup.openDriver('posix', context === undefined ? { root: share.path } : { root: share.path, context });
      this.drivers.set(key, driver);
      driver.catch(() => this.drivers.delete(key));
    }
    return { storageId: share.id, driver: await driver };
  }

  private async resolveBucket(endpoint: TaskEndpoint): Promise<ResolvedStorage> {
    let bucket: BucketTarget | undefined;
    if (endpoint.storage_id) bucket = await this.lookup.bucket(endpoint.storage_id);
    else if (endpoint.pool_id) bucket = (await this.lookup.poolBuckets(endpoint.pool_id))[0];
    if (!bucket) throw new StorageError('not_found', `bucket ${endpoint.storage_id ?? endpoint.pool_id} does not exist`);
    const key = `${bucket.kind}\0${bucket.id}\0${bucket.version}`;
    let driver = this.drivers.get(key);
    if (!driver) {
      driver = this.lookup.openDriver(bucket.kind, bucket.config);
      this.drivers.set(key, driver);
      driver.catch(() => this.drivers.delete(key));
    }
    return { storageId: bucket.id, driver: await driver };
  }

  async close(): Promise<void> {
    const all = [...this.drivers.values()];
    this.drivers.clear();
    await Promise.allSettled(all.map(async (d) => (await d).close()));
  }
}
