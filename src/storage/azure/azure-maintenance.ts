/**
 * The Azure driver's maintenance operations: crash recovery (`cleanupTemp`) and rehydration of archived
 * blobs (`restore`). Why a separate module: they scan or poll the container rather than serve a transfer.
 */
import type { RestoreResult, SignalOptions, TempCleanupOptions, TempCleanupResult } from '../driver.js';
import { ROOT_PATH } from '../paths.js';
import type { ObjectDriverCore } from '../object/driver-core.js';
import { restoreDays, scanTempObjects } from '../object/temp-cleanup.js';
import type { AzureBlobs } from './azure-blobs.js';
import type { BlobInfo } from './azure-meta.js';
import { rehydrationState } from './azure-meta.js';

/** The driver core over Azure's blob properties. */
export type AzureCore = ObjectDriverCore<BlobInfo>;

/**
 * Temporary blobs (`.<name>.barge-<id>.part`) under `norm` last modified at least `minAgeMs` ago, except
 * those of the driver's live writers: committed ones, and those holding only staged blocks of a writer that
 * died before its Put Block List (listed with the uncommitted blobs; their blocks would otherwise linger
 * for a week). Reported bytes: the blob's size, or the bytes of its staged blocks.
 */
export async function cleanupTemp(blobs: AzureBlobs, core: AzureCore, norm: string, options: TempCleanupOptions): Promise<TempCleanupResult> {
  const { signal } = options;
  const scan = await scanTempObjects({
    page: async (prefix, delimited, token) => {
      const page = await blobs.listPage(prefix, delimited, token, norm, signal, { uncommitted: true });
      return {
        objects: page.blobs.map((b) => ({ key: b.key, lastModified: b.info.lastModified, size: b.info.size })),
        any: page.blobs.length > 0 || page.prefixes.length > 0,
        next: page.next,
      };
    },
    sizeOf: async (b, rel) => (b.size > 0 ? b.size : blobs.uncommittedBytes(b.key, rel, signal)),
    remove: async (b, rel) => {
      await blobs.remove(b.key, rel, { uncommitted: true, signal });
    },
  }, core.dirPrefix(norm), core.keyPrefix, norm, core.liveTemps, options);
  if (!scan.seen && norm !== ROOT_PATH) throw await core.missingDirectory(norm, signal);
  return { paths: scan.paths, bytes: scan.bytes };
}

/**
 * `features.restoreFromCold`: a blob outside the Archive tier is `available`; one being rehydrated is
 * `restoring`; otherwise a rehydration to `rehydrateTier` is asked (Set Blob Tier; priority High for the
 * `Expedited` tier, Standard otherwise) and the blob read again: Azure answers `restoring` for hours,
 * Azurite rehydrates at once. `days` has no meaning on Azure: a rehydrated blob stays in its new tier for
 * good (the engine says so in the execution log, see `DriverFeatures.restoreExpires`); it is still checked
 * like on every driver.
 */
export async function rehydrate(blobs: AzureBlobs, core: AzureCore, norm: string, rehydrateTier: string,
  options: SignalOptions & { readonly days?: number; readonly tier?: 'Standard' | 'Bulk' | 'Expedited' }): Promise<RestoreResult> {
  const { signal } = options;
  restoreDays(options.days, norm);
  const key = core.key(norm);
  const info = await core.object(norm, signal);
  const state = rehydrationState(info);
  if (state !== 'archived') return { state };
  await blobs.setTier(key, rehydrateTier, options.tier === 'Expedited' ? 'High' : 'Standard', norm, signal);
  const after = await blobs.head(key, norm, signal);
  return { state: after !== null && rehydrationState(after) === 'available' ? 'available' : 'restoring' };
}
