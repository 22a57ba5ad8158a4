/**
 * A mover: claims batches from the work queue under a lease, runs their items on a fixed number of
 * slots (shared fairly between executions by priority), records every outcome in the ledger, and
 * completes — or, on pause/stop, releases — each batch. Retryable errors are retried with backoff;
 * others fail that file only.
 *
 * This file is the mover's lifecycle (start, stop and drain, heartbeat, state polling) and its public
 * surface; the parts are one idea each: which batch comes next (claim-loop.ts), how a claimed batch
 * runs (batch-run.ts), what gets written about each file (ledger-buffer.ts).
 */
import type { Logger } from 'pino';
import { setTimeout as delay } from 'node:timers/promises';
import type { Clock } from '../../lib/clock.js';
import type { LedgerRepository } from '../../store/ledger-repository.js';
import type { WorkQueue } from '../queue/work-queue.js';
import type { ExecutionContext } from '../execution-context.js';
import type { Batch } from '../queue/work-item.js';
import { ParallelShare, type PermitStore } from './parallel-share.js';
import { BatchRunner } from './batch-run.js';
import { ClaimLoop } from './claim-loop.js';
import { LedgerBuffer } from './ledger-buffer.js';

export type { OpenBatch } from './ledger-buffer.js';

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

export class Mover {
  private readonly rows: LedgerBuffer;
  private readonly runner: BatchRunner;
  private readonly claimer: ClaimLoop;
  private running = false;
  private pulling = true;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private flushTimer: NodeJS.Timeout | undefined;
  private stateTimer: NodeJS.Timeout | undefined;
  /** `parallel` shared with the other movers (permits in the store). */
  private readonly share: ParallelShare;
  /** Shutting down: no new file starts; batches are handed back. */
  private draining = false;
  /** What this mover moved since it started (its `GET /movers` row, its metrics). */
  readonly totals = { filesDone: 0, bytesDone: 0 };
  /** Files that failed here since it started, by error class (its metrics). */
  readonly failures = new Map<string, number>();

  constructor(
    private readonly cfg: MoverConfig,
    private readonly queue: WorkQueue,
    ledger: LedgerRepository,
    private readonly contexts: ContextSource,
    private readonly clock: Clock,
    private readonly log: Logger,
    /** Told when a batch of an execution settles (in one process, the dispatcher waits on it). */
    onSettled: (executionId: string) => void = () => {},
    /** Shares `parallel` with the other movers; without it `parallel` holds per mover. */
    permits?: PermitStore,
  ) {
    const smallPerSlot = Math.max(1, cfg.smallPerSlot ?? 8);
    this.share = new ParallelShare(cfg.owner, cfg.slots * smallPerSlot, cfg.leaseMs, clock, log, permits);
    this.rows = new LedgerBuffer(ledger, clock, log);
    this.runner = new BatchRunner({
      owner: cfg.owner, slots: cfg.slots, smallPerSlot, smallFileBytes: cfg.smallFileBytes ?? 1 << 20,
      attempts: cfg.attempts, backoffMs: cfg.backoffMs, queue, ledger, rows: this.rows, share: this.share, clock, log,
      draining: () => this.draining, wake: () => this.claimer.wake(), onSettled, totals: this.totals, failures: this.failures,
    });
    this.claimer = new ClaimLoop({
      owner: cfg.owner, leaseMs: cfg.leaseMs, queue, contexts, share: this.share, clock, log,
      backlog: () => this.runner.backlog, capacity: () => this.runner.capacity,
      openBatches: (id) => this.runner.openBatches(id), letGo: (id) => this.letGo(id), run: (ctx, batch) => this.runner.run(ctx, batch),
    });
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
    this.flushTimer = setInterval(() => void this.rows.flushLogged(), 250).unref();
    this.stateTimer = setInterval(() => void this.refreshStates(), this.cfg.stateMs ?? 250).unref();
    if (this.pulling) this.claimer.start();
  }

  /** Runs a batch a transport delivered and this mover claimed; resolves once it is completed or handed back. */
  async runClaimed(ctx: ExecutionContext, batch: Batch): Promise<void> {
    ctx.claimed++;
    await this.runner.run(ctx, batch);
  }

  /**
   * Stops: claims nothing more, lets the files in flight finish for up to `drainMs` (then aborts
   * them), and hands every batch not finished back to the queue with its counts.
   */
  async stop(drainMs = 0): Promise<void> {
    this.running = false;
    this.draining = true;
    await this.claimer.stop();
    if (this.runner.open.size > 0) {
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
    while (this.runner.open.size > 0) await delay(20);
  }

  /** Something changed (a new batch, a resume, a pause): read states and look for work now. */
  kick(): void {
    this.claimer.changed();
    void this.refreshStates().finally(() => this.claimer.wake());
  }

  /** Batches open here, and files in flight, for the mover's own report. */
  get load(): { batches: number; files: number } {
    return { batches: this.runner.open.size, files: this.contexts.open.reduce((n, c) => n + c.inflight, 0) };
  }

  private refreshing: Promise<void> | undefined;

  private refreshStates(): Promise<void> {
    this.refreshing ??= this.contexts.refresh((id) => this.openBatches(id) > 0)
      .catch((err) => this.log.error({ err }, 'execution state refresh failed'))
      .finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  openBatches(executionId: string): number {
    return this.runner.openBatches(executionId);
  }


  /** Writes buffered ledger and catalog rows (serialized: one flush at a time). */
  flushLedger(): Promise<void> {
    return this.rows.flush();
  }

  /** See ParallelShare.admit: false when other movers hold every permit of the execution's `parallel`. */
  admit(ctx: ExecutionContext): Promise<boolean> {
    return this.share.admit(ctx);
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
      const progress = [...this.runner.open.values()].map((o) => ({ id: o.batch.id, ...o.counts, inflightBytes: o.inflightBytes }));
      await this.queue.heartbeat(this.cfg.owner, progress, this.cfg.leaseMs, this.clock.now());
      await this.share.renew();
    } catch (err) {
      this.log.error({ err }, 'heartbeat failed');
    }
  }
}
