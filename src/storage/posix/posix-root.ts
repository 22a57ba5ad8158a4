/**
 * Confinement of storage paths to a posix root directory.
 *
 * Why a separate module: every posix operation starts by turning a storage path into a host path that is
 * provably under the root, and that logic (realpath checks, creating missing parents without following an
 * escaping symlink) is the part of the driver where a bug means writing outside the storage.
 *
 * Model: lexical '..' never reaches here (paths.ts resolved it). Symlinks are the only way out, so every
 * directory we operate in is `realpath`ed and checked against the real root; the last component is then
 * used relative to that real directory and opened with O_NOFOLLOW / O_EXCL, or lstat'ed, where sensible.
 * Residual risk, accepted and documented: a process with write access inside the root can swap a checked
 * directory for a symlink between our check and our syscall (Node has no openat2(RESOLVE_BENEATH)).
 */
import { join, sep } from 'node:path';
import { StorageError, classifyFsError } from '../errors.js';
import { ROOT_PATH, baseStorageName, parentStoragePath, splitStoragePath } from '../paths.js';
import { LIBUV_PATH_OPS, kindOfMode, type PathOps } from './path-ops.js';

/** A real directory inside the root and a name in it. */
export interface ParentAndName {
  /** Real (symlink-free) host path of the parent directory. */
  readonly dir: string;
  readonly name: string;
  /** `dir` joined with `name` (the name itself is not resolved). */
  readonly full: string;
}

/** Confines storage paths to one real root directory. */
export class PosixRoot {
  private constructor(readonly real: string, private readonly fs: PathOps) {}

  /**
   * Resolve and validate the root. Why realpath: every later check compares real paths against it.
   * `ops`: who resolves paths (a context user's thread for executions with one, path-ops.ts).
   */
  static async open(root: string, ops: PathOps = LIBUV_PATH_OPS): Promise<PosixRoot> {
    let real: string;
    try {
      real = await ops.realpath(root);
    } catch (err) {
      throw classifyFsError(err, root);
    }
    const st = await ops.stat(real).catch((err: unknown) => {
      throw classifyFsError(err, root);
    });
    if (kindOfMode(st.mode) !== 'dir') throw new StorageError('not_a_directory', `posix root is not a directory: ${root}`);
    return new PosixRoot(real, ops);
  }

  /** Host path of a normalized storage path, lexically (no resolution). */
  hostPath(norm: string): string {
    return norm === ROOT_PATH ? this.real : join(this.real, ...norm.split('/'));
  }

  /** True if a real host path is the root or under it. */
  contains(realPath: string): boolean {
    if (realPath === this.real) return true;
    const prefix = this.real.endsWith(sep) ? this.real : this.real + sep;
    return realPath.startsWith(prefix);
  }

  /** Storage path of a host path under the root (for reporting, e.g. cleanupTemp results). */
  storagePathOf(hostPath: string): string {
    if (hostPath === this.real) return ROOT_PATH;
    return hostPath.slice(this.real.length).split(sep).filter((s) => s !== '').join('/');
  }

  /**
   * Resolve every symlink of `norm` (including the last component) and require the result under the root.
   * Why: reads and listings follow links, but only while they stay inside the storage. A missing path
   * whose existing ancestors lead outside is reported as `path_escape` rather than `not_found`, so the
   * answer never depends on (or reveals) what exists outside the root.
   */
  async resolveInside(norm: string): Promise<string> {
    let real: string;
    try {
      real = await this.fs.realpath(this.hostPath(norm));
    } catch (err) {
      const error = classifyFsError(err, norm);
      if (error.code === 'not_found' && norm !== ROOT_PATH) await this.resolveInside(parentStoragePath(norm) ?? ROOT_PATH);
      throw error;
    }
    if (!this.contains(real)) {
      throw new StorageError('path_escape', 'path resolves outside the storage root (symlink)', { path: norm });
    }
    return real;
  }

  /**
   * The real parent directory of `norm` (which must not be the root) and its last name, the parent being
   * proved inside the root. With `create`, missing parents are created — only below the deepest existing
   * ancestor, after that ancestor has been checked, so `mkdir -p` never follows an escaping symlink.
   */
  async parentOf(norm: string, create: boolean): Promise<ParentAndName> {
    const parent = parentStoragePath(norm);
    if (parent === null) throw new StorageError('invalid_argument', 'operation needs a path below the root', { path: norm });
    const name = baseStorageName(norm);
    let dir: string;
    try {
      dir = await this.resolveInside(parent);
    } catch (err) {
      if (!create || !(err instanceof StorageError) || err.code !== 'not_found') throw err;
      await this.createDirs(parent);
      dir = await this.resolveInside(parent);
    }
    return { dir, name, full: join(dir, name) };
  }

  /**
   * `mkdir -p` of a storage directory, confined as described on {@link parentOf}. In one call on a file
   * thread where there is one (path-ops.ts `createDirsInside`: the same steps, sync-confine.ts), else
   * step by step here.
   */
  async createDirs(norm: string): Promise<string> {
    const done = await this.fs.createDirsInside(this.real, norm);
    if (done !== null) return done;
    const segments = splitStoragePath(norm);
    let existing = segments.length;
    let base: string | undefined;
    while (base === undefined) {
      try {
        base = await this.resolveInside(segments.slice(0, existing).join('/'));
      } catch (err) {
        if (!(err instanceof StorageError) || err.code !== 'not_found' || existing === 0) throw err;
        existing -= 1;
      }
    }
    if (existing < segments.length) {
      try {
        await this.fs.mkdir(join(base, ...segments.slice(existing)), true);
      } catch (err) {
        const e = classifyFsError(err, norm);
        throw e.code === 'exists' ? new StorageError('not_a_directory', 'a non-directory is in the way', { path: norm, cause: err }) : e;
      }
    }
    const real = await this.resolveInside(norm);
    const st = await this.fs.stat(real);
    if (kindOfMode(st.mode) !== 'dir') throw new StorageError('not_a_directory', 'a non-directory is in the way', { path: norm });
    return real;
  }
}
