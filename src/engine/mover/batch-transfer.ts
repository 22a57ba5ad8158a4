/**
 * Small copies of a batch handed to the source driver in one call (`transferBatch`, issue #14), instead
 * of one `runItem` per file: the mover groups consecutive copy items of one source → destination pair,
 * the driver copies them together (posix: one message to a copy worker, one group commit) and answers
 * with one outcome per file. What a file's outcome means is unchanged: a result is that file copied,
 * verified and durable; an error is that file's own, retried or recorded by the mover like any other.
 * Items that need more than a plain copy (a same-content check, a cold-tier restore, an inherited lock,
 * a `parallel` limit counted in files) keep the per-file path (item-runner.ts).
 */
import type { StorageDriver, WriteOptions } from '../../storage/driver.js';
import type { BatchTransferFile } from '../../storage/batch-transfer.js';
import { StorageError, toStorageError } from '../../storage/errors.js';
import type { ExecutionContext } from '../execution-context.js';
import type { WorkItem } from '../queue/work-item.js';
import type { ItemOutcome } from './item-runner.js';
import { writeOptions } from './transfer.js';

/** Most files one call carries (the posix copy pool's message size: one group commit). */
export const GROUP_FILES = 64;

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
 * Copies a group from {@link groupAt}: one outcome per item, in order (an ItemOutcome, or the
 * StorageError of that file). Null when the source has no batch path to that destination after all
 * (the caller runs the items one by one). A failure of the call as a whole is every file's failure.
 */
export async function transferGroup(ctx: ExecutionContext, items: readonly WorkItem[], smallFileBytes: number, onBytes: (n: number) => void): Promise<Array<ItemOutcome | StorageError> | null> {
  const pair = batchPair(ctx, items[0] as WorkItem, smallFileBytes);
  if (!pair?.src.transferBatch) return null;
  const o = ctx.opts;
  const signal = ctx.abort.signal;
  // One set of options for the group; per file, one options object (the batch's signal is its own).
  const common = { resetFileDate: o.resetFileDate, keepOwnership: o.keepOwnership, storageClass: o.storageClass, lock: o.lock, noReplace: o.conflict !== 'overwrite', signal };
  const files: BatchTransferFile[] = items.map((item) => {
    const options = writeOptions(item, pair.dst, common) as { -readonly [K in keyof WriteOptions]: WriteOptions[K] } & { checksum?: typeof o.checksum };
    delete options.signal;
    options.checksum = o.checksum;
    return { path: item.src.path, dstPath: (item.dst as { path: string }).path, options };
  });
  let outcomes;
  try {
    outcomes = await pair.src.transferBatch(files, pair.dst, { signal, onBytes });
  } catch (err) {
    return items.map((item) => toStorageError(err, item.src.path));
  }
  if (outcomes === null) return null;
  return outcomes.map((r) => (r instanceof StorageError ? r : { status: 'done', size: r.size, checksum: r.checksum }));
}
