/**
 * Crash recovery shared by the object-store drivers: finding (and removing) the temporary objects
 * `.<name>.barge-<id>.part` that writers left when they died before commit or abort, and the argument rule
 * of `restore`.
 *
 * Why shared: which leftovers count (age, the names asked, never a live writer's) is the promise
 * `cleanupTemp` makes to a mover redoing another mover's batch while other writers go on; it must be kept
 * the same way whatever the store. The store says only how to list, size and remove one leftover (S3 also
 * has unfinished multipart uploads, Azure blobs holding only staged blocks).
 */
import type { TempCleanupOptions } from '../driver.js';
import { StorageError, throwIfAborted } from '../errors.js';
import { isTempFor, isTempName } from '../paths.js';

/** One object of a cleanup listing. */
export interface ListedLeftover {
  readonly key: string;
  readonly lastModified: Date | undefined;
}

/** One page of a flat (or, when not recursive, delimited) listing under the directory being cleaned. */
export interface TempPage<O extends ListedLeftover> {
  readonly objects: readonly O[];
  /** Whether the page held anything at all (objects or subdirectories). */
  readonly any: boolean;
  readonly next: string | undefined;
}

/** How a store lists, sizes and removes leftovers. */
export interface TempStore<O extends ListedLeftover> {
  page(prefix: string, delimited: boolean, token: string | undefined): Promise<TempPage<O>>;
  /** Bytes a leftover holds (asked before it is removed; also on a dry run). */
  sizeOf(o: O, rel: string): Promise<number>;
  remove(o: O, rel: string): Promise<void>;
}

/** What a scan found, and whether anything at all lay under the directory. */
export interface TempScan {
  readonly paths: string[];
  bytes: number;
  seen: boolean;
}

/** The name filter of `TempCleanupOptions.names`: temporary names of writes to those names, or the names themselves. */
export function wantedTemp(names: readonly string[] | undefined): (base: string) => boolean {
  return (base) => names === undefined || names.some((n) => isTempFor(base, n) || base === n);
}

/**
 * Temporary objects under `prefix` (keys relative to the storage root `root`) last modified at least
 * `minAgeMs` ago, except the live writers' (`liveTemps`), removed unless `dryRun`. Returns the scan so far:
 * a store with more kinds of leftovers adds them, and the caller tells a missing directory (`seen` false).
 */
export async function scanTempObjects<O extends ListedLeftover>(store: TempStore<O>, prefix: string, root: string, norm: string,
  liveTemps: ReadonlySet<string>, options: TempCleanupOptions): Promise<TempScan> {
  const { recursive = true, minAgeMs = 0, dryRun = false, signal, names } = options;
  const wanted = wantedTemp(names);
  const now = Date.now();
  const scan: TempScan = { paths: [], bytes: 0, seen: false };
  let token: string | undefined;
  do {
    const page = await store.page(prefix, !recursive, token);
    scan.seen ||= page.any;
    for (const o of page.objects) {
      throwIfAborted(signal, norm);
      const rel = o.key.slice(root.length);
      const base = rel.slice(rel.lastIndexOf('/') + 1);
      if (!isTempName(base) || !wanted(base) || liveTemps.has(o.key)) continue;
      if (o.lastModified !== undefined && now - o.lastModified.getTime() < minAgeMs) continue;
      const size = await store.sizeOf(o, rel);
      if (!dryRun) await store.remove(o, rel);
      scan.paths.push(rel);
      scan.bytes += size;
    }
    token = page.next;
  } while (token !== undefined);
  return scan;
}

/** `restore`'s `days` (default 1): a positive integer on every driver, even where it has no meaning. */
export function restoreDays(days: number | undefined, norm: string): number {
  const value = days ?? 1;
  if (!Number.isSafeInteger(value) || value < 1) throw new StorageError('invalid_argument', 'days must be a positive integer', { path: norm });
  return value;
}
