/**
 * The path operations of the posix driver behind one small interface, with two implementations:
 * - {@link LIBUV_PATH_OPS}: `fs.promises` (libuv's pool, the process's own ids) — the default, as fast
 *   as calling `fs.promises` directly;
 * - {@link credentialedPathOps}: the same operations on a thread holding a context user's file-system
 *   ids (credentialed-fs.ts), for executions with `options.context_uid`.
 * Why an indirection rather than a second driver: every rule of the driver (confinement, temp names,
 * publish order) stays in one place; only who asks the kernel changes. Only *path* operations go through
 * here: data I/O on an opened handle runs wherever the handle is used (descriptors are process-wide).
 */
import { constants, promises as fs } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { CredentialedFs } from './credentialed-fs.js';
import { LISTED_FIELDS, type ListedChunk, type ListedDir, type PlainStat } from './fs-op-protocol.js';

/** A directory entry's name and kind (without following links). */
export interface TypedName {
  readonly name: string;
  readonly kind: 'file' | 'dir' | 'symlink' | 'other';
}

/** See the file header. Errors are Node-shaped errno errors (or StorageErrors), for classifyFsError. */
export interface PathOps {
  lstat(path: string): Promise<PlainStat>;
  stat(path: string): Promise<PlainStat>;
  readlink(path: string): Promise<string>;
  readdir(path: string): Promise<string[]>;
  readdirTypes(path: string): Promise<TypedName[]>;
  realpath(path: string): Promise<string>;
  mkdir(path: string, recursive: boolean): Promise<void>;
  rmdir(path: string): Promise<void>;
  unlink(path: string): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  link(from: string, to: string): Promise<void>;
  symlink(target: string, path: string): Promise<void>;
  lchown(path: string, uid: number, gid: number): Promise<void>;
  chmod(path: string, mode: number): Promise<void>;
  lutimes(path: string, atimeSec: number, mtimeSec: number): Promise<void>;
  /** Open a file; the handle's data I/O may run on any thread. */
  open(path: string, flags: number, mode?: number): Promise<FileHandle>;
  /**
   * lstat of `names` in `dir`, in order (stat null: vanished meanwhile; a symlink's target read), in
   * one call on a thread that makes the system calls back to back. Why: a listing's lstats, one
   * promise each on libuv's pool, were ~20 µs of event-loop and libuv CPU per file walked (issue #14).
   */
  lstatMany(dir: string, names: readonly string[]): Promise<ListedChunk>;
  /**
   * The storage folder `norm` under the real `root`, confined as PosixRoot.resolveInside does, read
   * and its first `chunk` names lstat'ed, in one call on a file thread (fs-op-protocol.ts `listInside`);
   * null when there is no such thread (the caller takes those steps one by one).
   */
  listInside(root: string, norm: string, chunk: number): Promise<ListedDir | null>;
  /**
   * `mkdir -p` of the storage folder `norm` under the real `root`, confined as PosixRoot.createDirs
   * does (sync-confine.ts `createDirsSync`), in one call on a file thread: its real path, or null when
   * there is no such thread (the caller takes those steps one by one). Why: a new folder took ~6 libuv
   * calls (realpaths, mkdir, stat), ~300 µs of event-loop and pool CPU each on a NAS (issue #14).
   */
  createDirsInside(root: string, norm: string): Promise<string | null>;
}

/** The kind of an lstat's mode. */
export function kindOfMode(mode: number): TypedName['kind'] {
  switch (mode & constants.S_IFMT) {
    case constants.S_IFREG: return 'file';
    case constants.S_IFDIR: return 'dir';
    case constants.S_IFLNK: return 'symlink';
    default: return 'other';
  }
}

/** The process's own path operations (see the file header). */
export const LIBUV_PATH_OPS: PathOps = Object.freeze({
  lstat: (p: string) => fs.lstat(p),
  stat: (p: string) => fs.stat(p),
  readlink: (p: string) => fs.readlink(p),
  readdir: (p: string) => fs.readdir(p),
  readdirTypes: async (p: string) => (await fs.readdir(p, { withFileTypes: true })).map((d) => ({
    name: d.name, kind: d.isFile() ? 'file' as const : d.isDirectory() ? 'dir' as const : d.isSymbolicLink() ? 'symlink' as const : 'other' as const,
  })),
  realpath: (p: string) => fs.realpath(p),
  mkdir: async (p: string, recursive: boolean) => {
    await fs.mkdir(p, { recursive });
  },
  rmdir: (p: string) => fs.rmdir(p),
  unlink: (p: string) => fs.unlink(p),
  rename: (a: string, b: string) => fs.rename(a, b),
  link: (a: string, b: string) => fs.link(a, b),
  symlink: (t: string, p: string) => fs.symlink(t, p),
  lchown: (p: string, uid: number, gid: number) => fs.lchown(p, uid, gid),
  chmod: (p: string, mode: number) => fs.chmod(p, mode),
  lutimes: (p: string, a: number, m: number) => fs.lutimes(p, a, m),
  open: (p: string, flags: number, mode?: number) => fs.open(p, flags, mode),
  lstatMany: async (dir: string, names: readonly string[]) => {
    const thread = await ownFsThread();
    return thread ? thread.call<ListedChunk>({ op: 'lstatMany', dir, names }) : lstatEach(dir, names);
  },
  listInside: async (root: string, norm: string, chunk: number) => {
    const thread = await ownFsThread();
    return thread ? thread.call<ListedDir>({ op: 'listInside', root, norm, chunk }) : null;
  },
  createDirsInside: async (root: string, norm: string) => {
    const thread = await ownFsThread();
    return thread ? thread.call<string>({ op: 'createDirs', root, norm }) : null;
  },
});

let own: Promise<CredentialedFs | null> | undefined;

/**
 * This thread's file thread with the process's own ids (fs-op-worker.ts), started on first use and
 * kept (unref'd: an idle one does not hold the process); null when it cannot start — lstatMany then
 * falls back to libuv, one lstat per name. Loaded lazily: credentialed-fs.ts imports the copy pool.
 */
function ownFsThread(): Promise<CredentialedFs | null> {
  own ??= import('./credentialed-fs.js').then((m) => m.CredentialedFs.start(null)).catch(() => null);
  return own;
}

/** lstatMany on libuv's pool (fallback). */
async function lstatEach(dir: string, names: readonly string[]): Promise<ListedChunk> {
  const stats = new Float64Array(names.length * LISTED_FIELDS);
  let links: Record<number, string> | null = null;
  await Promise.all(names.map(async (name, i) => {
    const full = join(dir, name);
    const o = i * LISTED_FIELDS;
    try {
      const st = await fs.lstat(full);
      stats.set([st.mode, st.size, st.mtimeMs, st.atimeMs, st.ctimeMs, st.uid, st.gid], o);
      if (st.isSymbolicLink()) (links ??= {})[i] = await fs.readlink(full);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw err;
      stats[o] = Number.NaN;
    }
  }));
  return { stats, links };
}

/** Flags that only matter when a path is resolved or created: not repeated when a descriptor is reopened. */
const PATH_ONLY_FLAGS = constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW | constants.O_TRUNC;

/**
 * Path operations run as a context user (see the file header). `open` is checked on the credentialed
 * thread; its descriptor is then reopened through `/proc/self/fd` into a FileHandle for the event loop
 * (Node offers no FileHandle over a raw descriptor) and the thread's descriptor closed — the same
 * file, already authorized for that user, with the same access mode.
 */
export function credentialedPathOps(cfs: CredentialedFs): PathOps {
  const call = <T>(op: Parameters<CredentialedFs['call']>[0]): Promise<T> => cfs.call<T>(op);
  return Object.freeze({
    lstat: (path: string) => call<PlainStat>({ op: 'lstat', path }),
    stat: (path: string) => call<PlainStat>({ op: 'stat', path }),
    readlink: (path: string) => call<string>({ op: 'readlink', path }),
    readdir: (path: string) => call<string[]>({ op: 'readdir', path }),
    readdirTypes: async (path: string) => (await call<Array<{ name: string; stat: PlainStat | null }>>({ op: 'list', path }))
      .filter((e) => e.stat !== null).map((e) => ({ name: e.name, kind: kindOfMode(e.stat!.mode) })),
    realpath: (path: string) => call<string>({ op: 'realpath', path }),
    mkdir: (path: string, recursive: boolean) => call<void>({ op: 'mkdir', path, recursive }),
    rmdir: (path: string) => call<void>({ op: 'rmdir', path }),
    unlink: (path: string) => call<void>({ op: 'unlink', path }),
    rename: (from: string, to: string) => call<void>({ op: 'rename', from, to }),
    link: (from: string, to: string) => call<void>({ op: 'link', from, to }),
    symlink: (target: string, path: string) => call<void>({ op: 'symlink', target, path }),
    lchown: (path: string, uid: number, gid: number) => call<void>({ op: 'lchown', path, uid, gid }),
    chmod: (path: string, mode: number) => call<void>({ op: 'chmod', path, mode }),
    lutimes: (path: string, atime: number, mtime: number) => call<void>({ op: 'lutimes', path, atime, mtime }),
    lstatMany: (dir: string, names: readonly string[]) => call<ListedChunk>({ op: 'lstatMany', dir, names }),
    listInside: (root: string, norm: string, chunk: number) => call<ListedDir>({ op: 'listInside', root, norm, chunk }),
    createDirsInside: (root: string, norm: string) => call<string>({ op: 'createDirs', root, norm }),
    open: async (path: string, flags: number, mode = 0o666) => {
      const fd = await call<number>({ op: 'open', path, flags, mode });
      try {
        return await fs.open(`/proc/self/fd/${fd}`, flags & ~PATH_ONLY_FLAGS);
      } finally {
        // Closed by the thread that opened it: Node tracks a worker's descriptors and closes them when it exits.
        await call<void>({ op: 'close', fd }).catch(() => {});
      }
    },
  });
}
