/**
 * The source walk: depth-first, one directory in memory at a time (sorted, so the order is the
 * checkpoint order), streamed to the dispatcher. After a crash it resumes behind a checkpoint,
 * pruning whole subtrees that were already planned.
 */
import type { Entry, StorageDriver } from '../storage/driver.js';
import { StorageError } from '../storage/errors.js';
import { comparePositions, compareNames, isAncestor, joinPath, type WalkPosition } from './plan.js';

export interface WalkEntry {
  /** Storage path of the entry (`/a/b`). */
  path: string;
  entry: Entry;
  position: WalkPosition;
}

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
  yield* walkDir(driver, joinPath(rootPath), rootPos, opts, skip, descend);
}

async function* walkDir(
  driver: StorageDriver,
  dir: string,
  pos: WalkPosition,
  opts: WalkOptions,
  skip: (p: WalkPosition) => boolean,
  descend: (p: WalkPosition) => boolean,
): AsyncGenerator<WalkEntry> {
  const entries: Entry[] = [];
  for await (const e of driver.list(dir, { signal: opts.signal })) {
    if (opts.ignoreHidden && e.name.startsWith('.')) continue;
    entries.push(e);
  }
  entries.sort((a, b) => compareNames(a.name, b.name, opts.order));
  for (const entry of entries) {
    opts.signal?.throwIfAborted();
    const childPos: WalkPosition = { ep: pos.ep, np: pos.np, path: [...pos.path, entry.name] };
    const path = joinPath(dir, entry.name);
    if (!skip(childPos)) yield { path, entry, position: childPos };
    if (entry.kind === 'dir' && opts.recursive && descend(childPos)) yield* walkDir(driver, path, childPos, opts, skip, descend);
  }
}

