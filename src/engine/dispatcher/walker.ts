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
import { listInChunks, type Entry, type StorageDriver } from '../../storage/driver.js';
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

/** A filter's verdict on one entry: kept, left out (a folder left out is not walked), or failed (why). */
export type EntryVerdict = 'keep' | 'drop' | { failed: string };

/**
 * Chooses the entries the walk yields, one folder at a time (one call for all of a folder's entries,
 * so a filter in a sandbox costs one round trip per folder). A failed entry is yielded with a
 * `callback` failure and, if a folder, not walked. The task's callback filter (engine/callbacks).
 */
export type EntrySelector = (entries: ReadonlyArray<{ path: string; entry: Entry }>) => Promise<EntryVerdict[]>;

export interface WalkOptions {
  /** Which entries to keep; every one when absent. The node path itself is asked only when it is a file. */
  select?: EntrySelector;
  recursive: boolean;
  ignoreHidden: boolean;
  order: 'asc' | 'dsc';
  /** Resume point: entries at or before it are skipped. */
  after?: WalkPosition;
  signal?: AbortSignal;
}

/** Walks one node path of one source endpoint. A missing node path throws `not_found`. */
export async function* walk(driver: StorageDriver, ep: number, np: number, rootPath: string, opts: WalkOptions): AsyncGenerator<WalkEntry> {
  for await (const chunk of walkChunks(driver, ep, np, rootPath, opts)) {
    for (const w of chunk) {
      // Checked as the walk did when it handed out entries one at a time: before each one below the node path.
      if (w.position.path.length > 0) opts.signal?.throwIfAborted();
      yield w;
    }
  }
}

/** Entries of a {@link walkChunks} chunk at most: what is built ahead of the consumer. */
const WALK_CHUNK = 256;

/**
 * {@link walk}, a run of consecutive entries at a time (at most 256, never across a folder listing:
 * each chunk is handed over as the walk starts listing a folder, so a slow listing never holds back
 * what was walked before it, and the consumer plans it while the listing is read). Why: one awaited
 * step per entry — a promise, a microtask and a generator resume — was a visible share of the
 * dispatcher's CPU per file (issue #14); a consumer loops over a chunk itself. The signal is checked per entry as it is walked; a consumer that stops on an abort
 * checks it again per entry (walk does).
 */
export async function* walkChunks(driver: StorageDriver, ep: number, np: number, rootPath: string, opts: WalkOptions): AsyncGenerator<WalkEntry[]> {
  const root = await driver.stat(rootPath, { signal: opts.signal });
  if (!root) throw new StorageError('not_found', `source path ${rootPath} does not exist`, { path: rootPath });
  const rootPos: WalkPosition = { ep, np, path: [] };
  const skip = (pos: WalkPosition) => opts.after !== undefined && comparePositions(pos, opts.after, opts.order) <= 0;
  const descend = (pos: WalkPosition) => opts.after === undefined || !skip(pos) || isAncestor(pos, opts.after);
  if (root.kind !== 'dir' && opts.select && !skip(rootPos)) {
    const [v] = await opts.select([{ path: joinPath(rootPath), entry: root }]);
    if (v === 'drop') return;
    if (v !== undefined && v !== 'keep') {
      yield [{ path: joinPath(rootPath), entry: root, position: rootPos, failure: callbackFailure(v.failed, joinPath(rootPath)) }];
      return;
    }
  }
  if (!skip(rootPos)) yield [{ path: joinPath(rootPath), entry: root, position: rootPos }];
  if (root.kind !== 'dir' || !descend(rootPos)) return;
  yield* walkDir(driver, joinPath(rootPath), root, rootPos, opts, skip, descend);
}

/** One folder's entries, retrying retryable errors; throws the last error. */
async function listDir(driver: StorageDriver, dir: string, opts: WalkOptions): Promise<Entry[]> {
  for (let attempt = 1; ; attempt++) {
    try {
      const entries: Entry[] = [];
      for await (const chunk of listInChunks(driver, dir, { signal: opts.signal })) {
        for (const e of chunk) {
          if (opts.ignoreHidden && e.name.startsWith('.')) continue;
          entries.push(e);
        }
      }
      return entries;
    } catch (err) {
      const e = toStorageError(err, dir);
      if (!e.retryable || attempt >= LIST_ATTEMPTS || opts.signal?.aborted) throw e;
      await delay(LIST_BACKOFF_MS * 4 ** (attempt - 1), undefined, { signal: opts.signal }).catch(() => undefined);
    }
  }
}

/** A folder being walked: its sorted entries, the filter's verdicts, and the next entry to yield. */
interface Frame {
  dir: string;
  /** `dir` with a trailing `/`: an entry's path is this plus its name. */
  prefix: string;
  pos: WalkPosition;
  entries: Entry[];
  verdicts: Map<number, EntryVerdict> | undefined;
  next: number;
}

/**
 * Lists a folder for the walk: its frame, or — when the listing failed below the node path — the
 * failure to yield (undefined when a resumed walk is already past it). The node path's own failure
 * (and any after an abort) is thrown.
 */
async function openDir(
  driver: StorageDriver, dir: string, self: Entry, pos: WalkPosition, opts: WalkOptions,
  skip: (p: WalkPosition) => boolean, descend: (p: WalkPosition) => boolean, isRoot: boolean,
  listing: Promise<Entry[]> = listDir(driver, dir, opts),
): Promise<Frame | WalkEntry | undefined> {
  let entries: Entry[];
  try {
    entries = await listing;
  } catch (err) {
    if (isRoot || opts.signal?.aborted) throw err;
    const failurePos: WalkPosition = { ...pos, path: [...pos.path, ''] };
    return skip(failurePos) ? undefined : { path: dir, entry: self, position: failurePos, failure: toStorageError(err, dir) };
  }
  entries.sort((a, b) => compareNames(a.name, b.name, opts.order));
  const verdicts = opts.select ? await selected(entries, dir, pos, opts.select, skip, descend) : undefined;
  return { dir, prefix: dir === '/' ? '/' : `${dir}/`, pos, entries, verdicts, next: 0 };
}

/**
 * Depth-first below `dir`, with an explicit stack of open folders rather than one generator per
 * level: the order and what is kept in memory (the listings of the folders on the current path) are
 * those of the recursion, and entries travel in chunks (see walkChunks) rather than one generator
 * step each (issue #14).
 */
async function* walkDir(
  driver: StorageDriver,
  dir: string,
  self: Entry,
  pos: WalkPosition,
  opts: WalkOptions,
  skip: (p: WalkPosition) => boolean,
  descend: (p: WalkPosition) => boolean,
): AsyncGenerator<WalkEntry[]> {
  const root = await openDir(driver, dir, self, pos, opts, skip, descend, true);
  if (root === undefined || !('entries' in root)) return; // the node path's failure was thrown
  const stack: Frame[] = [root];
  let out: WalkEntry[] = [];
  while (stack.length > 0) {
    const f = stack[stack.length - 1] as Frame;
    if (f.next >= f.entries.length) {
      stack.pop();
      continue;
    }
    if (out.length >= WALK_CHUNK) {
      yield out;
      out = [];
    }
    const i = f.next++;
    const entry = f.entries[i] as Entry;
    opts.signal?.throwIfAborted();
    const childPos: WalkPosition = { ep: f.pos.ep, np: f.pos.np, path: childSegments(f.pos.path, entry.name) };
    const path = isPlainName(entry.name) ? f.prefix + entry.name : joinPath(f.dir, entry.name);
    const verdict = f.verdicts === undefined ? 'keep' : f.verdicts.get(i) ?? 'keep';
    if (verdict === 'drop') continue;
    if (verdict !== 'keep') {
      if (!skip(childPos)) out.push({ path, entry, position: childPos, failure: callbackFailure(verdict.failed, path) });
      continue;
    }
    if (!skip(childPos)) out.push({ path, entry, position: childPos });
    if (entry.kind === 'dir' && opts.recursive && descend(childPos)) {
      // The listing starts before what was walked is handed over, so the consumer plans it while the
      // folder is read (a generator runs only when asked: started after the yield, the two took turns).
      // Handled at once: a consumer that stops early leaves it unawaited (openDir reports its failure).
      const listing = listDir(driver, path, opts);
      listing.catch(() => undefined);
      if (out.length > 0) {
        yield out;
        out = [];
      }
      const child = await openDir(driver, path, entry, childPos, opts, skip, descend, false, listing);
      if (child === undefined) continue;
      if ('entries' in child) stack.push(child);
      else out.push(child);
    }
  }
  if (out.length > 0) yield out;
}

/** `[...path, name]`, without the spread's iterator. */
function childSegments(path: readonly string[], name: string): string[] {
  const out = path.slice();
  out.push(name);
  return out;
}

/** A listed name that joinPath would append unchanged (one segment, not `.`): the usual case. */
function isPlainName(name: string): boolean {
  return name.length > 0 && name !== '.' && name.indexOf('/') === -1;
}


/** A folder's verdicts, asked only for entries the walk will yield or enter (a resumed walk skips the rest). */
async function selected(
  entries: Entry[], dir: string, pos: WalkPosition, select: EntrySelector,
  skip: (p: WalkPosition) => boolean, descend: (p: WalkPosition) => boolean,
): Promise<Map<number, EntryVerdict>> {
  const asked: number[] = [];
  entries.forEach((e, i) => {
    const p: WalkPosition = { ep: pos.ep, np: pos.np, path: [...pos.path, e.name] };
    if (!skip(p) || (e.kind === 'dir' && descend(p))) asked.push(i);
  });
  const out = new Map<number, EntryVerdict>();
  if (asked.length === 0) return out;
  const verdicts = await select(asked.map((i) => ({ path: joinPath(dir, (entries[i] as Entry).name), entry: entries[i] as Entry })));
  asked.forEach((i, k) => out.set(i, verdicts[k] ?? { failed: 'the filter gave no verdict' }));
  return out;
}

function callbackFailure(message: string, path: string): StorageError {
  return new StorageError('callback', message, { path, retryable: false });
}
