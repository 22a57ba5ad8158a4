/**
 * The native batch copier (native/copier.c, issue #14): loader, and the translation between copy jobs
 * and its plain arguments and answers.
 *
 * Why an addon: a copy worker spent ~60–110 µs of CPU per small file in JavaScript around the ~15
 * syscalls of a copy (confinement lstats, fstats, Buffer and StorageError plumbing, hashers); one
 * native call per message runs the same steps — the copy-worker.ts group commit, copy-job.ts
 * `stageCopyJob`, publish.ts `publishSync` — as the syscalls alone. Why a fallback per job: whatever the
 * addon does not answer exactly as the JavaScript path would (a path through an absolute or escaping
 * symlink, a symlink as last component, a destination parent that is not a directory, md5, any path
 * error but a missing source) comes back as "fallback" before anything was written for that job, and
 * the worker runs it through the JavaScript path; so behaviour is one, whichever copier ran.
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
import { baseStorageName, parentStoragePath } from '../paths.js';
import type { CopyJob, CopyJobResult } from './copy-job.js';
import { systemError } from './libc.js';
import { appeared } from './publish.js';

/** One job as the addon takes it: numbers rather than optional fields (-1: not given). */
export interface NativeJob {
  readonly srcRoot: string;
  readonly srcPath: string;
  readonly dstRoot: string;
  /** Parent storage path of the destination ('' for the root). */
  readonly dstParent: string;
  readonly dstName: string;
  readonly tempName: string;
  /** 0 none, 1 crc32, 2 xxhash64. */
  readonly alg: number;
  readonly size: number;
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  /** 1: set atime/mtime (seconds, as futimesSync takes them). */
  readonly times: number;
  readonly atime: number;
  readonly mtime: number;
  readonly noReplace: number;
  /** Job id and position in the message: aborted when `flags[slot] === id`. */
  readonly id: number;
  readonly slot: number;
}

/** The addon's answer for one job. `st`: 0 done, 1 errno error, 2 coded error, 3 fallback. */
export interface NativeOutcome {
  readonly st: 0 | 1 | 2 | 3;
  readonly unreported: number;
  readonly size?: number;
  readonly digest?: string;
  readonly side?: 'src' | 'dst';
  readonly errno?: number;
  readonly syscall?: string;
  readonly code?: string;
  readonly written?: number;
  readonly stored?: string;
}

/** What the addon exports. */
export interface NativeCopier {
  copyGroup(
    jobs: readonly NativeJob[], buffer: Buffer, flags: Int32Array, progressBytes: number, progressMs: number,
    onProgress?: (index: number, bytes: number) => void,
  ): NativeOutcome[];
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

const ALG = { crc32: 1, xxhash64: 2 } as const;

const isId = (v: number | undefined): boolean => v === undefined || (Number.isInteger(v) && v >= 0 && v <= 0xffffffff);

/**
 * The addon's form of `job`, or null when the JavaScript path must run it (md5, the root as target,
 * values the JavaScript path would refuse or read differently).
 */
export function nativeJobFor(job: CopyJob, id: number, slot: number, now = Date.now()): NativeJob | null {
  if (job.checksum !== null && job.checksum !== 'crc32' && job.checksum !== 'xxhash64') return null;
  const parent = parentStoragePath(job.dstPath);
  if (parent === null || job.srcPath === '') return null;
  if (!isId(job.uid) || !isId(job.gid) || !isId(job.mode) || (job.size !== undefined && !(Number.isSafeInteger(job.size) && job.size >= 0))) return null;
  const times = job.mtimeMs !== undefined || job.atimeMs !== undefined;
  let atime = 0;
  let mtime = 0;
  if (times) {
    // As futimesSync reads them: seconds; a negative time means "now".
    atime = (job.atimeMs ?? now) / 1000;
    mtime = (job.mtimeMs ?? now) / 1000;
    if (!Number.isFinite(atime) || !Number.isFinite(mtime)) return null;
    if (atime < 0) atime = now / 1000;
    if (mtime < 0) mtime = now / 1000;
  }
  return {
    srcRoot: job.srcRoot, srcPath: job.srcPath, dstRoot: job.dstRoot, dstParent: parent, dstName: baseStorageName(job.dstPath),
    tempName: job.tempName, alg: job.checksum === null ? 0 : ALG[job.checksum], size: job.size ?? -1,
    mode: job.mode ?? -1, uid: job.uid ?? -1, gid: job.gid ?? -1, times: times ? 1 : 0, atime, mtime,
    noReplace: job.noReplace === true ? 1 : 0, id, slot,
  };
}

/** A StorageError exactly as the JavaScript path builds it for the same failure. */
function errorOf(o: NativeOutcome, job: CopyJob): StorageError {
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

/** The outcome of one job of a native call: its result, its error, or `fallback` (run it in JavaScript). */
export function outcomeOf(o: NativeOutcome, job: CopyJob): { ok: true; result: CopyJobResult } | { ok: false; error: StorageError } | 'fallback' {
  if (o.st === 3) return 'fallback';
  if (o.st === 0) {
    const parent = parentStoragePath(job.dstPath) ?? '';
    // `dir` is only read by the file-by-file mode (directory fsyncs); a group commit has synced it.
    const dir = parent === '' ? job.dstRoot : join(job.dstRoot, ...parent.split('/'));
    return { ok: true, result: { size: o.size ?? 0, checksum: o.digest ?? null, dir } };
  }
  return { ok: false, error: errorOf(o, job) };
}
