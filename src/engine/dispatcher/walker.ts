/**
 * The source walk: depth-first, one directory in memory at a time (sorted, so the order is the
 * checkpoint order), streamed to the dispatcher. After a crash it resumes behind a checkpoint,
 * pruning whole subtrees that were already planned.
 *
 * A folder below the node path that cannot be listed (permission denied, vanished, an I/O error that
 * retries did not cure) does not end the walk: it is yielded as a `failure` — one failed file for the
 * ledger and the counters — and the walk goes on. Only the node path itself failing ends it.
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { Entry, StorageDriver } from '../../storage/driver.js';
import { StorageError, toStorageError } from '../../storage/errors.js';
import { comparePositions, compareNames, isAncestor, joinPath, type WalkPosition } from './plan.js';

export interface WalkEntry {
  /** Storage path of the entry (`/a/b`). */
  path: string;
  entry: Entry;
  position: WalkPosition;
  /**
   * Set when `path` is a folder whose listing failed. Its position sorts right after the folder's own
   * (an empty last segment), so a resume at the folder yields it again and a resume at it does not.
   */
  failure?: StorageError;
}

/** Listing attempts for a retryable error (busy, io…), with backoff 200 ms × 4ⁿ. */
const LIST_ATTEMPTS = 3;
const LIST_BACKOFF_MS = 200;

export interface WalkOptions {
  recursive: boolean;
  ignoreHidden: boolean;
  order: 'asc' | 'dsc';
  /** Resume point: entries at or before it are skipped. */
  after?: WalkPosition;
  signal?: AbortSignal;
}

/** Walks one node path of one source endpoint. A missing node path throws `not_found`. */
export async function* walk(driver: StorageDriver, ep: number, np: number, rootPath: string, opts: WalkOptions): AsyncGenerator<WalkEntry> {
  const root = await driver.stat(rootPath, { signal: opts.signal });
  if (!root) throw new StorageError('not_found', `source path ${rootPath} does not exist`, { path: rootPath });
  const rootPos: WalkPosition = { ep, np, path: [] };
  const skip = (pos: WalkPosition) => opts.after !== undefined && comparePositions(pos, opts.after, opts.order) <= 0;
  const descend = (pos: WalkPosition) => opts.after === undefined || !skip(pos) || isAncestor(pos, opts.after);
  if (!skip(rootPos)) yield { path: joinPath(rootPath), entry: root, position: rootPos };
  if (root.kind !== 'dir' || !descend(rootPos)) return;
  yield* walkDir(driver, joinPath(rootPath), root, rootPos, opts, skip, descend, true);
}

/** One folder's entries, retrying retryable errors; throws the last error. */
async function listDir(driver: StorageDriver, dir: string, opts: WalkOptions): Promise<Entry[]> {
  for (let attempt = 1; ; attempt++) {
    try {
      const entries: Entry[] = [];
      for await (const e of driver.list(dir, { signal: opts.signal })) {
        if (opts.ignoreHidden && e.name.startsWith('.')) continue;
        entries.push(e);
      }
      return entries;
    } catch (err) {
      const e = toStorageError(err, dir);
      if (!e.retryable || attempt >= LIST_ATTEMPTS || opts.signal?.aborted) throw e;
      await delay(LIST_BACKOFF_MS * 4 ** (attempt - 1), undefined, { signal: opts.signal }).catch(() => undefined);
    }
  }
}

async function* walkDir(
  driver: StorageDriver,
  dir: string,
  self: Entry,
  pos: WalkPosition,
  opts: WalkOptions,
  skip: (p: WalkPosition) => boolean,
  descend: (p: WalkPosition) => boolean,
  isRoot = false,
): AsyncGenerator<WalkEntry> {
  let entries: Entry[];
  try {
    entries = await listDir(driver, dir, opts);
  } catch (err) {
    if (isRoot || opts.signal?.aborted) throw err;
    const failurePos: WalkPosition = { ...pos, path: [...pos.path, ''] };
    if (!skip(failurePos)) yield { path: dir, entry: self, position: failurePos, failure: toStorageError(err, dir) };
    return;
  }
  entries.sort((a, b) => compareNames(a.name, b.name, opts.order));
  for (const entry of entries) {
    opts.signal?.throwIfAborted();
    const childPos: WalkPosition = { ep: pos.ep, np: pos.np, path: [...pos.path, entry.name] };
    const path = joinPath(dir, entry.name);
    if (!skip(childPos)) yield { path, entry, position: childPos };
    if (entry.kind === 'dir' && opts.recursive && descend(childPos)) yield* walkDir(driver, path, entry, childPos, opts, skip, descend);
  }
}

