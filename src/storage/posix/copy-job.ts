/**
 * One whole-file copy between two posix roots as blocking syscalls: the body of a copy worker.
 *
 * Why synchronous, on a worker thread: a small file through the stream pipeline costs ~17 libuv round
 * trips and fresh buffers, which made Barge CPU-bound at ~500 files/s; here a file is ~12 plain
 * syscalls into one reused buffer, and the event loop only sees one message per file. The steps keep
 * the posix writer's guarantees (data-safety rules 1 and 2, docs/architecture.md):
 *   open source (O_NOFOLLOW after confinement) → open `.<name>.barge-<id>.part` (O_EXCL) in the real,
 *   checked target directory → read/hash/write in chunks → size check → owner, mode, times → verify:
 *   re-read the stored temp file and compare its digest (stageCopyJob) → make it durable (fsync, or one
 *   syncfs for a whole message) → rename over the target, or link beside it with noReplace (publishStaged,
 *   publish.ts) → make the rename durable
 *   (copy-worker.ts). Any failure or abort removes the temp file; nothing is visible before the rename.
 */
import {
  closeSync, constants, fchmodSync, fchownSync, fstatSync, fsyncSync, futimesSync, openSync, readSync, unlinkSync, writeSync,
} from 'node:fs';
import { join } from 'node:path';
import type { ChecksumAlgorithm, Hasher } from '../../lib/hashing.js';
import { StorageError, classifyFsError } from '../errors.js';
import { openSourceSync, writeTargetSync } from './sync-confine.js';
import { publishSync } from './publish.js';

/** What to copy; paths are normalized storage paths, roots real host paths. */
export interface CopyJob {
  readonly srcRoot: string;
  readonly srcPath: string;
  readonly dstRoot: string;
  readonly dstPath: string;
  /** Temp name chosen (and registered as live) by the driver that asked. */
  readonly tempName: string;
  readonly checksum: ChecksumAlgorithm | null;
  readonly fsync: boolean;
  /** Expected byte count (`size_mismatch` otherwise), as `WriteOptions.size`. */
  readonly size?: number;
  readonly mode?: number;
  readonly uid?: number;
  readonly gid?: number;
  readonly mtimeMs?: number;
  readonly atimeMs?: number;
  /** WriteOptions.noReplace: publish with link, never over something that appeared (publish.ts). */
  readonly noReplace?: boolean;
}

export interface CopyJobResult {
  readonly size: number;
  readonly checksum: string | null;
  /** Real directory the file was renamed into: with `fsync`, the caller must fsync it before reporting success. */
  readonly dir: string;
}

/** What the job needs from its host thread. */
export interface CopyJobEnv {
  /** Reused for every chunk; its length is the chunk size. */
  readonly buffer: Buffer;
  /** Fresh hashers (one for the read pass, one for the verification) when `checksum` is set. */
  hasher(algorithm: ChecksumAlgorithm): Hasher;
  /** Polled between chunks and before publishing. */
  aborted(): boolean;
  /** Bytes copied since the last call (called per chunk). */
  progress(bytes: number): void;
}

function check(env: CopyJobEnv, path: string): void {
  if (env.aborted()) throw new StorageError('aborted', 'operation aborted', { path });
}

function closeQuietly(fd: number | undefined): void {
  if (fd === undefined) return;
  try {
    closeSync(fd);
  } catch {
    // already reported through the operation that failed
  }
}

function writeAllSync(fd: number, buf: Buffer, length: number): void {
  for (let off = 0; off < length;) {
    const n = writeSync(fd, buf, off, length - off);
    if (n <= 0) throw new StorageError('io', 'write made no progress');
    off += n;
  }
}

/**
 * A copy written and verified under its temporary name in the real target directory: not yet visible.
 * Why a stage of its own: a worker stages a whole message of small files, makes them durable together
 * (one syncfs, fs-sync.ts), then publishes them — see copy-worker.ts.
 */
export interface StagedCopy {
  readonly temp: string;
  /** Real host path the temp file is renamed to. */
  readonly full: string;
  /** Real directory holding both. */
  readonly dir: string;
  readonly size: number;
  readonly checksum: string | null;
  /** File system (st_dev) of the temp file: what one syncfs covers. */
  readonly dev: number;
  /** Descriptor of the temp file, opened before its bytes were written; undefined once closed. */
  fd: number | undefined;
}

/**
 * Writes the source into a new temporary file beside the target (O_EXCL), hashing in the same pass,
 * applies owner/mode/times, and verifies the stored bytes. Nothing is made durable or visible. On
 * failure nothing is left behind; throws a StorageError (path: the side that failed).
 */
export function stageCopyJob(job: CopyJob, env: CopyJobEnv): StagedCopy {
  let srcFd: number | undefined;
  let tmpFd: number | undefined;
  let temp: string | undefined;
  let side = job.srcPath;
  try {
    srcFd = openSourceSync(job.srcRoot, job.srcPath);
    const st = fstatSync(srcFd);
    if (st.isDirectory()) throw new StorageError('is_a_directory', 'is a directory', { path: job.srcPath });
    if (!st.isFile()) throw new StorageError('unsupported', 'not a regular file', { path: job.srcPath });
    side = job.dstPath;
    const target = writeTargetSync(job.dstRoot, job.dstPath);
    check(env, job.dstPath);
    temp = join(target.dir, job.tempName);
    tmpFd = openSync(temp, constants.O_RDWR | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o666);

    const { buffer } = env;
    const hash = job.checksum ? env.hasher(job.checksum) : null;
    let size = 0;
    for (;;) {
      side = job.srcPath;
      const n = readSync(srcFd, buffer, 0, buffer.length, null);
      if (n === 0) break;
      hash?.update(buffer.subarray(0, n));
      side = job.dstPath;
      writeAllSync(tmpFd, buffer, n);
      size += n;
      env.progress(n);
      check(env, job.dstPath);
    }
    closeQuietly(srcFd);
    srcFd = undefined;
    side = job.dstPath;
    if (job.size !== undefined && job.size !== size) {
      throw new StorageError('size_mismatch', `expected ${job.size} bytes, wrote ${size}`, { path: job.dstPath });
    }
    const own = fstatSync(tmpFd);
    if (job.uid !== undefined || job.gid !== undefined) fchownSync(tmpFd, job.uid ?? own.uid, job.gid ?? own.gid);
    if (job.mode !== undefined) fchmodSync(tmpFd, job.mode);
    if (job.mtimeMs !== undefined || job.atimeMs !== undefined) {
      const now = Date.now();
      futimesSync(tmpFd, (job.atimeMs ?? now) / 1000, (job.mtimeMs ?? now) / 1000);
    }
    const digest = hash?.digest() ?? null;
    if (job.checksum && digest !== null) verifyStored(tmpFd, size, job, env, digest);
    return { temp, full: target.full, dir: target.dir, size, checksum: digest, dev: own.dev, fd: tmpFd };
  } catch (err) {
    closeQuietly(srcFd);
    closeQuietly(tmpFd);
    if (temp !== undefined) unlinkQuietly(temp);
    throw classifyFsError(err, side);
  }
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // gone already, or the directory is unusable: cleanupTemp() finds leftovers
  }
}

/** Closes the staged file's descriptor (idempotent). */
export function closeStaged(staged: StagedCopy): void {
  const fd = staged.fd;
  staged.fd = undefined;
  if (fd !== undefined) closeSync(fd);
}

/** Closes the staged file's descriptor, ignoring a failure (its outcome is decided elsewhere). */
export function closeStagedQuietly(staged: StagedCopy): void {
  const fd = staged.fd;
  staged.fd = undefined;
  closeQuietly(fd);
}

/**
 * Removes a staged copy that will not be published (idempotent, never throws). `keepFd`: its descriptor
 * stays open — a group commit still syncs the file system through it (copy-worker.ts).
 */
export function discardStaged(staged: StagedCopy, opts: { keepFd?: boolean } = {}): void {
  if (!opts.keepFd) closeStagedQuietly(staged);
  unlinkQuietly(staged.temp);
}

/**
 * Makes the staged copy visible: rename over the target. The caller has made its bytes durable first
 * (fsync or syncfs) and makes the rename durable after (the directory's fsync, or a syncfs). Throws a
 * StorageError; the staged copy is then still there for {@link discardStaged}.
 */
export function publishStaged(staged: StagedCopy, job: CopyJob, env: CopyJobEnv): CopyJobResult {
  try {
    check(env, job.dstPath);
    publishSync(staged.temp, staged.full, job.noReplace === true, job.dstPath);
    return { size: staged.size, checksum: staged.checksum, dir: staged.dir };
  } catch (err) {
    throw classifyFsError(err, job.dstPath);
  }
}

/**
 * One file on its own: stage, fsync the file (when `job.fsync`), close, publish. The directory fsync
 * that makes the rename durable is left to the caller (copy-worker.ts groups them).
 */
export function runCopyJob(job: CopyJob, env: CopyJobEnv): CopyJobResult {
  const staged = stageCopyJob(job, env);
  try {
    if (job.fsync) fsyncSync(staged.fd as number);
    closeStaged(staged);
    return publishStaged(staged, job, env);
  } catch (err) {
    discardStaged(staged);
    throw classifyFsError(err, job.dstPath);
  }
}

/** Data-safety rule 2: the digest of the bytes now stored must equal the one of the bytes read. */
function verifyStored(fd: number, size: number, job: CopyJob, env: CopyJobEnv, digest: string): void {
  const back = env.hasher(job.checksum as ChecksumAlgorithm);
  const { buffer } = env;
  let pos = 0;
  for (;;) {
    const n = readSync(fd, buffer, 0, buffer.length, pos);
    if (n === 0) break;
    back.update(buffer.subarray(0, n));
    pos += n;
    check(env, job.dstPath);
  }
  const stored = back.digest();
  if (stored !== digest || pos !== size) {
    throw new StorageError('checksum_mismatch', `checksum mismatch on ${job.dstPath}: read ${digest}, stored ${stored}`, { path: job.dstPath });
  }
}
