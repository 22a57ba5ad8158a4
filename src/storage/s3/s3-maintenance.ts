/**
 * The S3 driver's maintenance operations: crash recovery (`cleanupTemp`) and restores from cold storage
 * (`restore`). Why a separate module: they scan or poll the bucket rather than serve a transfer, and keeping
 * them apart keeps s3-driver.ts about the data path.
 */
import { RestoreObjectCommand } from '@aws-sdk/client-s3';
import type { RestoreResult, SignalOptions, TempCleanupOptions, TempCleanupResult } from '../driver.js';
import { StorageError, throwIfAborted } from '../errors.js';
import { ROOT_PATH, isTempFor, isTempName } from '../paths.js';
import { classifyS3Error, s3ErrorCode, s3HttpStatus } from './s3-errors.js';
import { COLD_STORAGE_CLASSES, parseRestoreHeader } from './s3-meta.js';
import type { S3Objects } from './s3-objects.js';

/** What the maintenance operations need from the driver. */
export interface MaintenanceContext {
  readonly objects: S3Objects;
  /** Temporary keys of the driver's live writers. */
  readonly liveTemps: ReadonlySet<string>;
  /** Key of a (normalized) storage path. */
  key(norm: string): string;
  /** Key prefix of a directory's children. */
  dirPrefix(norm: string): string;
  /** True if anything lies under the directory. */
  isDir(norm: string, signal?: AbortSignal): Promise<boolean>;
}

async function missingDirectoryError(ctx: MaintenanceContext, norm: string, signal?: AbortSignal): Promise<StorageError> {
  if ((await ctx.objects.head(ctx.key(norm), norm, signal)) !== null) return new StorageError('not_a_directory', 'not a directory', { path: norm });
  return new StorageError('not_found', 'no such directory', { path: norm });
}

/**
 * Temporary objects (`.<name>.barge-<id>.part`) last modified at least `minAgeMs` ago AND unfinished
 * multipart uploads initiated at least `minAgeMs` ago under `norm` (any key: a writer that died mid-upload,
 * an interrupted multipart copy, another tool's abandoned upload), except those of the driver's live
 * writers and copies. Reported bytes: the object size, or the parts uploaded so far. Temporary objects are
 * deleted by version, so a versioned bucket keeps no trace of them. A directory holding nothing but an
 * unfinished upload has no key at all; it still counts as existing here, since that upload is exactly what
 * crash recovery is after.
 */
export async function cleanupTemp(ctx: MaintenanceContext, norm: string, root: string, options: TempCleanupOptions): Promise<TempCleanupResult> {
  const { recursive = true, minAgeMs = 0, dryRun = false, signal, names } = options;
  const wanted = (base: string) => names === undefined || names.some((n) => isTempFor(base, n) || base === n);
  const { objects } = ctx;
  const prefix = ctx.dirPrefix(norm);
  const now = Date.now();
  const paths: string[] = [];
  let bytes = 0;
  let seen = false;
  let token: string | undefined;
  do {
    const page = await objects.listPage(prefix, !recursive, token, norm, signal);
    seen ||= page.objects.length > 0 || page.prefixes.length > 0;
    for (const o of page.objects) {
      throwIfAborted(signal, norm);
      const rel = o.key.slice(root.length);
      const base = rel.slice(rel.lastIndexOf('/') + 1);
      if (!isTempName(base) || !wanted(base) || ctx.liveTemps.has(o.key)) continue;
      if (o.lastModified !== undefined && now - o.lastModified.getTime() < minAgeMs) continue;
      if (!dryRun) await objects.deleteKey(o.key, rel, (await objects.head(o.key, rel, signal))?.VersionId);
      paths.push(rel);
      bytes += o.size;
    }
    token = page.next;
  } while (token !== undefined);
  for await (const u of objects.uploads(prefix, norm, signal)) {
    seen = true;
    const rel = u.key.slice(root.length);
    if (!recursive && u.key.slice(prefix.length).includes('/')) continue;
    if (!wanted(u.key.slice(u.key.lastIndexOf('/') + 1))) continue;
    if (ctx.liveTemps.has(u.key) || objects.liveUploads.has(u.uploadId)) continue;
    if (u.initiated !== undefined && now - u.initiated.getTime() < minAgeMs) continue;
    const uploaded = await objects.uploadedBytes(u.key, u.uploadId, rel).catch(() => 0);
    if (!dryRun) await objects.abortUpload(u.key, u.uploadId, rel);
    paths.push(rel);
    bytes += uploaded;
  }
  if (!seen && norm !== ROOT_PATH) throw await missingDirectoryError(ctx, norm, signal);
  return { paths, bytes };
}

/**
 * `features.restoreFromCold`: objects outside GLACIER/DEEP_ARCHIVE are `available`; otherwise HeadObject's
 * `x-amz-restore` header tells a restore in progress from a readable copy, and without it a RestoreObject
 * (`days`, default 1, at the configured tier) is issued: 202 → `restoring`, 200 (already restored) →
 * `available`, RestoreAlreadyInProgress → `restoring`.
 */
export async function restoreObject(ctx: MaintenanceContext, norm: string, tier: 'Standard' | 'Bulk' | 'Expedited',
  options: SignalOptions & { readonly days?: number }): Promise<RestoreResult> {
  const { signal, days = 1 } = options;
  const { objects } = ctx;
  if (!Number.isSafeInteger(days) || days < 1) throw new StorageError('invalid_argument', 'days must be a positive integer', { path: norm });
  const head = norm === ROOT_PATH ? null : await objects.head(ctx.key(norm), norm, signal);
  if (head === null) {
    if (await ctx.isDir(norm, signal)) throw new StorageError('is_a_directory', 'is a directory', { path: norm });
    throw new StorageError('not_found', 'no such object', { path: norm });
  }
  const state = parseRestoreHeader(head.Restore);
  if (state !== undefined) return { state };
  if (!COLD_STORAGE_CLASSES.has(head.StorageClass ?? 'STANDARD')) return { state: 'available' };
  try {
    const res = await objects.client.send(new RestoreObjectCommand({
      Bucket: objects.bucket, Key: ctx.key(norm), RestoreRequest: { Days: days, GlacierJobParameters: { Tier: tier } },
    }), { abortSignal: signal });
    return { state: res.$metadata.httpStatusCode === 200 ? 'available' : 'restoring' };
  } catch (err) {
    if (s3ErrorCode(err) === 'RestoreAlreadyInProgress' || (s3HttpStatus(err) === 409 && s3ErrorCode(err) === undefined)) return { state: 'restoring' };
    throw classifyS3Error(err, norm);
  }
}
