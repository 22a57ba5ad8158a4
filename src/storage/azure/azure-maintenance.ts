/**
 * The Azure driver's maintenance operations: crash recovery (`cleanupTemp`) and rehydration of archived
 * blobs (`restore`). Why a separate module: they scan or poll the container rather than serve a transfer.
 */
import type { RestoreResult, SignalOptions, TempCleanupOptions, TempCleanupResult } from '../driver.js';
import { StorageError, throwIfAborted } from '../errors.js';
import { ROOT_PATH, isTempFor, isTempName } from '../paths.js';
import type { AzureBlobs } from './azure-blobs.js';
import { rehydrationState } from './azure-meta.js';

/** What the maintenance operations need from the driver. */
export interface MaintenanceContext {
  readonly blobs: AzureBlobs;
  /** Temporary keys of the driver's live writers. */
  readonly liveTemps: ReadonlySet<string>;
  key(norm: string): string;
  dirPrefix(norm: string): string;
  isDir(norm: string, signal?: AbortSignal): Promise<boolean>;
}

/**
 * Temporary blobs (`.<name>.barge-<id>.part`) under `norm` last modified at least `minAgeMs` ago, except
 * those of the driver's live writers: committed ones, and those holding only staged blocks of a writer that
 * died before its Put Block List (listed with the uncommitted blobs; their blocks would otherwise linger
 * for a week). Reported bytes: the blob's size, or the bytes of its staged blocks.
 */
export async function cleanupTemp(ctx: MaintenanceContext, norm: string, root: string, options: TempCleanupOptions): Promise<TempCleanupResult> {
  const { recursive = true, minAgeMs = 0, dryRun = false, signal, names } = options;
  const wanted = (base: string): boolean => names === undefined || names.some((n) => isTempFor(base, n) || base === n);
  const { blobs } = ctx;
  const prefix = ctx.dirPrefix(norm);
  const now = Date.now();
  const paths: string[] = [];
  let bytes = 0;
  let seen = false;
  let token: string | undefined;
  do {
    const page = await blobs.listPage(prefix, !recursive, token, norm, signal, { uncommitted: true });
    seen ||= page.blobs.length > 0 || page.prefixes.length > 0;
    for (const b of page.blobs) {
      throwIfAborted(signal, norm);
      const rel = b.key.slice(root.length);
      const base = rel.slice(rel.lastIndexOf('/') + 1);
      if (!isTempName(base) || !wanted(base) || ctx.liveTemps.has(b.key)) continue;
      if (b.info.lastModified !== undefined && now - b.info.lastModified.getTime() < minAgeMs) continue;
      const size = b.info.size > 0 ? b.info.size : await blobs.uncommittedBytes(b.key, rel, signal);
      if (!dryRun) await blobs.remove(b.key, rel, { uncommitted: true, signal });
      paths.push(rel);
      bytes += size;
    }
    token = page.next;
  } while (token !== undefined);
  if (!seen && norm !== ROOT_PATH) {
    if ((await blobs.head(ctx.key(norm), norm, signal)) !== null) throw new StorageError('not_a_directory', 'not a directory', { path: norm });
    throw new StorageError('not_found', 'no such directory', { path: norm });
  }
  return { paths, bytes };
}

/**
 * `features.restoreFromCold`: a blob outside the Archive tier is `available`; one being rehydrated is
 * `restoring`; otherwise a rehydration to `rehydrateTier` is asked (Set Blob Tier; priority High for the
 * `Expedited` tier, Standard otherwise) and the blob read again: Azure answers `restoring` for hours,
 * Azurite rehydrates at once. `days` has no meaning on Azure: a rehydrated blob stays in its new tier for
 * good (the engine says so in the execution log, see `DriverFeatures.restoreExpires`); it is still checked
 * like on every driver.
 */
export async function rehydrate(ctx: MaintenanceContext, norm: string, rehydrateTier: string,
  options: SignalOptions & { readonly days?: number; readonly tier?: 'Standard' | 'Bulk' | 'Expedited' }): Promise<RestoreResult> {
  const { signal, days = 1 } = options;
  if (!Number.isSafeInteger(days) || days < 1) throw new StorageError('invalid_argument', 'days must be a positive integer', { path: norm });
  const { blobs } = ctx;
  const key = ctx.key(norm);
  const info = norm === ROOT_PATH ? null : await blobs.head(key, norm, signal);
  if (info === null) {
    if (await ctx.isDir(norm, signal)) throw new StorageError('is_a_directory', 'is a directory', { path: norm });
    throw new StorageError('not_found', 'no such object', { path: norm });
  }
  const state = rehydrationState(info);
  if (state !== 'archived') return { state };
  await blobs.setTier(key, rehydrateTier, options.tier === 'Expedited' ? 'High' : 'Standard', norm, signal);
  const after = await blobs.head(key, norm, signal);
  return { state: after !== null && rehydrationState(after) === 'available' ? 'available' : 'restoring' };
}
