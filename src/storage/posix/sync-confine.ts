/**
 * Synchronous confinement of storage paths to a posix root, for the copy workers.
 *
 * Why a synchronous twin of `PosixRoot`: a copy worker (copy-worker.ts) runs a whole file copy as plain
 * blocking syscalls on its own thread — each libuv round trip it saves is ~20–40 µs of main-thread CPU
 * per call — so it must resolve and check paths the same way without promises. The rules are those of
 * `PosixRoot` (see its header): every directory used is `realpath`ed and must be the root or below it;
 * the last component is then opened with O_NOFOLLOW / O_EXCL; missing parents are created only below the
 * deepest existing ancestor after it was checked. Inputs are normalized storage paths (paths.ts).
 */
import { constants, lstatSync, mkdirSync, openSync, realpathSync, statSync } from 'node:fs';
import { join, sep } from 'node:path';
import { StorageError, classifyFsError } from '../errors.js';
import { ROOT_PATH, baseStorageName, parentStoragePath, splitStoragePath } from '../paths.js';

/** True if the real host path `real` is `root` or under it (`root` is itself a real path). */
export function isInside(root: string, real: string): boolean {
  if (real === root) return true;
  return real.startsWith(root.endsWith(sep) ? root : root + sep);
}

function hostPath(root: string, norm: string): string {
  return norm === ROOT_PATH ? root : join(root, ...norm.split('/'));
}

/**
 * Fast path of the confinement: the host path of `norm` when no component of it below `root` is a
 * symlink, checked with one lstat per component below the root. Why: realpath reads the link of every
 * component of the whole host path, the root's own ancestors included — ~9 syscalls for each side of
 * each file copied, the most frequent call of a copy worker. When no component is a link the plain path
 * is the real one, and the guarantee is the same (every component used was a real directory under the
 * real root when checked). Null when a component is a symlink or missing: the caller then takes the
 * realpath route, which gives the precise answer or error.
 */
function plainInsideSync(root: string, norm: string): string | null {
  if (norm === ROOT_PATH) return root;
  let path = root;
  for (const segment of splitStoragePath(norm)) {
    path = join(path, segment);
    let st;
    try {
      st = lstatSync(path, { throwIfNoEntry: false });
    } catch {
      return null; // EACCES, ENOTDIR…: realpath reports it
    }
    if (st === undefined || st.isSymbolicLink()) return null;
  }
  return path;
}

/**
 * Real path of `norm` (every symlink resolved, the last one too), required inside `root`. A missing path
 * whose existing ancestors lead outside is `path_escape`, as in `PosixRoot.resolveInside`.
 */
export function resolveInsideSync(root: string, norm: string): string {
  const plain = plainInsideSync(root, norm);
  if (plain !== null) return plain;
  let real: string;
  try {
    real = realpathSync.native(hostPath(root, norm));
  } catch (err) {
    const error = classifyFsError(err, norm);
    if (error.code === 'not_found' && norm !== ROOT_PATH) {
      try {
        resolveInsideSync(root, parentStoragePath(norm) ?? ROOT_PATH);
      } catch (parentError) {
        if (parentError instanceof StorageError && parentError.code === 'path_escape') throw parentError;
      }
    }
    throw error;
  }
  if (!isInside(root, real)) throw new StorageError('path_escape', 'path resolves outside the storage root (symlink)', { path: norm });
  return real;
}

/** `mkdir -p` of a storage directory under `root`, confined as described in the header. Returns its real path. */
export function createDirsSync(root: string, norm: string): string {
  return createLastSync(root, norm) ?? createDirsSlowSync(root, norm);
}

/**
 * Fast path of createDirsSync, for the common case of a walk: the parent is a plain directory path
 * below the root (plainInsideSync: no symlink, one lstat per component) and at most the last component
 * is missing. It is made with one mkdir, and taken when plainInsideSync then gives `norm`'s path and
 * an lstat shows a directory there — the general path's own first answer. Why: the general path (a failed realpath, its errors, the
 * parent resolved again, a recursive mkdir, realpath and stat again) cost ~240 µs of a file thread per
 * destination folder, ~2 µs per small file copied (issue #14). Null for anything else (a missing
 * grandparent, a symlink or a file in the way, any error): the general path then gives its answer.
 */
function createLastSync(root: string, norm: string): string | null {
  if (norm === ROOT_PATH) return null;
  const base = plainInsideSync(root, parentStoragePath(norm) ?? ROOT_PATH);
  if (base === null) return null;
  try {
    mkdirSync(join(base, baseStorageName(norm)));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') return null;
  }
  // Checked again as the general path's last step does: every component, the new one included, is a
  // real directory below the root now (a parent swapped for a symlink meanwhile takes the general path,
  // whose realpath reports the escape).
  const path = plainInsideSync(root, norm);
  if (path === null) return null;
  try {
    return lstatSync(path).isDirectory() ? path : null;
  } catch {
    return null;
  }
}

function createDirsSlowSync(root: string, norm: string): string {
  const segments = splitStoragePath(norm);
  let existing = segments.length;
  let base: string | undefined;
  while (base === undefined) {
    try {
      base = resolveInsideSync(root, segments.slice(0, existing).join('/'));
    } catch (err) {
      if (!(err instanceof StorageError) || err.code !== 'not_found' || existing === 0) throw err;
      existing -= 1;
    }
  }
  if (existing < segments.length) {
    try {
      mkdirSync(join(base, ...segments.slice(existing)), { recursive: true });
    } catch (err) {
      const e = classifyFsError(err, norm);
      throw e.code === 'exists' ? new StorageError('not_a_directory', 'a non-directory is in the way', { path: norm, cause: err }) : e;
    }
  }
  const real = resolveInsideSync(root, norm);
  if (!statSync(real).isDirectory()) throw new StorageError('not_a_directory', 'a non-directory is in the way', { path: norm });
  return real;
}

/**
 * Opens the file `norm` under `root` for reading. Why not `resolveInsideSync` + open: its parent is
 * resolved and checked, and the last component opened with O_NOFOLLOW, which saves an lstat per file
 * copied; only when that last component is a symlink (ELOOP) is it resolved — and followed when it
 * stays inside the root — as `resolveInsideSync` does. Throws a StorageError.
 */
export function openSourceSync(root: string, norm: string): number {
  const parent = parentStoragePath(norm);
  const flags = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK; // NONBLOCK: a FIFO must not hang
  if (parent !== null) {
    let dir: string;
    try {
      dir = resolveInsideSync(root, parent);
    } catch (err) {
      // Reported for the file asked for, as resolving the whole path would.
      const e = err instanceof StorageError ? err : classifyFsError(err, parent);
      throw new StorageError(e.code, e.message, { path: norm, sysCode: e.sysCode, retryable: e.retryable, cause: err });
    }
    try {
      return openSync(join(dir, baseStorageName(norm)), flags);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ELOOP') throw classifyFsError(err, norm);
    }
  }
  try {
    return openSync(resolveInsideSync(root, norm), flags);
  } catch (err) {
    throw classifyFsError(err, norm);
  }
}

/**
 * The real, checked parent directory of `norm` (created when missing) and the host path of the target in
 * it. A directory in the target's place is not looked for here: the rename over it fails with EISDIR
 * (`is_a_directory`), and the caller removes its temporary file — an lstat per file saved.
 */
export function writeTargetSync(root: string, norm: string): { dir: string; name: string; full: string } {
  const parent = parentStoragePath(norm);
  if (parent === null) throw new StorageError('is_a_directory', 'the root is a directory', { path: norm });
  const name = baseStorageName(norm);
  let dir: string;
  try {
    dir = resolveInsideSync(root, parent);
  } catch (err) {
    if (!(err instanceof StorageError) || err.code !== 'not_found') throw err;
    dir = createDirsSync(root, parent);
  }
  return { dir, name, full: join(dir, name) };
}
