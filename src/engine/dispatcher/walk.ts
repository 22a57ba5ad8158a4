/**
 * The dispatcher's walk: streams every source, plans each entry, cuts the plan into batches (at most
 * N files or M bytes) and writes them to the work queue together with a checkpoint, so movers start
 * copying while the walk goes on and a crash resumes the walk right after the last planned entry.
 */
import type { WorkQueue, NewBatch } from '../queue/work-queue.js';
import type { ExecutionContext } from '../execution-context.js';
import { Planner, sourceRoots, type PreviousBackup } from './planner.js';
import type { CatalogEntryRow } from '../../store/schema.js';
import { walkChunks, type EntrySelector, type WalkEntry } from './walker.js';
import { joinPath, type WalkPosition } from './plan.js';
import type { WorkItem } from '../queue/work-item.js';
import type { Clock } from '../../lib/clock.js';
import { SPEEDTEST_KEY_PREFIX } from '../mover/speedtest.js';

export interface DispatchLimits {
  batchFiles: number;
  batchBytes: number;
  /** Batches written per queue transaction. */
  flushBatches: number;
}

export interface WalkResult {
  /** False when the walk stopped early (stop, force_stop). */
  complete: boolean;
}

/** Why the walk should stop now (stop/force_stop), polled between entries. */
export type ShouldStop = () => boolean;

/** How this execution plans: a backup's snapshot folder and previous catalog, or a restore's catalog. */
export interface PlanSource {
  snapshotDir?: string | null;
  previous?: PreviousBackup | null;
  /** Restore of a backup: its catalog entries (after a path) and the source index of each storage. */
  restore?: { entries: (after: string) => AsyncIterable<CatalogEntryRow>; epOf: (storageId: string) => number };
  /** The task's filter callback (engine/callbacks): which walked entries are planned. Not applied to a restore. */
  filter?: EntrySelector;
}

export async function dispatchWalk(
  ctx: ExecutionContext,
  /** The work queue; a dry run's recorder (dry-run-recorder.ts) takes its place. */
  queue: Pick<WorkQueue, 'enqueue' | 'plannedItems'>,
  clock: Clock,
  cursor: WalkPosition | undefined,
  batchesPlanned: number,
  limits: DispatchLimits,
  shouldStop: ShouldStop,
  plan: PlanSource = {},
): Promise<WalkResult> {
  const planner = new Planner(ctx, plan.snapshotDir ?? null, plan.previous ?? null);
  const roots = sourceRoots(ctx);
  if (cursor) {
    // Resumed after a crash: the names handed out before it must not be handed out again.
    const at = plan.restore ? (cursor.path[0] ?? null) : joinPath(roots[cursor.ep]?.[cursor.np] ?? '/', ...cursor.path.filter((s) => s !== ''));
    await planner.remember(queue.plannedItems(ctx.id), at, plan.restore !== undefined);
  }
  let seq = batchesPlanned;
  let current: WorkItem[] = [];
  let currentFiles = 0;
  let currentBytes = 0;
  let pending: NewBatch[] = [];
  let pendingFiles = 0;
  let pendingBytes = 0;
  let last: WalkPosition | undefined = cursor;
  let lastFlush = Date.now();

  const cut = () => {
    if (current.length === 0) return;
    pending.push({ seq: seq++, items: current, files: currentFiles, bytes: currentBytes });
    pendingFiles += currentFiles;
    pendingBytes += currentBytes;
    current = [];
    currentFiles = 0;
    currentBytes = 0;
  };
  const flush = async () => {
    cut();
    if (pending.length === 0 || last === undefined) return;
    await queue.enqueue(ctx.id, pending, { cursor: JSON.stringify(last), addFiles: pendingFiles, addBytes: pendingBytes, batchesPlanned: seq }, clock.now());
    pending = [];
    pendingFiles = 0;
    pendingBytes = 0;
    lastFlush = Date.now();
  };

  if (ctx.snapshot.workflow_action === 'speedtest') {
    if (cursor) return { complete: true }; // planned in one go before any crash could interrupt it
    const o = ctx.snapshot.options;
    const iterations = typeof o.speedtest_iterations === 'number' ? o.speedtest_iterations : 3;
    const size = typeof o.speedtest_size === 'number' ? o.speedtest_size : 64 * 1024 * 1024;
    const targets = ctx.snapshot.destinations.length > 0 ? ctx.destinations : ctx.sources;
    for (let ep = 0; ep < targets.length; ep++) {
      for (let i = 0; i < iterations; i++) {
        current.push({ key: `${SPEEDTEST_KEY_PREFIX}${ep}:${i}`, op: 'speedtest', src: { ep, path: `/.barge-speedtest/${ctx.id}/${i}.bin` }, size, mtimeMs: 0 });
        currentFiles += 1;
        currentBytes += size;
        last = { ep, np: 0, path: [String(i)] };
        cut();
      }
    }
    await flush();
    return { complete: true };
  }

  if (plan.restore) {
    const after = cursor?.path[0] ?? '';
    for await (const entry of plan.restore.entries(after)) {
      if (shouldStop()) {
        await flush();
        return { complete: false };
      }
      const ep = plan.restore.epOf(entry.stored_storage_id ?? '');
      if (ep < 0) continue;
      for (const item of await planner.planRestore(entry, ep, `restore:${entry.path}`)) {
        current.push(item);
        currentFiles += 1;
        currentBytes += item.size;
      }
      last = { ep: 0, np: 0, path: [entry.path] };
      if (currentFiles >= limits.batchFiles || currentBytes >= limits.batchBytes) cut();
      if (pending.length >= limits.flushBatches || (pending.length > 0 && Date.now() - lastFlush > 200)) await flush();
    }
    await flush();
    return { complete: true };
  }

  const signal = ctx.abort.signal;
  const items: WorkItem[] = []; // one entry's items, reused (planInto appends to it)
  for (let ep = 0; ep < roots.length; ep++) {
    const source = ctx.sources[ep];
    if (!source) continue;
    const paths = roots[ep] as string[];
    for (let np = 0; np < paths.length; np++) {
      if (cursor && (ep < cursor.ep || (ep === cursor.ep && np < cursor.np))) continue;
      const keyPrefix = `${ep}:${np}:`;
      for await (const chunk of walkChunks(source.driver, ep, np, paths[np] as string, {
        recursive: ctx.opts.recursive, ignoreHidden: ctx.opts.ignoreHidden, order: ctx.opts.order, after: cursor, signal, select: plan.filter,
      })) {
        for (let c = 0; c < chunk.length; c++) {
          const w = chunk[c] as WalkEntry;
          if (w.position.path.length > 0) signal.throwIfAborted(); // as a walk handing entries one at a time does (walker.ts walk)
          if (shouldStop()) {
            await flush();
            return { complete: false };
          }
          items.length = 0;
          const planning = planner.planInto(w, keyPrefix + w.position.path.join('/'), items);
          if (planning !== undefined) await planning;
          for (let i = 0; i < items.length; i++) {
            const item = items[i] as WorkItem;
            current.push(item);
            if (item.op !== 'mkdir') {
              currentFiles += 1;
              currentBytes += item.size;
            }
          }
          last = w.position;
          if (currentFiles >= limits.batchFiles || currentBytes >= limits.batchBytes) cut();
          // Flush often enough that movers start while a slow walk goes on.
          if (pending.length >= limits.flushBatches || (pending.length > 0 && Date.now() - lastFlush > 200)) await flush();
        }
      }
    }
  }
  await flush();
  return { complete: true };
}
