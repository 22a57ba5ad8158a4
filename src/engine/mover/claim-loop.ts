/**
 * The pull side of a mover: while it runs, claim the next batch from the store whenever the work
 * claimed but not started falls below one round of the slots, choosing the execution by weighted fair
 * share; otherwise wait 200 ms or until woken (a batch closed, something changed).
 *
 * Why a module of its own: *which* batch a mover takes next is the priority rule of the whole
 * scale-out (each mover applies it, so the shares add up across movers; docs/architecture.md, "Priority
 * across movers"), and it is independent of how a claimed batch is run (batch-run.ts).
 *
 * The list of runnable executions (a join over the queue) is asked for once per
 * {@link RUNNABLE_TTL_MS} rather than before every claim: a small-file copy claims a batch every few
 * milliseconds and the answer rarely changes meanwhile (issue #14). It is asked again at once when a
 * claim from a kept list finds nothing, and after {@link ClaimLoop.changed}.
 */
import type { Logger } from 'pino';
import type { Clock } from '../../lib/clock.js';
import type { WorkQueue } from '../queue/work-queue.js';
import type { ExecutionContext } from '../execution-context.js';
import type { Batch } from '../queue/work-item.js';
import type { ParallelShare } from './parallel-share.js';

/** What the claim loop needs from its mover. */
export interface ClaimLoopDeps {
  owner: string;
  leaseMs: number;
  queue: WorkQueue;
  contexts: { get(executionId: string): Promise<ExecutionContext | undefined> };
  share: ParallelShare;
  clock: Clock;
  log: Logger;
  /** Work claimed but not started, and one round of the slots, in slot units (batch-run.ts). */
  backlog: () => number;
  capacity: () => number;
  openBatches: (executionId: string) => number;
  /** A batch admitted for was not claimed: give the permits back if nothing else of it runs here. */
  letGo: (executionId: string) => Promise<void>;
  /** Runs a claimed batch (not awaited: the loop goes on claiming). */
  run: (ctx: ExecutionContext, batch: Batch) => Promise<void>;
  /** How long a list of runnable executions is used (default {@link RUNNABLE_TTL_MS}). */
  runnableTtlMs?: number;
}

/**
 * How long a list of runnable executions is kept, on the monotonic clock (not the injectable Clock:
 * tests freeze it). Why 200 ms: an execution that becomes runnable waits no longer to be considered
 * than the loop's own wait between looks when it is idle.
 */
export const RUNNABLE_TTL_MS = 200;

export class ClaimLoop {
  private running = false;
  private loop: Promise<void> | undefined;
  private waking: (() => void) | undefined;
  /** The runnable executions last read, and when (performance.now()). */
  private runnable: { ids: string[]; at: number } | undefined;
  /** Counts {@link changed} calls: a list read while one came is not kept. */
  private changes = 0;

  constructor(private readonly d: ClaimLoopDeps) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.claimLoop();
  }

  /** Stops claiming; resolves once the loop has left (batches already claimed go on). */
  async stop(): Promise<void> {
    this.running = false;
    this.wake();
    await this.loop;
    this.loop = undefined;
  }

  /** Looks for work now instead of at the end of the current wait. */
  wake(): void {
    this.waking?.();
  }

  /** Something changed (an execution queued, resumed, paused): read which executions are runnable at the next claim. */
  changed(): void {
    this.changes++;
    this.runnable = undefined;
  }

  private async claimLoop(): Promise<void> {
    while (this.running) {
      let claimed = false;
      try {
        if (this.d.backlog() < this.d.capacity()) claimed = await this.claimOne();
      } catch (err) {
        this.runnable = undefined;
        this.d.log.error({ err }, 'claim failed');
      }
      // A claimed batch is counted (backlog, open batches) as its run starts, before that run awaits
      // anything (batch-run.ts): the next look sees it, so the loop goes on at once.
      if (!claimed) {
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, 200);
          this.waking = () => {
            clearTimeout(t);
            resolve();
          };
        });
        this.waking = undefined;
      }
    }
  }

  /**
   * Fair share: the runnable execution with the fewest claims per unit of priority goes first. A kept
   * list that yields no claim is dropped and the store asked again at once (an execution may have
   * become runnable since).
   */
  private async claimOne(): Promise<boolean> {
    const now = this.d.clock.now();
    const t = performance.now();
    const kept = this.runnable;
    if (kept !== undefined && t - kept.at < (this.d.runnableTtlMs ?? RUNNABLE_TTL_MS)) {
      if (await this.claimFrom(kept.ids, now)) return true;
      this.runnable = undefined;
    }
    const changes = this.changes;
    const ids = await this.d.queue.runnable(now);
    if (changes === this.changes) this.runnable = { ids, at: t };
    if (await this.claimFrom(ids, now)) return true;
    this.runnable = undefined;
    return false;
  }

  /** Claims one batch of the first of `ids` by fair share that has one; false when none had. */
  private async claimFrom(ids: string[], now: Date): Promise<boolean> {
    const d = this.d;
    const contexts = await Promise.all(ids.map((id) => d.contexts.get(id)));
    const candidates = contexts
      .filter((c): c is ExecutionContext => c !== undefined && c.runnable && (c.opts.parallel === null || c.inflight < d.share.limitOf(c) || d.openBatches(c.id) === 0))
      .sort((a, b) => a.claimed / a.opts.priority - b.claimed / b.opts.priority);
    for (const ctx of candidates) {
      if (!(await d.share.admit(ctx))) continue;
      const batch = await d.queue.claim(ctx.id, d.owner, d.leaseMs, now);
      if (!batch) {
        this.runnable = undefined; // this execution has nothing to claim now: the list is out of date
        await d.letGo(ctx.id);
        continue;
      }
      ctx.claimed++;
      void d.run(ctx, batch).catch((err) => d.log.error({ err, batch: batch.id }, 'batch run failed'));
      return true;
    }
    return false;
  }
}
