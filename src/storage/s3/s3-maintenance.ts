/**
 * The S3 driver's maintenance operations: crash recovery (`cleanupTemp`) and restores from cold storage
 * (`restore`). Why a separate module: they scan or poll the bucket rather than serve a transfer, and keeping
 * them apart keeps s3-driver.ts about the data path.
 */
import { RestoreObjectCommand } from '@aws-sdk/client-s3';
import type { HeadObjectCommandOutput } from '@aws-sdk/client-s3';
import type { RestoreResult, SignalOptions, TempCleanupOptions, TempCleanupResult } from '../driver.js';
import { ROOT_PATH } from '../paths.js';
import type { ObjectDriverCore } from '../object/driver-core.js';
import { restoreDays, scanTempObjects, wantedTemp } from '../object/temp-cleanup.js';
import { classifyS3Error, s3ErrorCode, s3HttpStatus } from './s3-errors.js';
import { COLD_STORAGE_CLASSES, parseRestoreHeader } from './s3-meta.js';
import type { ListedObject, S3Objects } from './s3-objects.js';

/** The driver core over S3's HEAD output. */
export type S3Core = ObjectDriverCore<HeadObjectCommandOutput>;

/**
 * Temporary objects (`.<name>.barge-<id>.part`) last modified at least `minAgeMs` ago AND unfinished
 * multipart uploads initiated at least `minAgeMs` ago under `norm` (any key: a writer that died mid-upload,
 * an interrupted multipart copy, another tool's abandoned upload), except those of the driver's live
 * writers and copies. Reported bytes: the object size, or the parts uploaded so far. Temporary objects are
 * deleted by version, so a versioned bucket keeps no trace of them. A directory holding nothing but an
 * unfinished upload has no key at all; it still counts as existing here, since that upload is exactly what
 * crash recovery is after.
 */
export async function cleanupTemp(objects: S3Objects, core: S3Core, norm: string, options: TempCleanupOptions): Promise<TempCleanupResult> {
  const { recursive = true, minAgeMs = 0, dryRun = false, signal } = options;
  const root = core.keyPrefix;
  const prefix = core.dirPrefix(norm);
  const now = Date.now();
  const scan = await scanTempObjects<ListedObject>({
    page: async (p, delimited, token) => {
      const page = await objects.listPage(p, delimited, token, norm, signal);
      return { objects: page.objects, any: page.objects.length > 0 || page.prefixes.length > 0, next: page.next };
    },
    sizeOf: async (o) => o.size,
    remove: async (o, rel) => objects.deleteKey(o.key, rel, (await objects.head(o.key, rel, signal))?.VersionId),
  }, prefix, root, norm, core.liveTemps, options);
  const wanted = wantedTemp(options.names);
  for await (const u of objects.uploads(prefix, norm, signal)) {
    scan.seen = true;
    const rel = u.key.slice(root.length);
    if (!recursive && u.key.slice(prefix.length).includes('/')) continue;
    if (!wanted(u.key.slice(u.key.lastIndexOf('/') + 1))) continue;
    if (core.liveTemps.has(u.key) || objects.liveUploads.has(u.uploadId)) continue;
    if (u.initiated !== undefined && now - u.initiated.getTime() < minAgeMs) continue;
    const uploaded = await objects.uploadedBytes(u.key, u.uploadId, rel).catch(() => 0);
    if (!dryRun) await objects.abortUpload(u.key, u.uploadId, rel);
    scan.paths.push(rel);
    scan.bytes += uploaded;
  }
  if (!scan.seen && norm !== ROOT_PATH) throw await core.missingDirectory(norm, signal);
  return { paths: scan.paths, bytes: scan.bytes };
}

/**
 * `features.restoreFromCold`: objects outside GLACIER/DEEP_ARCHIVE are `available`; otherwise HeadObject's
 * `x-amz-restore` header tells a restore in progress from a readable copy, and without it a RestoreObject
 * (`days`, default 1, at the configured tier) is issued: 202 → `restoring`, 200 (already restored) →
 * `available`, RestoreAlreadyInProgress → `restoring`.
 */
export async function restoreObject(objects: S3Objects, core: S3Core, norm: string, tier: 'Standard' | 'Bulk' | 'Expedited',
  options: SignalOptions & { readonly days?: number }): Promise<RestoreResult> {
  const { signal } = options;
  const days = restoreDays(options.days, norm);
  const head = await core.object(norm, signal);
  const state = parseRestoreHeader(head.Restore);
  if (state !== undefined) return { state };
  if (!COLD_STORAGE_CLASSES.has(head.StorageClass ?? 'STANDARD')) return { state: 'available' };
  try {
    const res = await objects.client.send(new RestoreObjectCommand({
      Bucket: objects.bucket, Key: core.key(norm), RestoreRequest: { Days: days, GlacierJobParameters: { Tier: tier } },
    }), { abortSignal: signal });
    return { state: res.$metadata.httpStatusCode === 200 ? 'available' : 'restoring' };
  } catch (err) {
    if (s3ErrorCode(err) === 'RestoreAlreadyInProgress' || (s3HttpStatus(err) === 409 && s3ErrorCode(err) === undefined)) return { state: 'restoring' };
    throw classifyS3Error(err, norm);
  }
}
