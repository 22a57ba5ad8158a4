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
import type { ExecutionContext } from '../execution-context.js';
import { loadContext, restoreSource } from '../context-loader.js';
import { dispatchWalk } from './walk.js';
import { destinationBases } from './planner.js';
import type { StorageResolver } from '../storage-resolver.js';
import type { WorkQueue } from '../queue/work-queue.js';
import { isDeadLocalHolder, type EngineLease } from './engine-lease.js';
import type { WalkPosition } from './plan.js';
import { OPEN_ACCESS, type AccessGuard } from './access-guard.js';
import { finishExecution } from './finish.js';
import { runDryRun } from './dry-run.js';
import { planSource } from './plan-source.js';
import { watchDrain } from './drain-watch.js';
import { writeStats, type StoreParts } from './stats.js';
import { Publisher } from './publisher.js';
import { explainWait, stopIfAccessWithdrawn, type MoverDirectory, type OversightDeps } from './oversight.js';
export type { MoverDirectory } from './oversight.js';
import type { BatchTransport } from '../queue/transport.js';
import { NO_CALLBACKS, type CallbackHooks } from '../callbacks/execution-callbacks.js';
import { Scheduler, type ScheduleWork } from './scheduler.js';
import type { ExecutionHooks } from '../webhooks/webhooks.js';
import type { TapeWork } from '../tape/tape-run.js';

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

/** The dispatcher's optional parts; each one absent means that feature is off in this process. */
export interface DispatcherParts {
  /** Storage rights of a running execution's owner, checked again while it runs (default: open). */
  access?: AccessGuard;
  movers?: LocalMovers;
  /** Live movers and what they reach, to say why an execution's batches wait. */
  moverDirectory?: MoverDirectory;
  /** How batches travel besides the store (BullMQ), when configured. */
  transport?: BatchTransport;
  /** Webhooks (engine/webhooks): sent while this process holds the lease, told when a run starts or ends. */
  webhooks?: ExecutionHooks;
  /** Schedules (scheduler.ts): their due occurrences start executions while this process holds the lease. */
  schedules?: ScheduleWork;
  /** Task callbacks (engine/callbacks): filters in the walk, hooks before, during and after a run. */
  callbacks?: CallbackHooks;
  /** Executions with a tape endpoint run there (engine/tape), not through the movers. */
  tape?: TapeWork;
}

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

  private readonly access: AccessGuard;
  private readonly movers: LocalMovers;
  private readonly moverDirectory: MoverDirectory | undefined;
  private readonly transport: BatchTransport | undefined;
  private readonly webhooks: ExecutionHooks | undefined;
  private readonly schedules: ScheduleWork | undefined;
  private readonly callbacks: CallbackHooks;
  private readonly tape: TapeWork | undefined;

  constructor(
    private readonly cfg: DispatcherConfig,
    private readonly executions: ExecutionRepository,
    private readonly queue: WorkQueue,
    private readonly ledger: LedgerRepository,
    private readonly resolver: StorageResolver,
    private readonly lease: EngineLease,
    private readonly clock: Clock,
    private readonly log: Logger,
    parts: DispatcherParts = {},
  ) {
    this.access = parts.access ?? OPEN_ACCESS;
    this.movers = parts.movers ?? NO_LOCAL_MOVERS;
    this.moverDirectory = parts.moverDirectory;
    this.transport = parts.transport;
    this.webhooks = parts.webhooks;
    this.schedules = parts.schedules;
    this.callbacks = parts.callbacks ?? NO_CALLBACKS;
    this.tape = parts.tape;
  }

  /** The schedule loop, running while this process holds the lease. */
  private scheduler: Scheduler | undefined;

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
    this.webhooks?.start();
    await this.movers.activeChanged(true);
    this.tickTimer = setInterval(() => void this.tick(), 250).unref();
    void this.tick();
    this.scheduler ??= this.schedules ? new Scheduler(this.schedules, this.clock, this.log, () => void this.tick()) : undefined;
    this.scheduler?.start();
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
    await this.scheduler?.stop();
    for (const ctx of this.contexts.values()) ctx.abort.abort(new Error('engine shutting down'));
    await this.webhooks?.stop();
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
      this.webhooks?.executionChanged(executionId);
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
          this.webhooks?.executionChanged(row.id); // ended (or this engine stops): its finished event
          // after_task_executed if it ended, then its scripts' sandbox closes (a stopping engine waits for it).
          return this.callbacks.release(row.id).catch((err) => this.log.warn({ err, execution: row.id }, 'callbacks release failed'));
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
    if (this.tape?.handles(initial)) return this.tape.run(initial, (c) => this.contexts.set(c.id, c));
    let ctx: ExecutionContext;
    let restoreStorages: string[];
    try {
      ({ ctx, restoreStorages } = await loadContext(initial, this.resolver, this.ledger));
    } catch (err) {
      await this.fail(initial, `cannot open the task's storages: ${(err as Error).message}`);
      return;
    }
    const restoreFrom = restoreSource(ctx.snapshot);
    if (Number(initial.dry_run ?? 0) === 1) {
      // A dry run plans into the ledger and enqueues nothing (dry-run.ts): no stats, no batches, no finalization.
      this.contexts.set(ctx.id, ctx);
      await runDryRun(ctx, initial, {
        executions: this.executions, ledger: this.ledger, clock: this.clock, log: this.log, name: this.cfg.name, accessCheckMs: this.cfg.accessCheckMs,
        limits: { batchFiles: this.cfg.batchFiles, batchBytes: this.cfg.batchBytes, flushBatches: 4 },
        refresh: (id) => this.refresh(id), checkAccess: (c) => this.checkAccess(c), fail: (r, m) => this.fail(r, m),
        planSource: async (c, r) => ({ ...(await planSource(c, r, restoreFrom, restoreStorages, this.storeParts())), filter: await this.callbacks.filter(c) }),
      });
      return;
    }
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
        this.webhooks?.executionChanged(row.id); // its started event
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
      const refused = await this.callbacks.start(ctx, row); // scripts compiled; before_task_executed on a first start
      if (refused) {
        await this.fail(row, refused);
        return;
      }
      if ((Number(row.progress) & Progress.INIT_DONE) === 0) {
        const cursor = row.walk_cursor ? (JSON.parse(row.walk_cursor) as WalkPosition) : undefined;
        let walked;
        try {
          walked = await dispatchWalk(ctx, publisher?.publishing() ?? this.queue, this.clock, cursor, Number(row.batches_planned), { batchFiles: this.cfg.batchFiles, batchBytes: this.cfg.batchBytes, flushBatches: 4 }, () => ctx.state === 'stopping' || ctx.abort.signal.aborted, { ...(await planSource(ctx, row, restoreFrom, restoreStorages, this.storeParts())), filter: await this.callbacks.filter(ctx) });
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

  /** Says in the run's log why its batches wait, when no live mover reaches its storages (oversight.ts). */
  private explainWait(ctx: ExecutionContext, noted: Set<string>): Promise<void> {
    return this.moverDirectory ? explainWait(ctx, noted, this.moverDirectory, this.oversight()) : Promise.resolve();
  }

  private oversight(): OversightDeps {
    return { executions: this.executions, access: this.access, clock: this.clock, log: this.log, refresh: (id) => this.refresh(id), kickMovers: () => this.movers.kick() };
  }

  /** Waits for the queue to drain (or for stop/force_stop), then finalizes (drain-watch.ts). */
  private watch(ctx: ExecutionContext): Promise<void> {
    return watchDrain(ctx, {
      ...this.storeParts(),
      refresh: (id) => this.refresh(id), finish: (c, forced) => this.finish(c, forced), writeStats: (c) => this.writeStats(c),
      explainWait: (c, noted) => this.explainWait(c, noted), live: () => this.running && this.active,
    });
  }

  private async finish(ctx: ExecutionContext, forced: ExecutionState | null): Promise<void> {
    await this.callbacks.beforeFinish(ctx); // after_result_received on the last results, before the ledger is pruned
    return finishExecution(ctx, forced, { executions: this.executions, queue: this.queue, ledger: this.ledger, clock: this.clock });
  }

  private async fail(row: ExecutionRow, message: string): Promise<void> {
    const now = this.clock.now().toISOString();
    const current = await this.executions.findById(row.id);
    if (!current || !isActive(current.state)) return;
    await this.executions.transition(row.id, current.state, { state: 'error', error: message, finished_at: now, updated_at: now, progress: Number(current.progress) | Progress.HAS_ERROR });
    this.log.warn({ execution: row.id, message }, 'execution failed');
  }

  private writeStats(ctx: ExecutionContext): Promise<void> {
    return writeStats(ctx, this.storeParts());
  }

  private storeParts(): StoreParts {
    return { executions: this.executions, queue: this.queue, ledger: this.ledger, clock: this.clock, log: this.log };
  }
}
