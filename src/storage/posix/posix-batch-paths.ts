/**
 * Path rules of the posix driver's batch transfer (transferBatch), and the registry of temporary names
 * its copies are writing. Why a module of their own: both exist for the CPU per small file on the
 * engine thread (issue #14), and posix-driver.ts had grown past the project's size limit.
 */
import { StorageError } from '../errors.js';
import { TEMP_ID_CHARS, TEMP_MARKER, TEMP_SUFFIX, baseStorageName, isTempName, normalizeStoragePath } from '../paths.js';

/**
 * `begin`'s path rules for one file of a batch (the driver's state and the signal are checked once
 * per batch): a storage path normalized, refused if it names a temporary file. Why apart: five
 * normalizations per file (split, filter, join each) were a visible share of a small file's CPU on
 * the event loop (issue #14); a path already in normal form (no empty, `.` or `..` segment, no NUL;
 * one leading `/` allowed) is only cut — checked by one scan of its characters, which costs a small
 * fraction of a RegExp call into the runtime — and others go through the general rules.
 */
export function batchPath(path: string): string {
  const from = typeof path === 'string' ? normalStart(path) : -1;
  const norm = from < 0 ? normalizeStoragePath(path) : from === 0 ? path : path.slice(from);
  const name = norm.lastIndexOf('/') + 1;
  // Only a name shaped `.….part` can be a temporary one: the full rule runs for those alone.
  if (norm.charCodeAt(name) === 46 && norm.endsWith(TEMP_SUFFIX) && isTempName(norm.slice(name))) {
    throw new StorageError('invalid_path', `name is reserved for Barge temporary files: ${JSON.stringify(baseStorageName(norm))}`, { path: norm });
  }
  return norm;
}

/** Where the normal form of `path` starts (0, or 1 after a leading `/`); -1 when it is not normal. */
function normalStart(path: string): number {
  const n = path.length;
  const start = n > 0 && path.charCodeAt(0) === 47 ? 1 : 0;
  if (start >= n) return -1;
  let seg = start;
  for (let i = start; i <= n; i++) {
    const c = i < n ? path.charCodeAt(i) : 47;
    if (c === 0) return -1;
    if (c !== 47) continue;
    const len = i - seg;
    if (len === 0 || (path.charCodeAt(seg) === 46 && (len === 1 || (len === 2 && path.charCodeAt(seg + 1) === 46)))) return -1;
    seg = i + 1;
  }
  return start;
}

/** `k` in base 32, for k < 1024 from a table (the per-file part of a batch's temp ids). */
const BASE32 = Array.from({ length: 1024 }, (_, k) => k.toString(32));
export const base32 = (k: number): string => (k < 1024 ? BASE32[k]! : k.toString(32));

/** A batch's temp ids are one newTempId id (TEMP_ID_CHARS long) plus the file's index. */
const BATCH_ID_CHARS = TEMP_ID_CHARS;

/**
 * The temporary names of live copies into a driver, for `cleanupTemp` (which must never remove one):
 * single names (transferTo), and whole batches by their random id (transferBatch: file k's temp id is
 * the batch's id followed by k in base 32). Why batches as one entry: adding and removing every file's
 * name was a visible share of the engine thread's CPU per small file (issue #14); one registration per
 * batch covers the same names for the same time (the whole call).
 */
export class LiveTempNames {
  private readonly names = new Set<string>();
  private readonly batches = new Set<string>();

  add(name: string): void {
    this.names.add(name);
  }

  delete(name: string): void {
    this.names.delete(name);
  }

  addBatch(id: string): void {
    this.batches.add(id);
  }

  deleteBatch(id: string): void {
    this.batches.delete(id);
  }

  /** Whether `name` (a temporary file's name) belongs to a copy in flight. */
  has(name: string): boolean {
    if (this.names.has(name)) return true;
    if (this.batches.size === 0 || !name.endsWith(TEMP_SUFFIX)) return false;
    const at = name.lastIndexOf(TEMP_MARKER) + TEMP_MARKER.length;
    const id = name.slice(at, name.length - TEMP_SUFFIX.length);
    return at >= TEMP_MARKER.length && id.length > BATCH_ID_CHARS && this.batches.has(id.slice(0, BATCH_ID_CHARS));
  }
}
