/**
 * Turns a task endpoint (a storage id or a pool id of some kind) into an open storage driver. The
 * engine asks; the composition root answers with the registry and the driver factories, so the engine
 * never knows how a share or a bucket is configured.
 */
import type { TaskEndpoint } from '../domain/task.js';
import type { StorageDriver } from '../storage/driver.js';

export interface ResolvedStorage {
  /** The storage's id (a share or bucket), for the catalog and logs. */
  storageId: string;
  driver: StorageDriver;
}

export interface StorageResolver {
  /** Opens (or reuses) the driver of an endpoint; throws a StorageError (`not_found`, `unsupported`) when it cannot. */
  resolve(endpoint: TaskEndpoint): Promise<ResolvedStorage>;
  /** Closes every driver opened so far. */
  close(): Promise<void>;
}
