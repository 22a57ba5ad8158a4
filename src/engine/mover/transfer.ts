/**
 * One file, one pass: read the source, hash the bytes as they flow (when a checksum is asked), write
 * through the destination's atomic writer, and verify the stored bytes before they become visible.
 */
import { pipeline } from 'node:stream/promises';
import type { StorageDriver, TransferToOptions, WriteOptions } from '../../storage/driver.js';
import { StorageError, toStorageError } from '../../storage/errors.js';
import { HashingStream, createHasher, hashStream, type ChecksumAlgorithm } from '../../lib/hashing.js';
import type { WorkItem } from '../queue/work-item.js';

export interface TransferOptions {
  checksum: ChecksumAlgorithm | null;
  /** Give the copy the source object's own Object Lock (where both sides declare objectLock). */
  inheritLock?: boolean;
  resetFileDate: boolean;
  keepOwnership: boolean;
  /** Applied only where the destination declares the capability (see ExecutionContext's notes). */
  storageClass?: string | null;
  lock?: { mode: 'GOVERNANCE' | 'COMPLIANCE' | null; retentionDays: number | null; legalHold: boolean };
  now?: number;
  /**
   * Never replace a file that is at the destination when publishing (conflict_resolution ignore or
   * rename: the decision not to replace anything was taken when the file was planned), where the
   * destination declares `noReplace`.
   */
  noReplace?: boolean;
  signal: AbortSignal;
  onBytes: (n: number) => void;
}

export interface TransferResult {
  size: number;
  checksum: string | null;
}

/** What of the source's metadata the destination can take, by declared capability. */
export function writeOptions(item: WorkItem, dst: StorageDriver, opts: Pick<TransferOptions, 'resetFileDate' | 'keepOwnership' | 'signal' | 'storageClass' | 'lock' | 'now' | 'noReplace'>): WriteOptions {
  const f = dst.features;
  const lock = opts.lock;
  const locked = f.objectLock && lock && (lock.retentionDays !== null || lock.legalHold);
  // Object stores record attributes as metadata: keep the source's always (see attributesAsMetadata).
  const record = f.attributesAsMetadata;
  return {
    size: item.size,
    signal: opts.signal,
    ...((opts.resetFileDate || record) && f.mtimePrecisionMs !== null ? { mtimeMs: item.mtimeMs, ...(item.atimeMs !== undefined ? { atimeMs: item.atimeMs } : {}) } : {}),
    ...(f.permissions && item.mode !== undefined ? { mode: item.mode } : {}),
    ...((opts.keepOwnership || record) && f.setOwnership && item.uid !== undefined ? { uid: item.uid, gid: item.gid } : {}),
    ...(opts.storageClass && f.storageClasses.includes(opts.storageClass) ? { storageClass: opts.storageClass } : {}),
    ...(locked && lock.retentionDays !== null ? { retainUntilMs: (opts.now ?? Date.now()) + lock.retentionDays * 86_400_000, ...(lock.mode ? { lockMode: lock.mode } : {}) } : {}),
    ...(locked && lock.legalHold ? { legalHold: true } : {}),
    ...(opts.noReplace && f.noReplace ? { noReplace: true } : {}),
  };
}

/**
 * What of {@link writeOptions} depends only on the destination and the task, not on the file: decided
 * once for a group of files (batch-transfer.ts). Why: building each small file's options with object
 * spreads was a visible share of the engine thread's CPU per file (issue #14).
 */
export interface WritePolicy {
  readonly times: boolean;
  readonly mode: boolean;
  readonly owner: boolean;
  readonly storageClass: string | undefined;
  readonly retainUntilMs: number | undefined;
  readonly lockMode: 'GOVERNANCE' | 'COMPLIANCE' | undefined;
  readonly legalHold: true | undefined;
  readonly noReplace: true | undefined;
}

/** The file-independent decisions of {@link writeOptions} (same rules, evaluated once). */
export function writePolicy(dst: StorageDriver, opts: Pick<TransferOptions, 'resetFileDate' | 'keepOwnership' | 'storageClass' | 'lock' | 'now' | 'noReplace'>): WritePolicy {
  const f = dst.features;
  const lock = opts.lock;
  const locked = f.objectLock && lock !== undefined && (lock.retentionDays !== null || lock.legalHold);
  const record = f.attributesAsMetadata;
  const retain = locked && lock.retentionDays !== null;
  return {
    times: (opts.resetFileDate || record) && f.mtimePrecisionMs !== null,
    mode: f.permissions,
    owner: (opts.keepOwnership || record) && f.setOwnership,
    storageClass: opts.storageClass && f.storageClasses.includes(opts.storageClass) ? opts.storageClass : undefined,
    retainUntilMs: retain ? (opts.now ?? Date.now()) + lock.retentionDays! * 86_400_000 : undefined,
    lockMode: retain && lock.mode ? lock.mode : undefined,
    legalHold: locked && lock.legalHold ? true : undefined,
    noReplace: opts.noReplace && f.noReplace ? true : undefined,
  };
}

/**
 * A file's write options under a {@link WritePolicy}: what {@link writeOptions} gives (without
 * `signal`), every field always present (undefined: not given) so that every file's options have one
 * shape, plus the in-flight `checksum`.
 */
export function policyOptions(p: WritePolicy, item: WorkItem, checksum: ChecksumAlgorithm | null): Omit<TransferToOptions, 'signal' | 'onBytes'> {
  const owner = p.owner && item.uid !== undefined;
  return {
    size: item.size,
    mtimeMs: p.times ? item.mtimeMs : undefined,
    atimeMs: p.times ? item.atimeMs : undefined,
    mode: p.mode ? item.mode : undefined,
    uid: owner ? item.uid : undefined,
    gid: owner ? item.gid : undefined,
    storageClass: p.storageClass,
    retainUntilMs: p.retainUntilMs,
    lockMode: p.lockMode,
    legalHold: p.legalHold,
    noReplace: p.noReplace,
    checksum,
  };
}

/**
 * `inherit_object_lock_from_source`: the source object's retention (while it runs) and legal hold are
 * given to its copy, taking precedence over the task's own lock options; where the source has none, the
 * task's apply. Costs one `stat` per file, and only when both sides declare objectLock.
 */
async function withInheritedLock(options: WriteOptions, src: StorageDriver, srcPath: string, dst: StorageDriver, opts: TransferOptions): Promise<WriteOptions> {
  if (!opts.inheritLock || !src.features.objectLock || !dst.features.objectLock) return options;
  const lock = (await src.stat(srcPath, { signal: opts.signal }))?.lock;
  if (!lock) return options;
  const retain = lock.retainUntilMs !== undefined && lock.retainUntilMs > Date.now();
  return {
    ...options,
    ...(retain ? { retainUntilMs: lock.retainUntilMs, lockMode: lock.mode ?? options.lockMode } : {}),
    ...(lock.legalHold ? { legalHold: true } : {}),
  };
}

/** Copies `srcPath` to `dstPath`; on any failure nothing is left at the destination. */
export async function transferFile(src: StorageDriver, srcPath: string, dst: StorageDriver, dstPath: string, item: WorkItem, opts: TransferOptions): Promise<TransferResult> {
  const base = writeOptions(item, dst, opts);
  const options = opts.inheritLock ? await withInheritedLock(base, src, srcPath, dst, opts) : base;
  if (src.transferTo) {
    // The source driver's fast path to this destination, when it has one (same guarantees, see driver.ts).
    const fast = await src.transferTo(srcPath, dst, dstPath, { ...options, checksum: opts.checksum, onBytes: opts.onBytes });
    if (fast) return fast;
  }
  const read = await src.openRead(srcPath, { signal: opts.signal });
  // An abort between here and pipeline() destroys the stream with an error nobody listens to yet:
  // without this listener that is an uncaught exception (a crashed server). pipeline() still sees it.
  read.on('error', () => {});
  let writer;
  try {
    writer = await dst.openWrite(dstPath, options);
  } catch (err) {
    read.destroy();
    throw toStorageError(err, dstPath);
  }
  const hashing = new HashingStream(opts.checksum ? await createHasher(opts.checksum) : null, opts.onBytes);
  try {
    await pipeline(read, hashing, writer.stream);
  } catch (err) {
    await writer.abort(err);
    throw toStorageError(err, srcPath);
  }
  const digest = hashing.digest();
  const algorithm = opts.checksum;
  await writer.commit({
    verify: algorithm
      ? async (stored) => {
          const back = await hashStream(stored, algorithm);
          if (back.digest !== digest || back.bytes !== hashing.bytes) {
            throw new StorageError('checksum_mismatch', `checksum mismatch on ${dstPath}: read ${digest}, stored ${back.digest}`, { path: dstPath });
          }
        }
      : undefined,
  });
  return { size: hashing.bytes, checksum: digest };
}

/** Hashes a stored object (check_consistency, scan). */
export async function checksumOf(driver: StorageDriver, path: string, algorithm: ChecksumAlgorithm, signal: AbortSignal): Promise<{ digest: string; bytes: number }> {
  const stream = await driver.openRead(path, { signal });
  stream.on('error', () => {}); // surfaced by the iteration below; never uncaught
  return hashStream(stream, algorithm);
}
