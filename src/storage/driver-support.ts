/**
 * Helpers shared by driver implementations (not by driver users).
 * Why: the argument rules of the contract (range bounds, capability-bound options, signal wiring) must be
 * enforced identically by every driver, and re-implementing them per driver is how drivers drift apart.
 */
import type { DriverFeatures, MetaOptions, ReadOptions, WriteOptions } from './driver.js';
import { StorageError } from './errors.js';

/** An inclusive byte range to read, already clamped to the object size, or `null` for "nothing to read". */
export interface ResolvedRange {
  readonly start: number;
  readonly end: number;
}

function checkOffset(value: number | undefined, what: string, path: string): void {
  if (value === undefined) return;
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new StorageError('invalid_argument', `${what} must be a non-negative integer, got ${String(value)}`, { path });
  }
}

/**
 * Validate `start`/`end` (inclusive) against the size of the object and the driver's `rangeRead` feature.
 * Why here: clamping and the empty-range cases are easy to get subtly different per backend.
 */
export function resolveRange(options: ReadOptions, size: number, features: DriverFeatures, path: string): ResolvedRange | null {
  const { start, end } = options;
  checkOffset(start, 'start', path);
  checkOffset(end, 'end', path);
  if (!features.rangeRead && ((start !== undefined && start !== 0) || end !== undefined)) {
    throw new StorageError('unsupported', 'driver does not support range reads', { path });
  }
  if (start !== undefined && end !== undefined && end < start) {
    throw new StorageError('invalid_argument', `end (${end}) is before start (${start})`, { path });
  }
  const from = start ?? 0;
  const to = Math.min(end ?? size - 1, size - 1);
  if (from >= size || to < from) return null;
  return { start: from, end: to };
}

function checkTime(value: number | undefined, what: string, path: string): void {
  if (value !== undefined && !Number.isFinite(value)) {
    throw new StorageError('invalid_argument', `${what} must be a finite number of ms`, { path });
  }
}

function checkId(value: number | undefined, what: string, path: string): void {
  if (value !== undefined && (!Number.isSafeInteger(value) || value < 0)) {
    throw new StorageError('invalid_argument', `${what} must be a non-negative integer`, { path });
  }
}

/**
 * Validate metadata options against declared features. Why refuse (not ignore) ownership without
 * `setOwnership`: a user who asked to preserve owners must learn it did not happen.
 */
export function checkMetaOptions(meta: MetaOptions, features: DriverFeatures, path: string): void {
  checkTime(meta.mtimeMs, 'mtimeMs', path);
  checkTime(meta.atimeMs, 'atimeMs', path);
  checkId(meta.uid, 'uid', path);
  checkId(meta.gid, 'gid', path);
  if (meta.mode !== undefined && (!Number.isInteger(meta.mode) || meta.mode < 0 || meta.mode > 0o7777)) {
    throw new StorageError('invalid_argument', 'mode must be an integer within 0o7777', { path });
  }
  if ((meta.uid !== undefined || meta.gid !== undefined) && !features.setOwnership) {
    throw new StorageError('unsupported', 'this driver cannot set ownership (posix: only when running as root)', { path });
  }
}

/**
 * Validate `openWrite` options. Why refuse unsupported options: silently dropping a storage class or a
 * retention date would break a promise made to the user (cost, compliance).
 */
export function checkWriteOptions(options: WriteOptions, features: DriverFeatures, path: string): void {
  checkMetaOptions(options, features, path);
  if (options.size !== undefined && (!Number.isSafeInteger(options.size) || options.size < 0)) {
    throw new StorageError('invalid_argument', 'size must be a non-negative integer', { path });
  }
  if (options.metadata !== undefined) {
    if (!features.userMetadata) throw new StorageError('unsupported', 'driver does not store user metadata', { path });
    for (const [k, v] of Object.entries(options.metadata)) {
      if (typeof v !== 'string') throw new StorageError('invalid_argument', `metadata ${k} must be a string`, { path });
    }
  }
  if (options.storageClass !== undefined && !features.storageClasses.includes(options.storageClass)) {
    throw new StorageError('unsupported', `storage class ${JSON.stringify(options.storageClass)} is not supported`, { path });
  }
  if ((options.retainUntilMs !== undefined || options.legalHold !== undefined) && !features.objectLock) {
    throw new StorageError('unsupported', 'driver does not support object lock', { path });
  }
}

/**
 * Call `onAbort` once when `signal` fires (immediately if it already has); returns a disposer.
 * Why: writers must detach their listener on commit, or long-lived execution signals leak one closure per file.
 */
export function onAbort(signal: AbortSignal | undefined, onAbortFn: () => void): () => void {
  if (signal === undefined) return () => {};
  if (signal.aborted) {
    queueMicrotask(onAbortFn);
    return () => {};
  }
  signal.addEventListener('abort', onAbortFn, { once: true });
  return () => signal.removeEventListener('abort', onAbortFn);
}

/**
 * Map `items` through `fn` with at most `limit` calls in flight, yielding results in input order as soon as
 * the head is ready. Why: posix listing needs one `lstat` per entry; serial is 5× slower and unbounded
 * `Promise.all` on a 1M-entry directory exhausts the libuv pool and memory.
 */
export async function* mapOrderedBounded<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): AsyncGenerator<R> {
  const window: Promise<R>[] = [];
  let next = 0;
  const settleGuard = (p: Promise<R>): Promise<R> => {
    p.catch(() => {}); // rejections are observed when the head is awaited; avoid unhandled ones meanwhile
    return p;
  };
  try {
    while (next < items.length && window.length < limit) window.push(settleGuard(fn(items[next++] as T)));
    while (window.length > 0) {
      const head = window.shift() as Promise<R>;
      const value = await head;
      if (next < items.length) window.push(settleGuard(fn(items[next++] as T)));
      yield value;
    }
  } finally {
    window.length = 0;
  }
}
