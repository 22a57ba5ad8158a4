/**
 * The process-wide copy pool (copy-pool.ts) and its settings. Why a module of its own: the composition
 * root sizes it once from configuration, and the posix drivers and file threads that were given no
 * pool of their own reach it here.
 */
import { CopyPool, type CopyPoolOptions } from './copy-pool.js';

/** Default worker count of the shared pool (see `configureSharedCopyPool`). */
export const DEFAULT_COPY_WORKERS = 4;

let shared: CopyPool | undefined;
let sharedOptions: CopyPoolOptions = { workers: DEFAULT_COPY_WORKERS };

/**
 * The process-wide pool used by posix drivers that were not given one. Why process-wide: like libuv's
 * thread pool, the threads are a resource of the process shared by every storage, not of a storage.
 */
export function sharedCopyPool(): CopyPool {
  shared ??= new CopyPool(sharedOptions);
  return shared;
}

/** Size the shared pool (composition root, from configuration); takes effect if it has not started yet. */
export function configureSharedCopyPool(options: CopyPoolOptions): void {
  if (shared === undefined) sharedOptions = options;
}

/**
 * Whether the native addon may be used (config.ts `BARGE_NATIVE_COPY`, given to
 * configureSharedCopyPool): read by the file threads and the credentialed pools, which have no config
 * of their own, so that the setting is parsed once.
 */
export function sharedNativeCopy(): boolean {
  return sharedOptions.nativeCopy ?? true;
}

/** The copy workers' niceness (config.ts `BARGE_COPY_NICE`), for the credentialed pools as for the shared one. */
export function sharedCopyNice(): number {
  return sharedOptions.nice ?? 0;
}
