/**
 * The native batch copier (native/copier.c, issue #14): loader, the packing of a worker request's jobs
 * into its arguments (numbers in a Float64Array, strings by index), and the reading of its answers.
 *
 * Why an addon: a copy worker spent ~60–110 µs of CPU per small file in JavaScript around the ~15
 * syscalls of a copy (confinement lstats, fstats, Buffer and StorageError plumbing, hashers); one
 * native call per message runs the same steps — the copy-worker.ts group commit, copy-job.ts
 * `stageCopyJob`, publish.ts `publishSync` — as the syscalls alone. Why a fallback per job: whatever the
 * addon does not answer exactly as the JavaScript path would (a path through an absolute or escaping
 * symlink, a symlink as last component, a destination parent that is not a directory, md5, any path
 * error but a missing source, a NUL in a string, a path not in canonical form) comes back as "fallback"
 * before anything was written for that job, and the worker runs it through the JavaScript path; so
 * behaviour is one, whichever copier ran.
 *
 * The addon is built from source at install (scripts/build-native.mjs) and is optional: missing,
 * unloadable, without openat2 (Linux < 5.6), disabled by the pool's `nativeCopy: false`
 * (`BARGE_NATIVE_COPY=off`, config.ts) — the JavaScript copier does everything. Loaded once per thread (each copy
 * worker loads its own; the native call runs on the worker thread, under its file-system ids).
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { debuglog } from 'node:util';
import { packageRoot } from '../../lib/package-root.js';
import { StorageError, classifyFsError } from '../errors.js';
import { CHECKSUM_ALGORITHMS } from '../../lib/hashing.js';
import type { CopyJob } from './copy-job.js';
import { JOB, JOB_NUMS, JOB_STRS, STR, type WorkerRequest } from './copy-protocol.js';
import { systemError } from './libc.js';
import { appeared } from './publish.js';

/**
 * Numbers per job in copyPacked's `jobs` (native/copier.c `J_*`, same order). Strings travel as
 * indices into the request's own arrays (`roots`; `strs` for the paths and the temp name), so a job is
 * only numbers: the addon reads them through the typed array's memory, without a property lookup.
 */
const J = {
  id: 0, slot: 1, srcRoot: 2, srcPath: 3, dstRoot: 4, dstPath: 5, temp: 6, alg: 7, size: 8, mode: 9, uid: 10, gid: 11,
  /** 1: set atime/mtime (seconds, as futimesSync takes them). */
  times: 12, atime: 13, mtime: 14, noReplace: 15,
} as const;
export const NATIVE_JOB_NUMS = 16;
/** Numbers per job in copyPacked's `out` (copier.c `A_*`): status, unreported, size, errno, side. */
const A = { status: 0, unreported: 1, size: 2, errno: 3, side: 4 } as const;
export const NATIVE_OUT_NUMS = 5;
/** Strings per job in copyPacked's answer (copier.c `T_*`): digest, syscall or code, stored digest. */
const T = { digest: 0, what: 1, stored: 2 } as const;
const NATIVE_TEXTS = 3;

/** Status of a job in copyPacked's `out`: done, errno error, coded error, fallback (run it in JavaScript). */
export const NATIVE_DONE = 0;
export const NATIVE_FALLBACK = 3;

/** The addon's answer for one failed job, as errorOf reads it. `st`: 1 errno error, 2 coded error. */
interface NativeFailure {
  readonly st: number;
  readonly side?: 'src' | 'dst';
  readonly errno?: number;
  readonly syscall?: string;
  readonly code?: string;
  readonly written?: number;
  readonly digest?: string;
  readonly stored?: string;
}

/** What the addon exports. */
export interface NativeCopier {
  /**
   * Runs `count` jobs packed by {@link packNativeJob} into `jobs` (strings: indices into `roots` and
   * `strs`) as one group commit; writes NATIVE_OUT_NUMS numbers per job into `out` (read them with
   * {@link nativeStatus} and friends) and returns NATIVE_TEXTS strings per job, holes where a job has
   * none (a success without checksum has none). `onProgress(index)`: the job's position in `jobs`.
   * Throws a TypeError, before touching any file, for arguments it refuses.
   */
  copyPacked(
    roots: readonly string[], strs: readonly string[], jobs: Float64Array, count: number, out: Float64Array,
    buffer: Buffer, flags: Int32Array, progressBytes: number, progressMs: number,
    onProgress?: (index: number, bytes: number) => void, carry?: Int32Array,
  ): ReadonlyArray<string | undefined>;
  /**
   * True when copyPacked takes `carry` (a build older than it lacks the property): an Int32Array
   * `[nIn, nOut, ...descriptors (cap), ...errnos (cap)]`. In: `nIn` descriptors a previous call left
   * open; they are synced after this call's staging (one syncfs covering the previous call's renames and
   * this call's data), closed, and each one's errno written to `errnos`. Out: `nOut` and this call's
   * descriptors, left open without the last syncfs — its renames are not durable until a next call or
   * the caller syncs them. `nOut` is written only once the carried descriptors were consumed.
   */
  readonly carries?: boolean;
  /** Digest of `buffer` fed in pieces of `piece` bytes (tests: the hashes against hash-wasm and zlib). */
  hash(buffer: Buffer, alg: 1 | 2, piece?: number): string;
  openat2Available(): boolean;
}

const debug = debuglog('barge');
let loaded: NativeCopier | null | undefined;
let why: string | undefined;

/** Where the build puts the addon, from the package root (works from src/ under tsx and from dist/). */
export function nativeCopierPath(): string {
  return join(packageRoot(), 'native', 'build', 'Release', 'barge_copier.node');
}

function unavailable(reason: string): null {
  why = reason;
  debug('native copier not used (%s): JavaScript copier', reason);
  return null;
}

/**
 * The addon, or null with the reason in {@link nativeCopierStatus} (logged once, at debug:
 * `NODE_DEBUG=barge`). `enabled: false` (the pool's `nativeCopy` option) is not remembered: it only
 * answers null for that caller.
 */
export function loadNativeCopier(enabled = true): NativeCopier | null {
  if (!enabled) return null;
  if (loaded !== undefined) return loaded;
  loaded = null;
  if (process.platform !== 'linux') return unavailable(`not on Linux (${process.platform})`);
  let path: string;
  try {
    path = nativeCopierPath();
  } catch (err) {
    return unavailable(`package root not found: ${String(err)}`);
  }
  if (!existsSync(path)) return unavailable(`not built: no ${path} (npm run build:native)`);
  try {
    const addon = createRequire(import.meta.url)(path) as NativeCopier;
    if (!addon.openat2Available()) return unavailable('openat2 is not available (Linux 5.6 or later)');
    loaded = addon;
    why = undefined;
  } catch (err) {
    return unavailable(`cannot load ${path}: ${err instanceof Error ? err.message : String(err)}`);
  }
  return loaded;
}

/** Whether this thread loaded the addon, and why not. */
export function nativeCopierStatus(): { readonly loaded: boolean; readonly reason?: string } {
  return loaded ? { loaded: true } : { loaded: false, reason: why ?? 'not loaded yet' };
}

/** The addon's algorithm number of each CHECKSUM_ALGORITHMS index; -1: not native (md5). */
const ALG: readonly number[] = CHECKSUM_ALGORITHMS.map((a) => (a === 'crc32' ? 1 : a === 'xxhash64' ? 2 : -1));

const isId = (v: number): boolean => Number.isNaN(v) || (Number.isInteger(v) && v >= 0 && v <= 0xffffffff);
const given = (v: number): number => (Number.isNaN(v) ? -1 : v);

/**
 * Packs job `k` of a request (copy-protocol.ts) as the addon's job number `at` in `into`, straight
 * from the request's numbers — no CopyJob is built for a job that goes native. False when the
 * JavaScript path must run it (md5, an empty source path, values the JavaScript path would refuse or
 * read differently). What the addon checks itself, answering "fallback": a NUL in a string, a path not
 * in canonical form, the root as destination (copier.c).
 */
export function packNativeJob(req: WorkerRequest, k: number, into: Float64Array, at: number, now = Date.now()): boolean {
  const n = req.nums;
  const o = k * JOB_NUMS;
  const s = k * JOB_STRS;
  const c = n[o + JOB.checksum]!;
  const alg = c < 0 ? 0 : (ALG[c] ?? -1);
  if (alg < 0 || req.strs[s + STR.srcPath] === '') return false;
  const size = n[o + JOB.size]!;
  const [mode, uid, gid] = [n[o + JOB.mode]!, n[o + JOB.uid]!, n[o + JOB.gid]!];
  if (!isId(uid) || !isId(gid) || !isId(mode) || !(Number.isNaN(size) || (Number.isSafeInteger(size) && size >= 0))) return false;
  const [mtimeMs, atimeMs] = [n[o + JOB.mtimeMs]!, n[o + JOB.atimeMs]!];
  const times = !Number.isNaN(mtimeMs) || !Number.isNaN(atimeMs);
  let atime = 0;
  let mtime = 0;
  if (times) {
    // As futimesSync reads them: seconds; a negative time means "now".
    atime = (Number.isNaN(atimeMs) ? now : atimeMs) / 1000;
    mtime = (Number.isNaN(mtimeMs) ? now : mtimeMs) / 1000;
    if (!Number.isFinite(atime) || !Number.isFinite(mtime)) return false;
    if (atime < 0) atime = now / 1000;
    if (mtime < 0) mtime = now / 1000;
  }
  const p = at * NATIVE_JOB_NUMS;
  into[p + J.id] = n[o + JOB.id]!;
  into[p + J.slot] = k;
  into[p + J.srcRoot] = n[o + JOB.srcRoot]!;
  into[p + J.srcPath] = s + STR.srcPath;
  into[p + J.dstRoot] = n[o + JOB.dstRoot]!;
  into[p + J.dstPath] = s + STR.dstPath;
  into[p + J.temp] = s + STR.tempName;
  into[p + J.alg] = alg;
  into[p + J.size] = given(size);
  into[p + J.mode] = given(mode);
  into[p + J.uid] = given(uid);
  into[p + J.gid] = given(gid);
  into[p + J.times] = times ? 1 : 0;
  into[p + J.atime] = atime;
  into[p + J.mtime] = mtime;
  into[p + J.noReplace] = n[o + JOB.noReplace] === 1 ? 1 : 0;
  return true;
}

/** The request position (slot) and the id of the addon's job `i` as packed in `jobs`. */
export function nativeSlot(jobs: Float64Array, i: number): number {
  return jobs[i * NATIVE_JOB_NUMS + J.slot]!;
}
export function nativeId(jobs: Float64Array, i: number): number {
  return jobs[i * NATIVE_JOB_NUMS + J.id]!;
}

/** What the addon answered for its job `i`: status (NATIVE_DONE, NATIVE_FALLBACK, else failed), size, digest, unreported bytes. */
export function nativeStatus(out: Float64Array, i: number): number {
  return out[i * NATIVE_OUT_NUMS + A.status]!;
}
export function nativeSize(out: Float64Array, i: number): number {
  return out[i * NATIVE_OUT_NUMS + A.size]!;
}
export function nativeUnreported(out: Float64Array, i: number): number {
  return out[i * NATIVE_OUT_NUMS + A.unreported]!;
}
export function nativeDigest(texts: ReadonlyArray<string | undefined>, i: number): string | null {
  return texts[i * NATIVE_TEXTS + T.digest] ?? null;
}

/** The error of the addon's failed job `i` (of `job`), exactly as the JavaScript path builds it for the same failure. */
export function nativeError(out: Float64Array, texts: ReadonlyArray<string | undefined>, i: number, job: CopyJob): StorageError {
  const o = i * NATIVE_OUT_NUMS;
  const t = i * NATIVE_TEXTS;
  const st = out[o + A.status]!;
  const side = out[o + A.side] === 1 ? 'src' : out[o + A.side] === 2 ? 'dst' : undefined;
  const what = texts[t + T.what];
  return errorOf(st === 1
    ? { st, side, errno: out[o + A.errno]!, syscall: what }
    : { st, side, code: what, written: out[o + A.size]!, digest: texts[t + T.digest], stored: texts[t + T.stored] }, job);
}

/** A StorageError exactly as the JavaScript path builds it for the same failure. */
function errorOf(o: NativeFailure, job: CopyJob): StorageError {
  const path = o.side === 'src' ? job.srcPath : job.dstPath;
  if (o.st === 1) {
    const errno = o.errno ?? 5;
    if (o.syscall === 'syncfs') {
      const e = classifyFsError(systemError(errno, 'syncfs', `errno ${errno}`));
      return new StorageError(e.code, e.message, { path: job.dstPath, sysCode: e.sysCode, retryable: true, cause: e });
    }
    return classifyFsError(systemError(errno, o.syscall ?? 'io', path), path);
  }
  switch (o.code) {
    case 'is_a_directory':
      return new StorageError('is_a_directory', 'is a directory', { path: job.srcPath });
    case 'unsupported':
      return new StorageError('unsupported', 'not a regular file', { path: job.srcPath });
    case 'aborted':
      return new StorageError('aborted', 'operation aborted', { path: job.dstPath });
    case 'size_mismatch':
      return new StorageError('size_mismatch', `expected ${job.size} bytes, wrote ${o.written}`, { path: job.dstPath });
    case 'checksum_mismatch':
      return new StorageError('checksum_mismatch', `checksum mismatch on ${job.dstPath}: read ${o.digest}, stored ${o.stored}`, { path: job.dstPath });
    case 'exists':
      return appeared(job.dstPath);
    default:
      return new StorageError('io', `native copier: ${o.code ?? 'unknown failure'}`, { path });
  }
}
