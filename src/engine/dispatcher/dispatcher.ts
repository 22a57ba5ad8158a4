/**
 * The dispatcher: one per store (it holds the engine lease, engine-lease.ts). For each active
 * execution it walks the sources and writes batches to the work queue (walk.ts), watches them drain —
 * movers, in this process or on other hosts, carry them out (../mover) — and finalizes. Everything
 * it knows comes from the store, never from a mover's memory: progress from the batches' rows,
 * failures and speedtest results from the ledger. Every state change is written to the store before
 * it is acted on, so a restart after a crash resumes: stale leases go back to the queue, temporary
 * files of the dead attempt are removed, walks continue after their checkpoint.
 */
import type { Logger } from 'pino';
import { hostname } from 'node:os';
import { Progress, engineOwns, isActive, type ControlAction, type ExecutionState } from '../../domain/execution.js';
import type { Clock } from '../../lib/clock.js';
import type { ExecutionRepository } from '../../store/execution-repository.js';
import type { LedgerRepository } from '../../store/ledger-repository.js';
import type { ExecutionRow } from '../../store/schema.js';
import type { EngineSignals } from '../signals.js';
import type { ExecutionContext, TaskSnapshot } from '../execution-context.js';
import { loadContext, restoreSource } from '../context-loader.js';
import { dispatchWalk, type PlanSource } from './walk.js';
import { destinationBases } from './planner.js';
import type { StorageResolver } from '../storage-resolver.js';
import type { WorkQueue } from '../queue/work-queue.js';
import { isDeadLocalHolder, type EngineLease } from './engine-lease.js';
import type { WalkPosition } from './plan.js';
import { Accounting } from '../accounting.js';
import { OPEN_ACCESS, type AccessGuard } from './access-guard.js';
import { finishExecution } from './finish.js';
import { Publisher } from './publisher.js';
import { WAIT_CHECK_MS, explainWait, stopIfAccessWithdrawn, type MoverDirectory, type OversightDeps } from './oversight.js';
export type { MoverDirectory } from './oversight.js';
import type { BatchTransport } from '../queue/transport.js';

export interface DispatcherConfig {
  /** This process's name in an execution's `dispatcher` (`host:pid` by default). */
  name: string;
  leaseMs: number;
  /** How often the engine lease is renewed and stale batch leases of dead movers are requeued. */
  heartbeatMs: number;
  batchFiles: number;
  batchBytes: number;
  statsIntervalMs: number;
  /** Executions dispatched at once. */
  maxExecutions: number;
  /**
   * This process also runs the only mover (`npm start`): at start every batch lease belongs to a dead
   * process. Otherwise only expired leases and those of dead processes of this host are requeued.
   */
  embedded: boolean;
  /** How often a running execution's storage rights are checked again (a withdrawn right stops it). */
  accessCheckMs: number;
}

/** What the dispatcher may tell movers of its own process (none when they run elsewhere). */
export interface LocalMovers {
  /** New work, or a changed state: look now rather than at the next poll. */
  kick(): void;
  /** The dispatcher holds the lease (movers of an embedded engine run only then). */
  activeChanged(active: boolean): Promise<void>;
}

const NO_LOCAL_MOVERS: LocalMovers = { kick: () => {}, activeChanged: async () => {} };

/** How often, with a transport, what the store has queued is published again if the transport lost it. */
const RECONCILE_MS = 2_000;

export class Dispatcher implements EngineSignals {
  private readonly contexts = new Map<string, ExecutionContext>();
  private readonly runs = new Map<string, Promise<void>>();
  private running = false;
  /** Holds the engine lease and runs executions (see start). */
  private active = false;
  private standbyLogged = false;
  private leasing: Promise<void> = Promise.resolve();
  private leaseTimer: NodeJS.Timeout | undefined;
  private tickTimer: NodeJS.Timeout | undefined;
  private ticking = false;

  constructor(
    private readonly cfg: DispatcherConfig,
    private readonly executions: ExecutionRepository,
    private readonly queue: WorkQueue,
    private readonly ledger: LedgerRepository,
    private readonly resolver: StorageResolver,
    private readonly lease: EngineLease,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly access: AccessGuard = OPEN_ACCESS,
    private readonly movers: LocalMovers = NO_LOCAL_MOVERS,
    private readonly moverDirectory?: MoverDirectory,
    /** How batches travel besides the store (BullMQ), when configured. */
    private readonly transport?: BatchTransport,
  ) {}

  /**
   * Starts once this process holds the store's engine lease (engine-lease.ts); until then — another
   * dispatcher runs on the store — it waits, checking every heartbeat, and takes over when the holder
   * stops or dies. The API of this process serves either way.
   */
  async start(): Promise<void> {
    this.running = true;
    this.leaseTimer = setInterval(() => void this.keepLease(), this.cfg.heartbeatMs).unref();
    await this.keepLease();
  }

  /** Stops dispatching; executions resume from the store when a dispatcher starts again. */
  async stop(): Promise<void> {
    this.running = false;
    clearInterval(this.leaseTimer);
    await this.leasing;
    if (this.active) await this.halt();
    await this.lease.release(this.cfg.name).catch((err) => this.log.error({ err }, 'engine lease release failed'));
  }

  /** True while this process holds the lease and dispatches. */
  get isActive(): boolean {
    return this.active;
  }

  /** A batch of the execution settled (a mover of this process): finish it without waiting for a poll. */
  batchSettled(executionId: string): void {
    this.contexts.get(executionId)?.changed();
  }

  private keepLease(): Promise<void> {
    this.leasing = this.leasing.then(async () => {
      if (!this.running) return;
      try {
        let held = await this.lease.acquire(this.cfg.name, this.clock.now(), this.cfg.leaseMs);
        if (!held && !this.active) {
          const holder = await this.lease.holder(this.clock.now());
          if (holder !== undefined && isDeadLocalHolder(holder, hostname())) {
            held = await this.lease.acquire(this.cfg.name, this.clock.now(), this.cfg.leaseMs, holder);
            if (held) this.log.info({ previous: holder }, 'took over the engine lease of a process of this host that is gone');
          }
        }
        if (held && !this.active) await this.begin();
        else if (held) await this.requeueStale(false);
        else if (!held && this.active) {
          this.log.error({ holder: await this.lease.holder(this.clock.now()) }, 'engine lease lost (this process stalled longer than the lease?): stopping this engine');
          await this.halt();
        } else if (!held && !this.standbyLogged) {
          this.standbyLogged = true;
          this.log.warn({ holder: await this.lease.holder(this.clock.now()) }, 'another Barge engine runs on this store: this process serves the API and takes over when that one stops');
        }
      } catch (err) {
        this.log.error({ err }, 'engine lease check failed');
      }
    });
    return this.leasing;
  }

  private async begin(): Promise<void> {
    this.standbyLogged = false;
    // Holding the lease, this is the only engine on the store and nothing runs here yet: every batch
    // lease is stale — this process's own too, after a lost lease (owner '' is nobody: all are others').
    // (Should this fail, the engine stays inactive and the next heartbeat tries again.)
    await this.requeueStale(this.cfg.embedded);
    this.active = true;
    await this.movers.activeChanged(true);
    this.tickTimer = setInterval(() => void this.tick(), 250).unref();
    void this.tick();
  }

  /**
   * Returns to the queue the batches whose mover is gone: leases past their deadline, leases of
   * processes of this host that no longer exist, and — `all` (an embedded engine starting: the only
   * mover is this process's, just started) — every lease.
   */
  private async requeueStale(all: boolean): Promise<void> {
    const now = this.clock.now();
    let requeued = await this.queue.requeueExpired(now, all ? '' : this.cfg.name, all);
    if (!all) {
      for (const owner of await this.queue.leaseOwners()) {
        if (isDeadLocalHolder(owner, hostname())) requeued += await this.queue.requeueOwner(owner, now);
      }
    }
    if (requeued > 0) this.log.info({ requeued }, 'returned batches of movers that are gone to the queue');
  }

  private async halt(): Promise<void> {
    this.active = false;
    clearInterval(this.tickTimer);
    for (const ctx of this.contexts.values()) ctx.abort.abort(new Error('engine shutting down'));
    await this.movers.activeChanged(false);
    await Promise.allSettled(this.runs.values());
  }

  executionQueued(): void {
    void this.tick();
  }

  executionChanged(executionId: string, action: ControlAction): void {
    const ctx = this.contexts.get(executionId);
    if (ctx && action === 'force_stop') ctx.abort.abort(new Error('force_stop'));
    void this.refresh(executionId).then(() => {
      this.movers.kick();
      void this.tick();
    });
  }

  /** Starts a run for every active execution that has none in this process. */
  private async tick(): Promise<void> {
    if (!this.running || !this.active || this.ticking) return;
    this.ticking = true;
    try {
      const active = await this.executions.listActive();
      for (const row of active) {
        if (this.runs.has(row.id)) continue;
        if (row.state === 'paused' && !engineOwns(Number(row.progress))) continue; // paused before it started
        if (row.state === 'in_queue' && !engineOwns(Number(row.progress)) && this.runs.size >= this.cfg.maxExecutions) continue;
        const run = this.run(row).catch((err) => this.log.error({ err, execution: row.id }, 'execution run failed')).finally(() => {
          this.runs.delete(row.id);
          this.contexts.delete(row.id);
        });
        this.runs.set(row.id, run);
      }
    } catch (err) {
      this.log.error({ err }, 'engine tick failed');
    } finally {
      this.ticking = false;
    }
  }

  private async refresh(executionId: string): Promise<ExecutionRow | undefined> {
    const row = await this.executions.findById(executionId);
    const ctx = this.contexts.get(executionId);
    if (row && ctx) {
      ctx.state = row.state;
      if (!isActive(row.state)) ctx.abort.abort(new Error(row.state));
    }
    return row;
  }

  private async run(initial: ExecutionRow): Promise<void> {
    let ctx: ExecutionContext;
    let restoreStorages: string[];
    try {
      ({ ctx, restoreStorages } = await loadContext(initial, this.resolver, this.ledger));
    } catch (err) {
      await this.fail(initial, `cannot open the task's storages: ${(err as Error).message}`);
      return;
    }
    const restoreFrom = restoreSource(ctx.snapshot);
    const stats = setInterval(() => void this.writeStats(ctx), this.cfg.statsIntervalMs).unref();
    const guard = setInterval(() => void this.checkAccess(ctx), this.cfg.accessCheckMs).unref();
    const publisher = this.transport ? new Publisher(ctx, this.transport, this.queue, this.clock, this.log) : undefined;
    const reconcile = publisher ? setInterval(() => void publisher.reconcile(), RECONCILE_MS).unref() : undefined;
    try {
      let row = initial;
      if (row.state === 'in_queue' && !engineOwns(Number(row.progress))) {
        const now = this.clock.now().toISOString();
        const log = JSON.stringify([...JSON.parse(row.log ?? '[]'), ...ctx.notes]);
        if (!(await this.executions.transition(row.id, 'in_queue', { state: 'calculating', progress: Number(row.progress) | Progress.INIT_STARTED, started_at: now, updated_at: now, dispatcher: this.cfg.name, log }))) {
          return; // changed meanwhile (paused/stopped before start): the next tick sees the new state
        }
        row = (await this.refresh(row.id)) as ExecutionRow;
      } else {
        // Resumed by this process (after a restart or a takeover): it is the dispatcher now.
        if (row.dispatcher !== this.cfg.name) {
          await this.executions.update(row.id, { dispatcher: this.cfg.name, updated_at: this.clock.now().toISOString() });
        }
        // Resuming after a restart: remove what a dead writer left behind in the destinations, before
        // this process's movers may write there (the context is registered only afterwards).
        let bases: string[] = [];
        try {
          bases = destinationBases(ctx);
        } catch {
          // A node path that escapes: the walk reports it; nothing of this execution was written under it.
        }
        for (const [i, d] of ctx.destinations.entries()) {
          const base = bases[i];
          if (base === undefined) continue;
          const cleaned = await d.driver.cleanupTemp(base).catch(() => ({ paths: [] as readonly string[] }));
          if (cleaned.paths.length) this.log.info({ execution: ctx.id, removed: cleaned.paths.length }, 'removed temporary files of an interrupted run');
        }
      }
      ctx.state = row.state;
      this.contexts.set(ctx.id, ctx);
      await this.checkAccess(ctx); // a right withdrawn while it waited (queued, paused, or this process down)
      if (row.state === 'paused' && !engineOwns(Number(row.progress))) return; // paused before it ever started: nothing to resume yet
      if ((Number(row.progress) & Progress.INIT_DONE) === 0) {
        const cursor = row.walk_cursor ? (JSON.parse(row.walk_cursor) as WalkPosition) : undefined;
        let walked;
        try {
          walked = await dispatchWalk(ctx, publisher?.publishing() ?? this.queue, this.clock, cursor, Number(row.batches_planned), { batchFiles: this.cfg.batchFiles, batchBytes: this.cfg.batchBytes, flushBatches: 4 }, () => ctx.state === 'stopping' || ctx.abort.signal.aborted, await this.planSource(ctx, row, restoreFrom, restoreStorages));
        } catch (err) {
          if (!ctx.abort.signal.aborted) {
            await this.fail(row, `walk failed: ${(err as Error).message}`);
            return;
          }
          // force_stop during the walk: the watch cancels the queue and settles the ledger (a shutdown: it just returns).
        }
        if (walked === undefined || ctx.abort.signal.aborted) {
          await this.watch(ctx);
          return;
        }
        if (walked.complete) {
          await this.executions.addProgress(ctx.id, Progress.INIT_DONE | Progress.PROCESS_STARTED, { updated_at: this.clock.now().toISOString() });
          await this.executions.transition(ctx.id, 'calculating', { state: 'in_progress', updated_at: this.clock.now().toISOString() });
        }
        this.movers.kick();
      }
      await this.watch(ctx);
    } finally {
      clearInterval(stats);
      clearInterval(guard);
      clearInterval(reconcile);
    }
  }

  /** A right withdrawn while the run goes on stops it (oversight.ts). */
  private checkAccess(ctx: ExecutionContext): Promise<void> {
    return stopIfAccessWithdrawn(ctx, this.oversight());
  }

  /**
   * Backups land in a dated snapshot folder (named after the run's start, so a resumed run keeps it);
   * an incremental compares with the task's previous good backup; a restore reads a backup's catalog.
   */
  private async planSource(ctx: ExecutionContext, row: ExecutionRow, restoreFrom: string | null, restoreStorages: string[]): Promise<PlanSource> {
    const action = ctx.snapshot.workflow_action;
    if (restoreFrom) {
      return { restore: { entries: (after) => this.ledger.catalogEntries(restoreFrom, after), epOf: (id) => restoreStorages.indexOf(id) } };
    }
    if (action !== 'full_backup' && action !== 'incremental_backup') return {};
    const started = row.started_at ?? this.clock.now().toISOString();
    // Millisecond precision: two runs of one task (never concurrent) get distinct, sortable folders.
    const snapshotDir = `backup-${started.replace(/[-:]/g, '')}`;
    if (action === 'full_backup') return { snapshotDir };
    const done = await this.executions.lastDone(ctx.taskId, ctx.id);
    const prev = done.find((e) => ['full_backup', 'incremental_backup'].includes((JSON.parse(e.task_snapshot) as TaskSnapshot).workflow_action));
    if (!prev) {
      ctx.notes.push('incremental_backup: no previous good backup of this task, so every file is copied');
      return { snapshotDir };
    }
    return { snapshotDir, previous: { executionId: prev.id, dir: (sid, parent) => this.ledger.catalogDir(prev.id, sid, parent) } };
  }

  /** Says in the run's log why its batches wait, when no live mover reaches its storages (oversight.ts). */
  private explainWait(ctx: ExecutionContext, noted: Set<string>): Promise<void> {
    return this.moverDirectory ? explainWait(ctx, noted, this.moverDirectory, this.oversight()) : Promise.resolve();
  }

  private oversight(): OversightDeps {
    return { executions: this.executions, access: this.access, clock: this.clock, log: this.log, refresh: (id) => this.refresh(id), kickMovers: () => this.movers.kick() };
  }

  /** Waits for the queue to drain (or for stop/force_stop), then finalizes. */
  private async watch(ctx: ExecutionContext): Promise<void> {
    const noted = new Set<string>();
    let waitingSince: number | undefined;
    for (;;) {
      const row = await this.refresh(ctx.id);
      if (!row) return;
      if (!isActive(row.state)) {
        // force_stop (or stopped while never started): nothing more may happen.
        await this.queue.cancel(ctx.id, this.clock.now());
        if (!ctx.opts.fullReport) {
          // The ledger keeps failures only — once the movers of the aborted batches wrote their last rows.
          for (let waited = 0; (await this.queue.heldAfterCancel(ctx.id, this.clock.now())) > 0 && waited < 30_000; waited += 100) await ctx.waitForChange(100);
          await this.ledger.pruneSuccesses(ctx.id);
        }
        await this.writeStats(ctx);
        return;
      }
      const open = await this.queue.openCount(ctx.id);
      const walkDone = (Number(row.progress) & Progress.INIT_DONE) !== 0;
      if (row.state === 'stopping' && open.leased === 0) {
        await this.queue.cancel(ctx.id, this.clock.now());
        // A stop the dispatcher decided (a withdrawn right) carries its reason in `error`; a user's does not.
        await this.finish(ctx, row.error !== null ? 'stopped_by_system' : 'stopped_by_user');
        return;
      }
      if (walkDone && open.queued + open.leased === 0 && row.state !== 'stopping') {
        await this.finish(ctx, null);
        return;
      }
      if (open.queued > 0 && open.leased === 0 && (row.state === 'calculating' || row.state === 'in_progress')) {
        waitingSince ??= Date.now();
        if (Date.now() - waitingSince >= WAIT_CHECK_MS) {
          waitingSince = Date.now();
          await this.explainWait(ctx, noted).catch((err) => this.log.debug({ err }, 'mover check failed'));
        }
      } else waitingSince = undefined;
      if (!this.running || !this.active) return; // shutting down, or the lease was lost (halt)
      await ctx.waitForChange(100);
    }
  }

  private finish(ctx: ExecutionContext, forced: ExecutionState | null): Promise<void> {
    return finishExecution(ctx, forced, { executions: this.executions, queue: this.queue, ledger: this.ledger, clock: this.clock });
  }

  private async fail(row: ExecutionRow, message: string): Promise<void> {
    const now = this.clock.now().toISOString();
    const current = await this.executions.findById(row.id);
    if (!current || !isActive(current.state)) return;
    await this.executions.transition(row.id, current.state, { state: 'error', error: message, finished_at: now, updated_at: now, progress: Number(current.progress) | Progress.HAS_ERROR });
    this.log.warn({ execution: row.id, message }, 'execution failed');
  }

  /** Progress from the store: the batches' counts (partial ones of batches in work) and bytes in flight. */
  private async writeStats(ctx: ExecutionContext): Promise<void> {
    try {
      const totals = await this.queue.totals(ctx.id);
      const doneBytes = totals.doneBytes + totals.inflightBytes;
      const row = await this.executions.findById(ctx.id);
      if (!row || !isActive(row.state)) return;
      const bandwidth = ctx.accounting.sample(this.clock.now().getTime(), doneBytes);
      const walkDone = (Number(row.progress) & Progress.INIT_DONE) !== 0;
      await this.executions.update(ctx.id, {
        nodes_done: totals.doneFiles, size_done: doneBytes, files_failed: totals.failedFiles,
        bandwidth, eta_seconds: walkDone ? Accounting.eta(Number(row.size_todo), doneBytes, bandwidth) : null, updated_at: this.clock.now().toISOString(),
      });
    } catch (err) {
      this.log.debug({ err }, 'stats write failed');
    }
  }
}
