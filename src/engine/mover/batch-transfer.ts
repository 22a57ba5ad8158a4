/**
 * Small copies of a batch handed to the source driver in one call (`transferBatch`, issue #14), instead
 * of one `runItem` per file: the mover groups consecutive copy items of one source → destination pair,
 * the driver copies them together (posix: one message to a copy worker, one group commit) and answers
 * with one outcome per file. What a file's outcome means is unchanged: a result is that file copied,
 * verified and durable; an error is that file's own, retried or recorded by the mover like any other.
 * Items that need more than a plain copy (a same-content check, a cold-tier restore, an inherited lock,
 * a `parallel` limit counted in files) keep the per-file path (item-runner.ts).
 */
import type { StorageDriver } from '../../storage/driver.js';
import type { BatchTransferFile, BatchTransferOutcome } from '../../storage/batch-transfer.js';
import { toStorageError } from '../../storage/errors.js';
import type { ExecutionContext } from '../execution-context.js';
import type { WorkItem } from '../queue/work-item.js';
import { policyOptions, writePolicy } from './transfer.js';

/**
 * Most files one call carries: a whole batch of the dispatcher (batchFiles, 512), which the posix
 * copy pool takes as one message and one group commit (its MAX_JOBS_PER_MESSAGE; the engine does not
 * import a driver's constants). 64 was ~12% slower on 100,000 small files (more syncfs); 256 ~10%
 * slower than 512 where the disk is fast and the CPU is the limit (the engine's work per batch and
 * the syncfs per group; issue #14).
 */
export const GROUP_FILES = 512;

/** The driver pair an item copies between, when it may go through `transferBatch`; else undefined. */
export function batchPair(ctx: ExecutionContext, item: WorkItem, smallFileBytes: number): { src: StorageDriver; dst: StorageDriver } | undefined {
  if (item.op !== 'copy' || item.size > smallFileBytes || !item.dst) return undefined;
  const o = ctx.opts;
  if (o.parallel !== null || o.inheritLock || (item.unlessSame !== undefined && o.checksum)) return undefined;
  const src = ctx.sources[item.src.ep]?.driver;
  const dst = ctx.destinations[item.dst.ep]?.driver;
  if (!src?.transferBatch || !dst || src.features.restoreFromCold) return undefined;
  return { src, dst };
}

/**
 * Moves a batch's mkdir items ahead of its other items, each kind keeping its order. Why: a batch
 * spans folders, and the mkdir planned before each folder's files cut the copies around it into one
 * group per folder ({@link groupAt}) — on a tree of 100-file folders ~100 files per group commit
 * instead of 256, two and a half times the syncfs (issue #14). Safe to run them first: a folder's
 * mkdir still precedes its subfolders', and a copy makes its missing parents itself (they already ran
 * side by side: the mover does not wait for a mkdir before starting what follows it).
 */
export function foldersFirst<T extends { item: WorkItem }>(todo: T[]): void {
  const dirs: T[] = [];
  const rest: T[] = [];
  for (const t of todo) (t.item.op === 'mkdir' ? dirs : rest).push(t);
  if (dirs.length === 0 || rest.length === 0) return;
  let k = 0;
  for (const t of dirs) todo[k++] = t;
  for (const t of rest) todo[k++] = t;
}

/**
 * The items of `todo` from `from` on that travel with it: batchable, same endpoints, at most
 * {@link GROUP_FILES}. Empty when `todo[from]` itself is not batchable.
 */
export function groupAt<T extends { item: WorkItem }>(ctx: ExecutionContext, todo: readonly T[], from: number, smallFileBytes: number): T[] {
  const first = todo[from];
  if (!first || !batchPair(ctx, first.item, smallFileBytes)) return [];
  const group: T[] = [first];
  for (let k = from + 1; k < todo.length && group.length < GROUP_FILES; k++) {
    const t = todo[k] as T;
    if (t.item.src.ep !== first.item.src.ep || t.item.dst?.ep !== first.item.dst?.ep || !batchPair(ctx, t.item, smallFileBytes)) break;
    group.push(t);
  }
  return group;
}

/**
 * Copies a group from {@link groupAt}: one outcome per item, in order — the driver's own (a result is
 * that file copied: status `done`; a StorageError is that file's failure), passed through without
 * re-wrapping. Null when the source has no batch path to that destination after all (the caller runs
 * the items one by one). A failure of the call as a whole is every file's failure.
 * Why the options this way: what depends only on the task and the destination is decided once per
 * group (writePolicy), and each file's options are one object literal of one shape — no spreads, no
 * `delete` (which turned every file's options into a slow dictionary object).
 */
export async function transferGroup(ctx: ExecutionContext, items: readonly WorkItem[], smallFileBytes: number, onBytes: (n: number) => void): Promise<BatchTransferOutcome[] | null> {
  const pair = batchPair(ctx, items[0] as WorkItem, smallFileBytes);
  if (!pair?.src.transferBatch) return null;
  const o = ctx.opts;
  const signal = ctx.abort.signal;
  const policy = writePolicy(pair.dst, { resetFileDate: o.resetFileDate, keepOwnership: o.keepOwnership, storageClass: o.storageClass, lock: o.lock, noReplace: o.conflict !== 'overwrite' });
  const files = new Array<BatchTransferFile>(items.length);
  for (let k = 0; k < items.length; k++) {
    const item = items[k] as WorkItem;
    files[k] = { path: item.src.path, dstPath: (item.dst as { path: string }).path, options: policyOptions(policy, item, o.checksum) };
  }
  let outcomes;
  try {
    outcomes = await pair.src.transferBatch(files, pair.dst, { signal, onBytes });
  } catch (err) {
    return items.map((item) => toStorageError(err, item.src.path));
  }
  return outcomes;
}
