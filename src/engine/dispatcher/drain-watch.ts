/**
 * The dispatcher's watch over one running execution after its walk: it waits for the batches to drain
 * (or for stop / force_stop), says why batches wait when no live mover serves them, then finalizes.
 * Everything it decides on is read from the store, so another dispatcher taking over decides the same.
 */
import { Progress, isActive, type ExecutionState } from '../../domain/execution.js';
import type { ExecutionRow } from '../../store/schema.js';
import type { ExecutionContext } from '../execution-context.js';
import { setTimeout as delay } from 'node:timers/promises';
import { WAIT_CHECK_MS } from './oversight.js';
import type { StoreParts } from './stats.js';

export interface DrainDeps extends StoreParts {
  refresh(executionId: string): Promise<ExecutionRow | undefined>;
  finish(ctx: ExecutionContext, forced: ExecutionState | null): Promise<void>;
  writeStats(ctx: ExecutionContext): Promise<void>;
  explainWait(ctx: ExecutionContext, noted: Set<string>): Promise<void>;
  /** False once the dispatcher shuts down or loses the lease: the watch ends, the execution stays as it is. */
  live(): boolean;
}

/** How often the watch looks at the store at most (and at least, without a change). */
const LOOK_EVERY_MS = 100;

export async function watchDrain(ctx: ExecutionContext, d: DrainDeps): Promise<void> {
  const noted = new Set<string>();
  let waitingSince: number | undefined;
  for (;;) {
    const row = await d.refresh(ctx.id);
    if (!row) return;
    if (!isActive(row.state)) {
      // force_stop (or stopped while never started): nothing more may happen.
      await d.queue.cancel(ctx.id, d.clock.now());
      if (!ctx.opts.fullReport) {
        // The ledger keeps failures only — once the movers of the aborted batches wrote their last rows.
        for (let waited = 0; (await d.queue.heldAfterCancel(ctx.id, d.clock.now())) > 0 && waited < 30_000; waited += 100) await ctx.waitForChange(100);
        await d.ledger.pruneSuccesses(ctx.id);
      }
      await d.writeStats(ctx);
      return;
    }
    const open = await d.queue.openCount(ctx.id);
    const walkDone = (Number(row.progress) & Progress.INIT_DONE) !== 0;
    if (row.state === 'stopping' && open.leased === 0) {
      await d.queue.cancel(ctx.id, d.clock.now());
      // A stop the dispatcher decided (a withdrawn right) carries its reason in `error`; a user's does not.
      await d.finish(ctx, row.error !== null ? 'stopped_by_system' : 'stopped_by_user');
      return;
    }
    if (walkDone && open.queued + open.leased === 0 && row.state !== 'stopping') {
      await d.finish(ctx, null);
      return;
    }
    if (open.queued > 0 && open.leased === 0 && (row.state === 'calculating' || row.state === 'in_progress')) {
      waitingSince ??= Date.now();
      if (Date.now() - waitingSince >= WAIT_CHECK_MS) {
        waitingSince = Date.now();
        await d.explainWait(ctx, noted).catch((err) => d.log.debug({ err }, 'mover check failed'));
      }
    } else waitingSince = undefined;
    if (!d.live()) return; // shutting down, or the lease was lost (halt)
    const looked = Date.now();
    await ctx.waitForChange(LOOK_EVERY_MS);
    // Every batch that settles wakes the watch, and a look is two queries: at most one look per
    // LOOK_EVERY_MS (issue #14: hundreds of batches a second made these a share of the engine's CPU).
    const early = LOOK_EVERY_MS - (Date.now() - looked);
    if (early > 0) await delay(early);
  }
}
