/**
 * The last step of a posix write: the complete, verified, durable temporary file takes its final name.
 *
 * With `noReplace` (WriteOptions.noReplace) the name is taken with `link` — which fails with EEXIST
 * when something is there, atomically, on local file systems and NFS alike — and the temporary name
 * is then removed; plain `rename` would replace the file silently. Something already there with the
 * very same bytes is this copy's own earlier publication (a redo after a crash): the publication
 * stands. Anything else is `exists`, and the temporary file is left to the caller to remove. On a file
 * system without hard links, the target is checked just before a plain rename (a narrow race, the best
 * that is available there).
 *
 * In the copy workers (publishSync) `renameat2(RENAME_NOREPLACE)` comes first, through koffi as for
 * syncfs: one system call, where link + unlink measured ~5–10% slower on small files. Where it is
 * missing (no koffi, another libc, a file system that refuses the flag) link + unlink does the same.
 */
import { closeSync, linkSync, lstatSync, openSync, readSync, renameSync, unlinkSync, constants, promises as fs } from 'node:fs';
import { StorageError } from '../errors.js';
import { errnoName, loadLibc, systemError } from './libc.js';
import { LIBUV_PATH_OPS, kindOfMode, type PathOps } from './path-ops.js';

const AT_FDCWD = -100;
const RENAME_NOREPLACE = 1;
/** renameat2 errors meaning "not here" (old kernel, file system without the flag): link + unlink instead. */
const NO_RENAMEAT2 = new Set(['EINVAL', 'ENOSYS', 'ENOTSUP', 'EOPNOTSUPP']);

/** renameat2 with RENAME_NOREPLACE: 0 when done, else the errno. */
type RenameNoReplace = (from: string, to: string) => number;
let noReplaceRename: RenameNoReplace | null | undefined;

function renameNoReplace(): RenameNoReplace | null {
  if (noReplaceRename !== undefined) return noReplaceRename;
  const libc = loadLibc();
  if (libc === null) return (noReplaceRename = null);
  const call = libc.func<(a: number, b: string, c: number, d: string, e: number) => number>('int renameat2(int, const char *, int, const char *, unsigned int)');
  noReplaceRename = (from, to) => (call(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE) === 0 ? 0 : libc.errno());
  return noReplaceRename;
}

const NO_HARD_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EMLINK']);
const CHUNK = 64 * 1024;

function codeOf(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException).code;
}

/** `exists` for a publication refused because something took the name meanwhile (also the native copier's). */
export function appeared(path: string): StorageError {
  return new StorageError('exists', 'a file appeared at the destination after this copy was planned: not replaced', { path, retryable: false });
}

/** True when `b` is a regular file with exactly the bytes of `a`. */
export function sameContentSync(a: string, b: string): boolean {
  const sb = lstatSync(b, { throwIfNoEntry: false });
  if (!sb?.isFile() || sb.size !== lstatSync(a).size) return false;
  const fa = openSync(a, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    const fb = openSync(b, constants.O_RDONLY | constants.O_NOFOLLOW);
    try {
      const ba = Buffer.allocUnsafe(CHUNK);
      const bb = Buffer.allocUnsafe(CHUNK);
      for (let pos = 0; ;) {
        const n = readSync(fa, ba, 0, CHUNK, pos);
        const m = readSync(fb, bb, 0, CHUNK, pos);
        if (n !== m) return false;
        if (n === 0) return true;
        if (ba.compare(bb, 0, m, 0, n) !== 0) return false;
        pos += n;
      }
    } finally {
      closeSync(fb);
    }
  } finally {
    closeSync(fa);
  }
}

/**
 * Gives `temp` the name `full` (host paths in one directory). Throws raw fs errors, or `exists` (see
 * the file header); on any throw `temp` is still there for the caller to remove.
 */
export function publishSync(temp: string, full: string, noReplace: boolean, storagePath: string): void {
  if (!noReplace) {
    renameSync(temp, full);
    return;
  }
  const errno = renameNoReplace()?.(temp, full);
  if (errno === 0) return;
  if (errno !== undefined) {
    if (errnoName(errno) === 'EEXIST') return settleExisting(temp, full, storagePath);
    if (!NO_RENAMEAT2.has(errnoName(errno))) throw systemError(errno, 'renameat2', temp);
  }
  try {
    linkSync(temp, full);
  } catch (err) {
    return settleLinkFailure(err, temp, full, storagePath);
  }
  unlinkSync(temp);
}

/** Something is at `full`: the same bytes are this copy's earlier publication (`temp` goes), else `exists`. */
function settleExisting(temp: string, full: string, storagePath: string): void {
  if (!sameContentSync(temp, full)) throw appeared(storagePath);
  unlinkSync(temp);
}

/** `link` failed: an existing target is settled; without hard links, a checked plain rename. */
function settleLinkFailure(err: unknown, temp: string, full: string, storagePath: string): void {
  const code = codeOf(err);
  if (code === 'EEXIST') return settleExisting(temp, full, storagePath);
  if (code === undefined || !NO_HARD_LINKS.has(code)) throw err;
  if (lstatSync(full, { throwIfNoEntry: false }) !== undefined && !sameContentSync(temp, full)) throw appeared(storagePath);
  renameSync(temp, full);
}

/**
 * {@link publishSync} for the event loop (the streamed writer): the same steps through libuv, or
 * through `ops` when a context user's thread must run them (path-ops.ts).
 */
export async function publish(temp: string, full: string, noReplace: boolean, storagePath: string, ops?: PathOps): Promise<void> {
  if (ops !== undefined && ops !== LIBUV_PATH_OPS) return publishWith(ops, temp, full, noReplace, storagePath);
  if (!noReplace) {
    await fs.rename(temp, full);
    return;
  }
  try {
    await fs.link(temp, full);
  } catch (err) {
    // Rare paths (a conflict, or no hard links): the synchronous settling is simpler and short.
    return settleLinkFailure(err, temp, full, storagePath);
  }
  await fs.unlink(temp);
}

/** True when both files have the same bytes, both opened through `ops`. */
async function sameContentWith(ops: PathOps, a: string, b: string): Promise<boolean> {
  const sb = await ops.lstat(b).catch(() => null);
  if (sb === null || kindOfMode(sb.mode) !== 'file' || sb.size !== (await ops.lstat(a)).size) return false;
  const fa = await ops.open(a, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    const fb = await ops.open(b, constants.O_RDONLY | constants.O_NOFOLLOW);
    try {
      const ba = Buffer.allocUnsafe(CHUNK);
      const bb = Buffer.allocUnsafe(CHUNK);
      for (let pos = 0; ;) {
        const { bytesRead: n } = await fa.read(ba, 0, CHUNK, pos);
        const { bytesRead: m } = await fb.read(bb, 0, CHUNK, pos);
        if (n !== m) return false;
        if (n === 0) return true;
        if (ba.compare(bb, 0, m, 0, n) !== 0) return false;
        pos += n;
      }
    } finally {
      await fb.close();
    }
  } finally {
    await fa.close();
  }
}

/** The steps of {@link publishSync}, every path operation through `ops`. */
async function publishWith(ops: PathOps, temp: string, full: string, noReplace: boolean, storagePath: string): Promise<void> {
  if (!noReplace) return ops.rename(temp, full);
  try {
    await ops.link(temp, full);
  } catch (err) {
    const code = codeOf(err);
    if (code === 'EEXIST') {
      if (!(await sameContentWith(ops, temp, full))) throw appeared(storagePath);
      return ops.unlink(temp);
    }
    if (code === undefined || !NO_HARD_LINKS.has(code)) throw err;
    if ((await ops.lstat(full).catch(() => null)) !== null && !(await sameContentWith(ops, temp, full))) throw appeared(storagePath);
    return ops.rename(temp, full);
  }
  await ops.unlink(temp);
}
