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

/** Numbers per name in {@link ListedChunk.stats}, in this order. */
export const LISTED_FIELDS = 7;

/**
 * The lstats of a chunk of a listing's names (lstatMany), packed: name i's mode, size, mtimeMs,
 * atimeMs, ctimeMs, uid, gid at `stats[i * LISTED_FIELDS + …]` (mode NaN: it vanished meanwhile);
 * `links`: a symlink's target by index. Why packed: between threads one Float64Array is a copy of
 * bytes, where an object per name was a structured clone to write and read back — a few µs of CPU
 * per file walked on both sides (issue #14).
 */
export interface ListedChunk {
  readonly stats: Float64Array;
  readonly links: Readonly<Record<number, string>> | null;
}

/**
 * listInside's answer: a folder's real path, its names (temporary files left out, sorted), and the
 * lstats of the first names (the rest are asked for with lstatMany).
 */
export interface ListedDir {
  readonly real: string;
  readonly names: string[];
  readonly first: ListedChunk;
}

/** A path operation; paths are host paths (already confined) unless `root`/`norm` are given. */
export type FsOp =
  | { readonly op: 'lstat' | 'stat' | 'readlink' | 'readdir' | 'realpath' | 'rmdir' | 'unlink'; readonly path: string }
  | { readonly op: 'list'; readonly path: string }
  /** lstat of these names of `dir` (a listing's entries, a chunk at a time): a ListedChunk. */
  | { readonly op: 'lstatMany'; readonly dir: string; readonly names: readonly string[] }
  /**
   * A listing in one call: the storage folder `norm` confined under the real `root` (as resolveInside),
   * read, and its first `chunk` names lstat'ed — a ListedDir. Why one call: each call between threads
   * costs tens of µs of CPU in wake-ups (issue #14), and a folder took three (realpath, readdir, lstats).
   */
  | { readonly op: 'listInside'; readonly root: string; readonly norm: string; readonly chunk: number }
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
  /** The thread lists through the native addon (native-listing.ts). */
  readonly nativeListing: boolean;
}
