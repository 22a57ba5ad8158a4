/**
 * Pure helpers for storage-relative paths. No I/O.
 *
 * Why a module of its own: path confinement is the first line of the data-safety rules ("never touch
 * anything outside the task's paths"), and it must behave identically in every driver. Keeping it pure
 * makes it exhaustively testable and lets drivers do only the backend-specific part (symlinks, realpath).
 *
 * Canonical form: segments joined by '/', no leading or trailing '/', no empty, '.' or '..' segments;
 * the root is the empty string ''. Input may use a leading '/' (meaning the root), doubled or trailing
 * slashes and '.'/'..' segments as long as '..' never climbs above the root.
 */
import { randomBytes } from 'node:crypto';
import { StorageError } from './errors.js';

/** The canonical storage path of the root. Why a constant: `''` reads like a bug at call sites. */
export const ROOT_PATH = '';

/**
 * Normalize a storage path to canonical form, refusing what could escape or confuse the backend.
 * Why lexical resolution of '..' (instead of refusing every '..'): users and sources legitimately hand in
 * paths like `a/../b`; resolving them here means the backend never sees a '..' and therefore never resolves
 * one physically through a symlink. Climbing above the root throws `path_escape`; NUL bytes (which C APIs
 * would silently truncate at) and non-strings throw `invalid_path`.
 */
export function normalizeStoragePath(path: string): string {
  if (typeof path !== 'string') {
    throw new StorageError('invalid_path', 'storage path must be a string');
  }
  if (path.includes('\0')) {
    throw new StorageError('invalid_path', 'storage path contains a NUL byte', { path });
  }
  const out: string[] = [];
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') {
      if (out.length === 0) {
        throw new StorageError('path_escape', `storage path escapes the root: ${JSON.stringify(path)}`, { path });
      }
      out.pop();
      continue;
    }
    out.push(segment);
  }
  return out.join('/');
}

/**
 * Check that `name` is one path segment (as yielded by `list()`), so joining it cannot climb or descend.
 * Why: names come from other stores (a source listing) and must not smuggle '/' or '..' into a target path.
 */
export function assertSegmentName(name: string): void {
  if (typeof name !== 'string' || name === '' || name === '.' || name === '..' || name.includes('/') || name.includes('\0')) {
    throw new StorageError('invalid_path', `not a single path segment: ${JSON.stringify(name)}`);
  }
}

/**
 * Join path pieces and normalize the result. Why not node:path: storage paths are always '/'-separated,
 * independent of the host OS, and must go through the same confinement rules as any other input.
 */
export function joinStoragePath(...parts: readonly string[]): string {
  return normalizeStoragePath(parts.join('/'));
}

/** `dir` + one listed `name`, validating the name. Why: the engine's walk builds every child path this way. */
export function childStoragePath(dir: string, name: string): string {
  assertSegmentName(name);
  const base = normalizeStoragePath(dir);
  return base === ROOT_PATH ? name : `${base}/${name}`;
}

/** The segments of a path (`[]` for the root). */
export function splitStoragePath(path: string): string[] {
  const norm = normalizeStoragePath(path);
  return norm === ROOT_PATH ? [] : norm.split('/');
}

/** Parent of a path, or `null` for the root (which has none). Why null: callers must not loop forever on ''. */
export function parentStoragePath(path: string): string | null {
  const norm = normalizeStoragePath(path);
  if (norm === ROOT_PATH) return null;
  const slash = norm.lastIndexOf('/');
  return slash < 0 ? ROOT_PATH : norm.slice(0, slash);
}

/** Last segment of a path ('' for the root). */
export function baseStorageName(path: string): string {
  const norm = normalizeStoragePath(path);
  return norm.slice(norm.lastIndexOf('/') + 1);
}

/**
 * Dot-files are "hidden" by Unix convention. Why a helper: task filters (`include hidden: false`) must use
 * the same definition for every driver, and '.'/'..' are never names.
 */
export function isHiddenName(name: string): boolean {
  return name.length > 1 && name.startsWith('.') && name !== '..';
}

/** True if any segment of the path is hidden (e.g. everything under `.git/`). */
export function isHiddenPath(path: string): boolean {
  return splitStoragePath(path).some(isHiddenName);
}

/** Marker between the target name and the writer id in a temporary name. */
export const TEMP_MARKER = '.barge-';
/** Suffix of every temporary name. */
export const TEMP_SUFFIX = '.part';
/** Longest file name most filesystems accept, in bytes (ext4, XFS, Btrfs, ZFS, NTFS via UTF-16 aside). */
export const MAX_NAME_BYTES = 255;

/** The id is 8 to 32 of `0-9a-z`: base-32 ids of today and base-36 ids of earlier versions (their leftovers). */
const TEMP_NAME_RE = /^\.[\s\S]*\.barge-[0-9a-z]{8,32}\.part$/;

/** Length of a {@link newTempId} id (10 random bytes, 5 bits a character). */
export const TEMP_ID_CHARS = 16;

/**
 * A fresh writer id: {@link TEMP_ID_CHARS} base-32 characters (`0-9a-v`) from 10 random bytes (80 bits).
 * Why random (not a counter or a pid): several processes and hosts may write into the same directory,
 * and a crashed writer's id must never be reused by a live one.
 * Why base 32 through a table: each 10 bits of the random bytes are two characters looked up at once,
 * instead of a hex string and a BigInt per file written (issue #14); the ids keep their 80 random bits
 * and 16 characters. Ids made before were base 36 (`0-9a-z`): {@link isTempName} accepts both.
 */
export function newTempId(): string {
  if (randomOffset + 10 > randomPool.length) {
    randomPool = randomBytes(RANDOM_POOL_BYTES);
    randomOffset = 0;
  }
  const p = randomPool;
  const o = randomOffset;
  randomOffset += 10;
  return quad(p[o]!, p[o + 1]!, p[o + 2]!, p[o + 3]!, p[o + 4]!) + quad(p[o + 5]!, p[o + 6]!, p[o + 7]!, p[o + 8]!, p[o + 9]!);
}

/** 40 bits (five bytes) as eight base-32 characters, four 10-bit groups of two. */
function quad(b0: number, b1: number, b2: number, b3: number, b4: number): string {
  const t = PAIRS;
  return t[(b0 << 2) | (b1 >> 6)]! + t[((b1 & 63) << 4) | (b2 >> 4)]! + t[((b2 & 15) << 6) | (b3 >> 2)]! + t[((b3 & 3) << 8) | b4]!;
}

/** Every 10-bit value as its two base-32 characters, most significant first. */
const PAIRS: readonly string[] = Array.from({ length: 1024 }, (_, v) => (v >> 5).toString(32) + (v & 31).toString(32));

/** Random bytes drawn 4 KiB at a time: one CSPRNG call per ~400 ids instead of one per file written. */
const RANDOM_POOL_BYTES = 4096;
let randomPool = Buffer.alloc(0);
let randomOffset = 0;

/** Bytes of a temporary name besides the embedded name and the id: the leading '.', marker and suffix. */
const TEMP_FIXED_BYTES = 1 + TEMP_MARKER.length + TEMP_SUFFIX.length;

/**
 * Temporary name for an in-flight write of `name`: `.<name>.barge-<id>.part`, in the same directory, so
 * the final rename is atomic (same filesystem) and a crash leaves an easily recognised, hidden file.
 * If the result would exceed {@link MAX_NAME_BYTES}, the embedded name is shortened (by whole code points):
 * the temporary name only needs to be unique and recognisable, the final name comes from the rename.
 * Why the length bound first: a UTF-16 unit is at most 3 UTF-8 bytes, so a name short enough by that
 * bound (nearly all) needs no byte count at all.
 */
export function makeTempName(name: string, id: string = newTempId()): string {
  assertSegmentName(name);
  let kept = name;
  if (3 * (name.length + id.length) + TEMP_FIXED_BYTES > MAX_NAME_BYTES) {
    const overhead = TEMP_FIXED_BYTES + Buffer.byteLength(id);
    if (Buffer.byteLength(kept) + overhead > MAX_NAME_BYTES) {
      const chars = Array.from(name);
      while (chars.length > 0 && Buffer.byteLength(chars.join('')) + overhead > MAX_NAME_BYTES) chars.pop();
      kept = chars.join('');
    }
  }
  return `.${kept}${TEMP_MARKER}${id}${TEMP_SUFFIX}`;
}

/**
 * True for names made by {@link makeTempName}. Why exported: drivers hide these from `list()`/`stat()`,
 * refuse them as write targets, and crash recovery (`cleanupTemp`) finds leftovers with it.
 */
export function isTempName(name: string): boolean {
  return TEMP_NAME_RE.test(name);
}

const TEMP_PARTS_RE = /^\.([\s\S]*)\.barge-[0-9a-z]{8,32}\.part$/;

/**
 * Whether `tempName` is the temporary file of a write to `name` (made by {@link makeTempName}, whose
 * embedded name may have been shortened). Why: a redo of a batch whose mover died removes that mover's
 * temporary files of the same targets, and only those (other writers may work in the same directory).
 */
export function isTempFor(tempName: string, name: string): boolean {
  const kept = TEMP_PARTS_RE.exec(tempName)?.[1];
  if (kept === undefined) return false;
  return kept === name || (kept.length > 0 && name.startsWith(kept) && Buffer.byteLength(tempName) >= MAX_NAME_BYTES - 4);
}

/**
 * Refuse a path whose last segment is a reserved temporary name. Why: a user object with such a name would
 * be invisible to `list()` and deletable by crash recovery, so it must never be created through a driver.
 */
export function assertNotTempPath(path: string): void {
  const name = baseStorageName(path);
  if (isTempName(name)) {
    throw new StorageError('invalid_path', `name is reserved for Barge temporary files: ${JSON.stringify(name)}`, { path });
  }
}
