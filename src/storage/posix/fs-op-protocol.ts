/**
 * Messages between a credentialed file-system thread (credentialed-fs.ts) and its worker
 * (fs-op-worker.ts): one path operation per request, done with a blocking call on the worker's thread,
 * whose file-system ids are a context user's (fs-credentials.ts). Why a module of its own: both sides
 * import the shapes, and neither imports the other.
 */
import type { SerializedStorageError } from './copy-protocol.js';

/** What an lstat/stat answers, as plain data (a `Stats` object loses its methods between threads). */
export interface PlainStat {
  readonly mode: number;
  readonly size: number;
  readonly mtimeMs: number;
  readonly atimeMs: number;
  readonly ctimeMs: number;
  readonly uid: number;
  readonly gid: number;
  readonly dev: number;
  readonly ino: number;
}

/** One entry of a listed directory: its lstat (null when it vanished meanwhile) and a symlink's target. */
export interface ListedEntry {
  readonly name: string;
  readonly stat: PlainStat | null;
  readonly linkTarget?: string;
}

/** A path operation; paths are host paths (already confined) unless `root`/`norm` are given. */
export type FsOp =
  | { readonly op: 'lstat' | 'stat' | 'readlink' | 'readdir' | 'realpath' | 'rmdir' | 'unlink'; readonly path: string }
  | { readonly op: 'list'; readonly path: string }
  /** lstat of these names of `dir` (a listing's entries, a chunk at a time): ListedEntry[] in order. */
  | { readonly op: 'lstatMany'; readonly dir: string; readonly names: readonly string[] }
  | { readonly op: 'mkdir'; readonly path: string; readonly recursive: boolean }
  | { readonly op: 'rename' | 'link'; readonly from: string; readonly to: string }
  | { readonly op: 'symlink'; readonly target: string; readonly path: string }
  | { readonly op: 'lchown'; readonly path: string; readonly uid: number; readonly gid: number }
  | { readonly op: 'chmod'; readonly path: string; readonly mode: number }
  | { readonly op: 'lutimes'; readonly path: string; readonly atime: number; readonly mtime: number }
  | { readonly op: 'open'; readonly path: string; readonly flags: number; readonly mode: number }
  /** Close a descriptor `open` gave, once the caller has its own: Node closes a worker's descriptors when it exits. */
  | { readonly op: 'close'; readonly fd: number }
  | { readonly op: 'resolveInside' | 'createDirs'; readonly root: string; readonly norm: string };

/** Pool → worker. */
export interface FsOpRequest {
  readonly id: number;
  readonly op: FsOp;
}

/**
 * Worker → pool. `value` depends on the op: PlainStat (lstat, stat), string (readlink, realpath,
 * resolveInside, createDirs), string[] (readdir), ListedEntry[] (list), number (open: a descriptor,
 * valid in every thread of the process), undefined otherwise. A failed op carries the raw errno code
 * in `error.sysCode`, so the caller classifies it as it would a libuv error.
 */
export type FsOpReply =
  | { readonly id: number; readonly ok: true; readonly value: unknown }
  | { readonly id: number; readonly ok: false; readonly error: SerializedStorageError & { readonly errno?: number; readonly syscall?: string } };

/** First message of a worker: whether its thread holds the context's ids (else it refuses every op). */
export interface FsOpReady {
  readonly ready: true;
  readonly refusal: string | null;
}
