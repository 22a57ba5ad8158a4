/**
 * An active execution's progress, written from the store: the batches' counts (partial ones of
 * batches in work) and bytes in flight. Why from the store and not from movers' messages: movers run
 * in other processes and hosts; the batches' rows are the one account every dispatcher can read again
 * after a restart.
 */
import type { Logger } from 'pino';
import { Progress, isActive } from '../../domain/execution.js';
import type { Clock } from '../../lib/clock.js';
import type { ExecutionRepository } from '../../store/execution-repository.js';
import type { LedgerRepository } from '../../store/ledger-repository.js';
import { Accounting } from '../accounting.js';
import type { ExecutionContext } from '../execution-context.js';
import type { WorkQueue } from '../queue/work-queue.js';

/** The store-facing parts the dispatcher's helpers read and write through. */
export interface StoreParts {
  executions: ExecutionRepository;
  queue: WorkQueue;
  ledger: LedgerRepository;
  clock: Clock;
  log: Logger;
}

/** Writes progress, bandwidth and ETA; a failed write is logged and the next interval tries again. */
export async function writeStats(ctx: ExecutionContext, d: StoreParts): Promise<void> {
  try {
    const totals = await d.queue.totals(ctx.id);
    const doneBytes = totals.doneBytes + totals.inflightBytes;
    const row = await d.executions.findById(ctx.id);
    if (!row || !isActive(row.state)) return;
    const bandwidth = ctx.accounting.sample(d.clock.now().getTime(), doneBytes);
    const walkDone = (Number(row.progress) & Progress.INIT_DONE) !== 0;
    await d.executions.update(ctx.id, {
      nodes_done: totals.doneFiles, size_done: doneBytes, files_failed: totals.failedFiles,
      bandwidth, eta_seconds: walkDone ? Accounting.eta(Number(row.size_todo), doneBytes, bandwidth) : null, updated_at: d.clock.now().toISOString(),
    });
  } catch (err) {
    d.log.debug({ err }, 'stats write failed');
  }
}
