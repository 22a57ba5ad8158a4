/**
 * The run of one claimed batch on a mover: skip what is already on record, start its files on the
 * mover's slots (large files a whole slot, small ones a share, small copies grouped into one driver
 * call), keep the execution's `parallel` limit, retry retryable errors with backoff, and complete the
 * batch — or, on pause/stop/shutdown, hand it back with its counts.
 *
 * Why a module of its own: this is where a file's outcome is decided and counted; the claim loop
 * (claim-loop.ts) only decides which batch comes next, and the ledger (ledger-buffer.ts) only records.
 */
import type { Logger } from 'pino';
import { setTimeout as delay } from 'node:timers/promises';
import { StorageError, toStorageError } from '../../storage/errors.js';
import type { Clock } from '../../lib/clock.js';
import type { LedgerRepository } from '../../store/ledger-repository.js';
import type { FileLedgerRow } from '../../store/schema.js';
import type { BatchCounts, WorkQueue } from '../queue/work-queue.js';
import type { ExecutionContext } from '../execution-context.js';
import type { Batch, LedgerStatus, WorkItem } from '../queue/work-item.js';
import { Semaphore } from './semaphore.js';
import type { ParallelShare } from './parallel-share.js';
import { runItem, type ItemOutcome } from './item-runner.js';
import { foldersFirst, groupAt, transferGroup } from './batch-transfer.js';
import { catalogRow, copiesCatalogued } from './catalog-row.js';
import type { BatchTransferOutcome } from '../../storage/batch-transfer.js';
import { finishedItems, isRowless, type LedgerBuffer, type OpenBatch } from './ledger-buffer.js';
import { baseName, parentOf } from '../dispatcher/plan.js';

/** What a batch run needs from its mover. */
export interface BatchRunDeps {
  owner: string;
  /** Concurrent transfers of large files. */
  slots: number;
  smallPerSlot: number;
  smallFileBytes: number;
  attempts: number;
  backoffMs: number;
  queue: WorkQueue;
  ledger: LedgerRepository;
  rows: LedgerBuffer;
  share: ParallelShare;
  clock: Clock;
  log: Logger;
  /** Shutting down: no new file starts. */
  draining: () => boolean;
  /** A batch closed: look for the next one now. */
  wake: () => void;
  /** Told when a batch of an execution settles. */
  onSettled: (executionId: string) => void;
  /** What this mover moved since it started, and its failures by error class (updated here). */
  totals: { filesDone: number; bytesDone: number };
  failures: Map<string, number>;
}

type Todo = { item: WorkItem; previous?: LedgerStatus };

export class BatchRunner {
  /** Batches open here, by id (the heartbeat reports them). */
  readonly open = new Map<string, OpenBatch>();
  private readonly slots: Semaphore;
  /** Per execution: batches waiting for one of its files to finish (its `parallel` limit is reached). */
  private readonly fileWaiters = new Map<string, Array<() => void>>();
  /**
   * Work claimed but not started, in slot units (a large file a whole slot, a small one its share),
   * across open batches: claim more only when it runs below one round of the slots. Why units, not
   * files: counting files, a mover took every batch of large files there was while it could start
   * four, and the other movers of a scale-out had nothing to do.
   */
  backlog = 0;

  constructor(private readonly d: BatchRunDeps) {
    this.slots = new Semaphore(d.slots * d.smallPerSlot);
  }

  /** Slot units in all: one round of work. */
  get capacity(): number {
    return this.d.slots * this.d.smallPerSlot;
  }

  openBatches(executionId: string): number {
    let n = 0;
    for (const o of this.open.values()) if (o.batch.executionId === executionId) n++;
    return n;
  }

  /** Units of the slot semaphore an item holds while it runs: a whole slot, or a small file's share. */
  private weight(item: WorkItem): number {
    return item.size <= this.d.smallFileBytes ? 1 : this.d.smallPerSlot;
  }

  async run(ctx: ExecutionContext, batch: Batch): Promise<void> {
    const d = this.d;
    // Open and counted before anything is awaited: the claim loop's next look (backlog), the claim
    // filter (openBatches) and a stop waiting for open batches see this batch from its claim on. Its
    // counts start as the row's (a heartbeat meanwhile writes back what is there, never less) and are
    // counted again from the ledger below, in one synchronous step.
    const counts: BatchCounts = { ...batch.persisted };
    const finished = new Map<WorkItem, number>();
    const entry: OpenBatch = { batch, counts, inflightBytes: 0, finished, rowless: false };
    this.open.set(batch.id, entry);
    const held = batch.items.reduce((a, item) => a + this.weight(item), 0);
    this.backlog += held;
    const todo: Todo[] = [];
    try {
      entry.rowless = !(await d.rows.resultsWatched(ctx)) && !ctx.opts.fullReport;
      // A first claim has nothing on record: its items were never handed to a mover (keys are unique
      // in an execution, and a walk resumed after a crash plans again only what no batch holds).
      const previous = batch.attempts > 1 ? await d.ledger.forKeys(ctx.id, batch.items.map((i) => i.key)) : new Map<string, FileLedgerRow>();
      for (const [i, size] of batch.finished ?? []) {
        const item = batch.items[i];
        if (item) finished.set(item, size);
      }
      counts.doneFiles = 0;
      counts.doneBytes = 0;
      counts.failedFiles = 0;
      for (const item of batch.items) {
        const prev = previous.get(item.key);
        const size = finished.get(item);
        if (prev?.status === 'done' || prev?.status === 'skipped' || (prev === undefined && size !== undefined)) {
          if (item.op !== 'mkdir') {
            counts.doneFiles++;
            counts.doneBytes += prev ? Number(prev.size) : (size as number);
          }
        } else if (prev?.status === 'failed') counts.failedFiles++;
        else todo.push({ item, previous: prev?.status as LedgerStatus | undefined });
      }
      foldersFirst(todo); // the copies of the batch's folders then form whole groups (batch-transfer.ts)
      // A redo (its previous mover died or stalled): remove that mover's temporary files of these targets.
      if (batch.attempts > 1) await removeLeftovers(ctx, todo.map((t) => t.item), d.log);
    } catch (err) {
      // Not started: it stays leased to this mover until its lease runs out and it is queued again.
      this.backlog -= held;
      this.open.delete(batch.id);
      throw err;
    }
    // From here on only what is to be done counts.
    const weights = todo.map((t) => this.weight(t.item));
    this.backlog += weights.reduce((a, w) => a + w, 0) - held;
    const started: Array<Promise<void>> = [];
    let next = 0;
    try {
      for (; next < todo.length; next++) {
        if (!ctx.runnable || d.draining()) break;
        const parallel = ctx.opts.parallel === null ? null : d.share.limitOf(ctx);
        const { item, previous: prev } = todo[next] as Todo;
        // Small copies the source driver takes many at a time go as one call, holding one slot.
        const group = groupAt(ctx, todo, next, d.smallFileBytes);
        const units = group.length > 1 ? d.smallPerSlot : this.weight(item);
        // A wait cancelled by force_stop holds no slot: leave without releasing one.
        if (!(await this.slots.acquire(ctx.abort.signal, units).then(() => true, () => false))) break;
        if (!ctx.runnable || d.draining()) {
          this.slots.release(units);
          break;
        }
        if (parallel !== null && ctx.inflight >= parallel) {
          // This execution is at its own limit: give the slot back and wait for one of its files.
          this.slots.release(units);
          if (ctx.inflight === 0) {
            // No file of it runs here to wait for: its permits went back to the other movers (another
            // batch of it closed meanwhile). Ask again; if they hold them all, hand this batch back.
            if (!(await d.share.admit(ctx))) break;
            next--;
            continue;
          }
          // Not Promise.race(started): a settled promise in it resolves at once (a microtask spin that
          // starves I/O), and the file in flight may belong to another batch of this execution.
          await new Promise<void>((resolve) => this.fileWaiters.set(ctx.id, [...(this.fileWaiters.get(ctx.id) ?? []), resolve]));
          next--;
          continue;
        }
        const files = Math.max(1, group.length);
        this.backlog -= group.length > 1 ? group.length : units;
        // Claimed work just started: when what is left claimed is under one round, claim more now.
        // Why here and not only when a batch ends: a batch of small files is one group that starts
        // at once and holds a slot's share, so the claim loop — asleep until a batch ended — kept one
        // or two batches running while six slots stood idle (issue #14).
        if (this.backlog < this.capacity) d.wake();
        ctx.inflight += files;
        started.push((group.length > 1 ? this.runGroup(ctx, group, entry) : this.runOne(ctx, item, prev, entry)).finally(() => {
          ctx.inflight -= files;
          this.slots.release(units);
          const waiting = this.fileWaiters.get(ctx.id);
          this.fileWaiters.delete(ctx.id);
          for (const wake of waiting ?? []) wake();
        }));
        next += files - 1;
      }
      await Promise.allSettled(started);
    } finally {
      this.backlog -= weights.slice(next).reduce((a, w) => a + w, 0);
      await d.rows.flushLogged();
      const now = d.clock.now();
      try {
        if (next >= todo.length && !ctx.abort.signal.aborted) await d.queue.complete(batch.id, counts, now);
        else {
          // Paused, stopping, shutting down: back to the queue with its counts and what it finished
          // without ledger rows (a no-op once cancelled).
          await d.queue.release(batch.id, counts, now, undefined, finishedItems(batch, finished));
          // force_stop cancelled it under us: let go, now that its ledger rows are written.
          await d.queue.abandon(batch.id, d.owner, now);
        }
      } finally {
        // The last batch of the execution here gives its permits back before it counts as closed, so
        // that a stop waiting for open batches finds them returned.
        if (this.openBatches(ctx.id) === 1) await d.share.letGo(ctx.id);
        this.open.delete(batch.id);
        d.wake(); // a slot's worth of work just ended: claim the next batch without waiting
        d.onSettled(ctx.id); // the dispatcher may have an execution to finish
      }
    }
  }

  /**
   * A group of small copies through the source driver's batch call (batch-transfer.ts). Each file's
   * outcome is recorded as runOne would; a retryable failure goes on through runOne from its second
   * attempt (after the same backoff); without a batch path after all, every file goes through runOne.
   */
  private async runGroup(ctx: ExecutionContext, group: Todo[], entry: OpenBatch): Promise<void> {
    let inflight = 0;
    let outcomes: BatchTransferOutcome[] | null;
    const items = new Array<WorkItem>(group.length);
    for (let k = 0; k < group.length; k++) items[k] = (group[k] as Todo).item;
    try {
      outcomes = await transferGroup(ctx, items, this.d.smallFileBytes, (n) => {
        inflight += n;
        entry.inflightBytes += n;
      });
    } finally {
      entry.inflightBytes -= inflight;
    }
    if (outcomes === null) {
      await Promise.all(group.map((g) => this.runOne(ctx, g.item, g.previous, entry)));
      return;
    }
    // A copy adds a catalog row only in a backup (catalog-row.ts): decided once, not per file.
    const catalogued = copiesCatalogued(ctx);
    let retries: Array<Promise<void>> | undefined;
    for (let k = 0; k < outcomes.length; k++) {
      const out = outcomes[k] as BatchTransferOutcome;
      const item = items[k] as WorkItem;
      if (!(out instanceof StorageError)) {
        // The driver's result is the file copied: recorded as `done` without an ItemOutcome of its own.
        if (catalogued) this.succeeded(ctx, item, { status: 'done', size: out.size, checksum: out.checksum }, 1, entry);
        else this.record(ctx, item, 'done', out.size, out.checksum, null, 1, entry);
        continue;
      }
      if (ctx.abort.signal.aborted) continue; // force_stop: not an error of this file
      if (!out.retryable || this.d.attempts < 2) {
        this.failed(ctx, item, out, 1, entry.counts);
        continue;
      }
      this.d.log.warn({ execution: ctx.id, path: item.src.path, code: out.code, attempt: 1 }, 'retrying file');
      (retries ??= []).push(delay(this.d.backoffMs, undefined, { signal: ctx.abort.signal }).then(() => this.runOne(ctx, item, undefined, entry, 2), () => undefined));
    }
    if (retries) await Promise.all(retries);
  }

  private async runOne(ctx: ExecutionContext, item: WorkItem, previous: LedgerStatus | undefined, entry: OpenBatch, firstAttempt = 1): Promise<void> {
    const d = this.d;
    let inflight = 0;
    const hooks = {
      onBytes: (n: number) => {
        inflight += n;
        entry.inflightBytes += n;
      },
      recordNow: (it: WorkItem, status: LedgerStatus, size: number, checksum: string | null) =>
        d.rows.recordNow(d.rows.row(ctx, it, status, size, checksum, null, null, 1)),
    };
    for (let attempt = firstAttempt; ; attempt++) {
      try {
        this.succeeded(ctx, item, await runItem(ctx, item, previous, hooks), attempt, entry);
        return;
      } catch (err) {
        const e = toStorageError(err, item.src.path);
        if (ctx.abort.signal.aborted) return; // force_stop: not an error of this file
        if (e.retryable && attempt < d.attempts) {
          d.log.warn({ execution: ctx.id, path: item.src.path, code: e.code, attempt }, 'retrying file');
          previous = undefined;
          await delay(d.backoffMs * 4 ** (attempt - 1), undefined, { signal: ctx.abort.signal }).catch(() => undefined);
          if (ctx.abort.signal.aborted) return;
          continue;
        }
        this.failed(ctx, item, e, attempt, entry.counts);
        return;
      } finally {
        entry.inflightBytes -= inflight;
        inflight = 0;
      }
    }
  }

  private succeeded(ctx: ExecutionContext, item: WorkItem, out: ItemOutcome, attempt: number, entry: OpenBatch): void {
    const cat = catalogRow(ctx, item, out, this.d.clock);
    if (cat) this.d.rows.pushCatalog(cat);
    this.record(ctx, item, out.status, out.size, out.checksum, out.note ?? null, attempt, entry);
  }

  /** A success's counts and its ledger row (or its place among the batch's rowless finished items). */
  private record(ctx: ExecutionContext, item: WorkItem, status: LedgerStatus, size: number, checksum: string | null, note: string | null, attempt: number, entry: OpenBatch): void {
    if (item.op === 'mkdir') return;
    const d = this.d;
    entry.counts.doneFiles++;
    entry.counts.doneBytes += size;
    d.totals.filesDone++;
    d.totals.bytesDone += size;
    if (entry.rowless && isRowless(item)) entry.finished.set(item, size);
    else d.rows.push(d.rows.row(ctx, item, status, size, checksum, null, note, attempt));
  }

  private failed(ctx: ExecutionContext, item: WorkItem, e: StorageError, attempt: number, counts: BatchCounts): void {
    counts.failedFiles++;
    this.d.failures.set(e.code, (this.d.failures.get(e.code) ?? 0) + 1);
    this.d.rows.push(this.d.rows.row(ctx, item, 'failed', item.size, null, e.code, e.message, attempt));
  }
}

/** Temporary files of writes to these items' targets, per destination folder (one listing each). */
async function removeLeftovers(ctx: ExecutionContext, items: WorkItem[], log: Logger): Promise<void> {
  const groups = new Map<string, { ep: number; dir: string; names: string[] }>();
  for (const item of items) {
    if (!item.dst || (item.op !== 'copy' && item.op !== 'move')) continue;
    const dir = parentOf(item.dst.path);
    const key = `${item.dst.ep}\0${dir}`;
    const g = groups.get(key) ?? { ep: item.dst.ep, dir, names: [] };
    g.names.push(baseName(item.dst.path));
    groups.set(key, g);
  }
  for (const g of groups.values()) {
    const driver = ctx.destinations[g.ep]?.driver;
    if (!driver) continue;
    try {
      const r = await driver.cleanupTemp(g.dir, { recursive: false, names: g.names, signal: ctx.abort.signal });
      if (r.paths.length > 0) log.info({ execution: ctx.id, removed: r.paths.length, dir: g.dir }, 'removed temporary files of an earlier attempt');
    } catch {
      // The folder does not exist yet (nothing was written), or cannot be listed: the copies report it.
    }
  }
}
