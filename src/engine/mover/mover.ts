/**
 * A mover: claims batches from the work queue under a lease, runs their items on a fixed number of
 * slots (shared fairly between executions by priority), records every outcome in the ledger, and
 * completes — or, on pause/stop, releases — each batch. Retryable errors are retried with backoff;
 * others fail that file only.
 */
import type { Logger } from 'pino';
import { setTimeout as delay } from 'node:timers/promises';
import { StorageError, toStorageError } from '../../storage/errors.js';
import type { Clock } from '../../lib/clock.js';
import type { LedgerRepository } from '../../store/ledger-repository.js';
import type { FileLedgerRow, CatalogEntryRow } from '../../store/schema.js';
import type { BatchCounts, WorkQueue } from '../queue/work-queue.js';
import type { ExecutionContext } from '../execution-context.js';
import type { Batch, FinishedItems, LedgerStatus, WorkItem } from '../queue/work-item.js';
import { Semaphore } from './semaphore.js';
import { ParallelShare, type PermitStore } from './parallel-share.js';
import { runItem, type ItemOutcome } from './item-runner.js';
import { groupAt, transferGroup } from './batch-transfer.js';
import { catalogRow } from './catalog-row.js';
import { baseName, parentOf } from '../dispatcher/plan.js';

export interface MoverConfig {
  owner: string;
  /** Concurrent transfers of large files. */
  slots: number;
  /**
   * Small files (up to `smallFileBytes`) in flight per slot (default 8). Why: a small file is bound by
   * latency, not bandwidth; many in flight let a posix copy worker commit them together (copy-worker.ts).
   */
  smallPerSlot?: number;
  /** Default 1 MiB, as the posix copy pool's batching limit. */
  smallFileBytes?: number;
  leaseMs: number;
  /** How often leases are extended and progress is written (the dispatcher reads progress from the store). */
  heartbeatMs: number;
  /** How often the state of the executions worked on here is read (pause, stop, force_stop). */
  stateMs?: number;
  /** Attempts per file for retryable errors. */
  attempts: number;
  backoffMs: number;
}

/** The executions this mover works on (mover-contexts.ts: opened from the store, states polled). */
export interface ContextSource {
  get(executionId: string): Promise<ExecutionContext | undefined>;
  readonly open: ExecutionContext[];
  refresh(inUse: (executionId: string) => boolean): Promise<void>;
  abortAll(reason: string): void;
  /** Forgets every context (a stopped mover opens them anew when it starts again). */
  clear(): void;
}

/** A batch being worked on here: its live counts and bytes in flight, reported by the heartbeat. */
export interface OpenBatch {
  batch: Batch;
  counts: BatchCounts;
  inflightBytes: number;
  /** Items finished with no ledger row (see {@link Mover.rowless}) → size done; recorded on the batch if it is handed back. */
  finished: Map<WorkItem, number>;
  /** Plain successes of this batch get no ledger row (no `full_report`, no `after_result_received` callback). */
  rowless: boolean;
}

export class Mover {
  private readonly slots: Semaphore;
  private readonly smallPerSlot: number;
  private readonly smallFileBytes: number;
  private readonly open = new Map<string, OpenBatch>();
  private ledgerBuffer: FileLedgerRow[] = [];
  private catalogBuffer: CatalogEntryRow[] = [];
  private running = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private flushTimer: NodeJS.Timeout | undefined;
  /**
   * Work claimed but not started, in slot units (a large file a whole slot, a small one its share),
   * across open batches: claim more only when it runs below one round of the slots. Why units, not
   * files: counting files, a mover took every batch of large files there was while it could start
   * four, and the other movers of a scale-out had nothing to do.
   */
  private backlog = 0;
  /** `parallel` shared with the other movers (permits in the store). */
  private readonly share: ParallelShare;
  /** Per execution: batches waiting for one of its files to finish (its `parallel` limit is reached). */
  private readonly fileWaiters = new Map<string, Array<() => void>>();

  private stateTimer: NodeJS.Timeout | undefined;
  /** Shutting down: no new file starts; batches are handed back. */
  private draining = false;
  /** What this mover moved since it started (its `GET /movers` row, its metrics). */
  readonly totals = { filesDone: 0, bytesDone: 0 };
  /** Files that failed here since it started, by error class (its metrics). */
  readonly failures = new Map<string, number>();

  constructor(
    private readonly cfg: MoverConfig,
    private readonly queue: WorkQueue,
    private readonly ledger: LedgerRepository,
    private readonly contexts: ContextSource,
    private readonly clock: Clock,
    private readonly log: Logger,
    /** Told when a batch of an execution settles (in one process, the dispatcher waits on it). */
    private readonly onSettled: (executionId: string) => void = () => {},
    /** Shares `parallel` with the other movers; without it `parallel` holds per mover. */
    permits?: PermitStore,
  ) {
    this.smallPerSlot = Math.max(1, cfg.smallPerSlot ?? 8);
    this.smallFileBytes = cfg.smallFileBytes ?? 1 << 20;
    this.slots = new Semaphore(cfg.slots * this.smallPerSlot);
    this.share = new ParallelShare(cfg.owner, cfg.slots * this.smallPerSlot, cfg.leaseMs, clock, log, permits);
  }

  /** Units of the slot semaphore an item holds while it runs: a whole slot, or a small file's share. */
  private weight(item: WorkItem): number {
    return item.size <= this.smallFileBytes ? 1 : this.smallPerSlot;
  }

  get name(): string {
    return this.cfg.owner;
  }

  /**
   * Starts working. `pull` (default): the mover claims batches from the store itself. Without it
   * batches come from a transport (lane-consumers.ts), which hands each to {@link runClaimed}.
   */
  start(options: { pull?: boolean } = {}): void {
    if (this.running) return;
    this.running = true;
    this.draining = false;
    this.pulling = options.pull ?? true;
    this.heartbeatTimer = setInterval(() => void this.heartbeat(), this.cfg.heartbeatMs).unref();
    this.flushTimer = setInterval(() => void this.flushLedger().catch((err) => this.log.error({ err }, 'ledger flush failed')), 250).unref();
    this.stateTimer = setInterval(() => void this.refreshStates(), this.cfg.stateMs ?? 250).unref();
    if (this.pulling) this.loop = this.claimLoop();
  }

  private pulling = true;

  /** Runs a batch a transport delivered and this mover claimed; resolves once it is completed or handed back. */
  async runClaimed(ctx: ExecutionContext, batch: Batch): Promise<void> {
    ctx.claimed++;
    await this.runBatch(ctx, batch);
  }

  /**
   * Stops: claims nothing more, lets the files in flight finish for up to `drainMs` (then aborts
   * them), and hands every batch not finished back to the queue with its counts.
   */
  async stop(drainMs = 0): Promise<void> {
    this.running = false;
    this.draining = true;
    this.wake?.();
    await this.loop;
    if (this.open.size > 0) {
      const drained = this.settled();
      const timer = setTimeout(() => this.contexts.abortAll('mover shutting down'), drainMs);
      await drained;
      clearTimeout(timer);
    }
    clearInterval(this.heartbeatTimer);
    clearInterval(this.flushTimer);
    clearInterval(this.stateTimer);
    await this.flushLedger();
    this.contexts.clear();
  }

  /** Resolves once no batch is open here. */
  private async settled(): Promise<void> {
    while (this.open.size > 0) await delay(20);
  }

  /** Something changed (a new batch, a resume, a pause): read states and look for work now. */
  kick(): void {
    void this.refreshStates().finally(() => this.wake?.());
  }

  /** Batches open here, and files in flight, for the mover's own report. */
  get load(): { batches: number; files: number } {
    return { batches: this.open.size, files: this.contexts.open.reduce((n, c) => n + c.inflight, 0) };
  }

  private refreshing: Promise<void> | undefined;

  private refreshStates(): Promise<void> {
    this.refreshing ??= this.contexts.refresh((id) => this.openBatches(id) > 0)
      .catch((err) => this.log.error({ err }, 'execution state refresh failed'))
      .finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  openBatches(executionId: string): number {
    return [...this.open.values()].filter((o) => o.batch.executionId === executionId).length;
  }

  private async claimLoop(): Promise<void> {
    while (this.running) {
      let claimed = false;
      try {
        if (this.backlog < this.cfg.slots * this.smallPerSlot) claimed = await this.claimOne();
      } catch (err) {
        this.log.error({ err }, 'claim failed');
      }
      if (!claimed) {
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, 200);
          this.wake = () => {
            clearTimeout(t);
            resolve();
          };
        });
        this.wake = undefined;
      }
    }
  }

  /** Fair share: the runnable execution with the fewest claims per unit of priority goes first. */
  private async claimOne(): Promise<boolean> {
    const now = this.clock.now();
    const ids = await this.queue.runnable(now);
    const contexts = await Promise.all(ids.map((id) => this.contexts.get(id)));
    const candidates = contexts
      .filter((c): c is ExecutionContext => c !== undefined && c.runnable && (c.opts.parallel === null || c.inflight < this.limitOf(c) || this.openBatches(c.id) === 0))
      .sort((a, b) => a.claimed / a.opts.priority - b.claimed / b.opts.priority);
    for (const ctx of candidates) {
      if (!(await this.admit(ctx))) continue;
      const batch = await this.queue.claim(ctx.id, this.cfg.owner, this.cfg.leaseMs, now);
      if (!batch) {
        await this.letGo(ctx.id);
        continue;
      }
      ctx.claimed++;
      void this.runBatch(ctx, batch).catch((err) => this.log.error({ err, batch: batch.id }, 'batch run failed'));
      return true;
    }
    return false;
  }

  /** Per execution opened here: whether its task has `after_result_received` callbacks (see {@link rowless}). */
  private readonly watched = new WeakMap<ExecutionContext, Promise<boolean>>();

  private resultsWatched(ctx: ExecutionContext): Promise<boolean> {
    let w = this.watched.get(ctx);
    if (w === undefined) {
      // Unknown (the store failed): keep every row, as before issue #14.
      w = Promise.resolve().then(() => this.ledger.resultsWatched(ctx.taskId)).catch(() => true);
      this.watched.set(ctx, w);
    }
    return w;
  }

  private async runBatch(ctx: ExecutionContext, batch: Batch): Promise<void> {
    const watched = await this.resultsWatched(ctx);
    // A first claim has nothing on record: its items were never handed to a mover (keys are unique
    // in an execution, and a walk resumed after a crash plans again only what no batch holds).
    const previous = batch.attempts > 1 ? await this.ledger.forKeys(ctx.id, batch.items.map((i) => i.key)) : new Map<string, FileLedgerRow>();
    const counts: BatchCounts = { doneFiles: 0, doneBytes: 0, failedFiles: 0 };
    const finished = new Map<WorkItem, number>();
    for (const [i, size] of batch.finished ?? []) {
      const item = batch.items[i];
      if (item) finished.set(item, size);
    }
    const todo: Array<{ item: WorkItem; previous?: LedgerStatus }> = [];
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
    // A redo (its previous mover died or stalled): remove that mover's temporary files of these targets.
    if (batch.attempts > 1) await this.removeLeftovers(ctx, todo.map((t) => t.item));
    const entry: OpenBatch = { batch, counts, inflightBytes: 0, finished, rowless: !watched && !ctx.opts.fullReport };
    this.open.set(batch.id, entry);
    const weights = todo.map((t) => this.weight(t.item));
    this.backlog += weights.reduce((a, w) => a + w, 0);
    const started: Array<Promise<void>> = [];
    let next = 0;
    try {
      for (; next < todo.length; next++) {
        if (!ctx.runnable || this.draining) break;
        const parallel = ctx.opts.parallel === null ? null : this.limitOf(ctx);
        const { item, previous: prev } = todo[next] as { item: WorkItem; previous?: LedgerStatus };
        // Small copies the source driver takes many at a time go as one call, holding one slot.
        const group = groupAt(ctx, todo, next, this.smallFileBytes);
        const units = group.length > 1 ? this.smallPerSlot : this.weight(item);
        // A wait cancelled by force_stop holds no slot: leave without releasing one.
        if (!(await this.slots.acquire(ctx.abort.signal, units).then(() => true, () => false))) break;
        if (!ctx.runnable || this.draining) {
          this.slots.release(units);
          break;
        }
        if (parallel !== null && ctx.inflight >= parallel) {
          // This execution is at its own limit: give the slot back and wait for one of its files.
          this.slots.release(units);
          if (ctx.inflight === 0) {
            // No file of it runs here to wait for: its permits went back to the other movers (another
            // batch of it closed meanwhile). Ask again; if they hold them all, hand this batch back.
            if (!(await this.share.admit(ctx))) break;
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
      await this.flushLedger().catch((err) => this.log.error({ err }, 'ledger flush failed'));
      const now = this.clock.now();
      try {
        if (next >= todo.length && !ctx.abort.signal.aborted) await this.queue.complete(batch.id, counts, now);
        else {
          // Paused, stopping, shutting down: back to the queue with its counts and what it finished
          // without ledger rows (a no-op once cancelled).
          await this.queue.release(batch.id, counts, now, undefined, finishedItems(batch, finished));
          // force_stop cancelled it under us: let go, now that its ledger rows are written.
          await this.queue.abandon(batch.id, this.cfg.owner, now);
        }
      } finally {
        // The last batch of the execution here gives its permits back before it counts as closed, so
        // that a stop waiting for open batches finds them returned.
        if (this.openBatches(ctx.id) === 1) await this.share.letGo(ctx.id);
        this.open.delete(batch.id);
        this.wake?.(); // a slot's worth of work just ended: claim the next batch without waiting
        this.onSettled(ctx.id); // the dispatcher may have an execution to finish
      }
    }
  }

  /** Temporary files of writes to these items' targets, per destination folder (one listing each). */
  private async removeLeftovers(ctx: ExecutionContext, items: WorkItem[]): Promise<void> {
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
        if (r.paths.length > 0) this.log.info({ execution: ctx.id, removed: r.paths.length, dir: g.dir }, 'removed temporary files of an earlier attempt');
      } catch {
        // The folder does not exist yet (nothing was written), or cannot be listed: the copies report it.
      }
    }
  }

  /**
   * A group of small copies through the source driver's batch call (batch-transfer.ts). Each file's
   * outcome is recorded as runOne would; a retryable failure goes on through runOne from its second
   * attempt (after the same backoff); without a batch path after all, every file goes through runOne.
   */
  private async runGroup(ctx: ExecutionContext, group: Array<{ item: WorkItem; previous?: LedgerStatus }>, entry: OpenBatch): Promise<void> {
    let inflight = 0;
    let outcomes: Array<ItemOutcome | StorageError> | null;
    try {
      outcomes = await transferGroup(ctx, group.map((g) => g.item), this.smallFileBytes, (n) => {
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
    const retries: Array<Promise<void>> = [];
    outcomes.forEach((out, k) => {
      const item = (group[k] as { item: WorkItem }).item;
      if (!(out instanceof StorageError)) return this.succeeded(ctx, item, out, 1, entry);
      if (ctx.abort.signal.aborted) return; // force_stop: not an error of this file
      if (!out.retryable || this.cfg.attempts < 2) return this.failed(ctx, item, out, 1, entry.counts);
      this.log.warn({ execution: ctx.id, path: item.src.path, code: out.code, attempt: 1 }, 'retrying file');
      retries.push(delay(this.cfg.backoffMs, undefined, { signal: ctx.abort.signal }).then(() => this.runOne(ctx, item, undefined, entry, 2), () => undefined));
    });
    await Promise.all(retries);
  }

  private succeeded(ctx: ExecutionContext, item: WorkItem, out: ItemOutcome, attempt: number, entry: OpenBatch): void {
    if (item.op !== 'mkdir') {
      entry.counts.doneFiles++;
      entry.counts.doneBytes += out.size;
      this.totals.filesDone++;
      this.totals.bytesDone += out.size;
    }
    const cat = catalogRow(ctx, item, out, this.clock);
    if (cat) this.catalogBuffer.push(cat);
    if (item.op === 'mkdir') return;
    if (entry.rowless && Mover.rowless(item)) entry.finished.set(item, out.size);
    else this.buffer(this.row(ctx, item, out.status, out.size, out.checksum, null, out.note ?? null, attempt));
  }

  /**
   * A success that gets no ledger row, in a batch whose execution lets it ({@link OpenBatch.rowless}:
   * without `full_report` and without an `after_result_received` callback, which reads the rows): a
   * plain copy or a skip (issue #14: the row was the hottest write of a small-file copy, and without
   * `full_report` it was deleted at the end anyway). What still needs one: moves (rule 3: `copied`
   * before the source goes, and a redo must not copy from a removed source), erase, scan, verify,
   * speedtest (the dispatcher reads its results), and every failure. A re-claimed batch skips such
   * items through the batch's own record ({@link FinishedItems}, written when it is handed back);
   * after a crash they are copied again — the same planned paths, so at least once, never lost (as a
   * row still buffered was before).
   */
  static rowless(item: WorkItem): boolean {
    return item.op === 'copy' || item.op === 'skip';
  }

  private failed(ctx: ExecutionContext, item: WorkItem, e: StorageError, attempt: number, counts: BatchCounts): void {
    counts.failedFiles++;
    this.failures.set(e.code, (this.failures.get(e.code) ?? 0) + 1);
    this.buffer(this.row(ctx, item, 'failed', item.size, null, e.code, e.message, attempt));
  }

  private async runOne(ctx: ExecutionContext, item: WorkItem, previous: LedgerStatus | undefined, entry: OpenBatch, firstAttempt = 1): Promise<void> {
    const counts = entry.counts;
    let inflight = 0;
    const hooks = {
      onBytes: (n: number) => {
        inflight += n;
        entry.inflightBytes += n;
      },
      recordNow: (it: WorkItem, status: LedgerStatus, size: number, checksum: string | null) =>
        this.ledger.record([this.row(ctx, it, status, size, checksum, null, null, 1)]),
    };
    for (let attempt = firstAttempt; ; attempt++) {
      try {
        this.succeeded(ctx, item, await runItem(ctx, item, previous, hooks), attempt, entry);
        return;
      } catch (err) {
        const e = toStorageError(err, item.src.path);
        if (ctx.abort.signal.aborted) return; // force_stop: not an error of this file
        if (e.retryable && attempt < this.cfg.attempts) {
          this.log.warn({ execution: ctx.id, path: item.src.path, code: e.code, attempt }, 'retrying file');
          previous = undefined;
          await delay(this.cfg.backoffMs * 4 ** (attempt - 1), undefined, { signal: ctx.abort.signal }).catch(() => undefined);
          if (ctx.abort.signal.aborted) return;
          continue;
        }
        this.failed(ctx, item, e, attempt, counts);
        return;
      } finally {
        entry.inflightBytes -= inflight;
        inflight = 0;
      }
    }
  }

  private row(ctx: ExecutionContext, item: WorkItem, status: LedgerStatus, size: number, checksum: string | null, errorClass: string | null, error: string | null, attempts: number): FileLedgerRow {
    return {
      execution_id: ctx.id, item_key: item.key, src_path: item.src.path, dst_path: item.dst?.path ?? null, size, checksum, status,
      error_class: errorClass, error, attempts, updated_at: this.clock.now().toISOString(),
    };
  }

  private buffer(row: FileLedgerRow): void {
    this.ledgerBuffer.push(row);
    if (this.ledgerBuffer.length >= 500) void this.flushLedger().catch((err) => this.log.error({ err }, 'ledger flush failed'));
  }

  private flushing: Promise<void> = Promise.resolve();

  /** Writes buffered ledger and catalog rows (serialized: one flush at a time). */
  flushLedger(): Promise<void> {
    this.flushing = this.flushing.then(async () => {
      const rows = this.ledgerBuffer;
      const cat = this.catalogBuffer;
      this.ledgerBuffer = [];
      this.catalogBuffer = [];
      await this.ledger.record(rows);
      await this.ledger.recordCatalog(cat);
    });
    return this.flushing;
  }

  /** See ParallelShare.admit: false when other movers hold every permit of the execution's `parallel`. */
  admit(ctx: ExecutionContext): Promise<boolean> {
    return this.share.admit(ctx);
  }

  private limitOf(ctx: ExecutionContext): number {
    return this.share.limitOf(ctx);
  }

  /** A batch admitted for was not claimed after all: gives the permits back if nothing else runs here. */
  release(executionId: string): Promise<void> {
    return this.letGo(executionId);
  }

  private letGo(executionId: string): Promise<void> {
    return this.openBatches(executionId) > 0 ? Promise.resolve() : this.share.letGo(executionId);
  }

  /** Extends this mover's leases and writes each open batch's progress (counts, bytes in flight). */
  private async heartbeat(): Promise<void> {
    try {
      const progress = [...this.open.values()].map((o) => ({ id: o.batch.id, ...o.counts, inflightBytes: o.inflightBytes }));
      await this.queue.heartbeat(this.cfg.owner, progress, this.cfg.leaseMs, this.clock.now());
      await this.share.renew();
    } catch (err) {
      this.log.error({ err }, 'heartbeat failed');
    }
  }
}

/** What a batch handed back finished without ledger rows, as its row keeps it. */
function finishedItems(batch: Batch, finished: Map<WorkItem, number>): FinishedItems {
  if (finished.size === 0) return [];
  const out: Array<readonly [number, number]> = [];
  batch.items.forEach((item, i) => {
    const size = finished.get(item);
    if (size !== undefined) out.push([i, size]);
  });
  return out;
}
