/**
 * Turns a task endpoint (a storage id or a pool id of some kind) into an open storage driver. The
 * engine asks; the composition root answers with the registry and the driver factories, so the engine
 * never knows how a share or a bucket is configured.
 */
import type { TaskEndpoint } from '../domain/task.js';
import type { StorageDriver } from '../storage/driver.js';
import type { FsCredentials } from '../storage/posix/fs-credentials.js';

export interface ResolvedStorage {
  /** The storage's id (a share or bucket), for the catalog and logs. */
  storageId: string;
  driver: StorageDriver;
}

/** How an execution's storages are opened. */
export interface ResolveOptions {
  /**
   * Run the file work of POSIX storages as this user and group (`options.context_uid`/`context_gid`):
   * such drivers are opened per (storage, context). Storages without users (S3, Azure) ignore it.
   */
  readonly context?: FsCredentials;
}

export interface StorageResolver {
  /** Opens (or reuses) the driver of an endpoint; throws a StorageError (`not_found`, `unsupported`) when it cannot. */
  resolve(endpoint: TaskEndpoint, options?: ResolveOptions): Promise<ResolvedStorage>;
  /** Closes every driver opened so far. */
  close(): Promise<void>;
}
