/**
 * The FINAL step of an execution: tree cleanup and dates, speedtest averages, ledger pruning, final
 * counters and state. A graceful stop finalizes too (folders a move emptied are removed with
 * remove_root_folder, folder dates reset): only what was moved is affected, as `remove` refuses a
 * folder that still holds anything. Everything is read from the store: the movers that did the work
 * may have been other processes.
 */
import { Progress, isActive, type ExecutionState } from '../../domain/execution.js';
import type { Clock } from '../../lib/clock.js';
import type { ExecutionRepository } from '../../store/execution-repository.js';
import type { LedgerRepository } from '../../store/ledger-repository.js';
import type { ExecutionRow } from '../../store/schema.js';
import type { ExecutionContext } from '../execution-context.js';
import type { WorkQueue } from '../queue/work-queue.js';
import { finalizeTree } from './finalize.js';
import { SPEEDTEST_KEY_PREFIX, parseSpeedtestNote } from '../mover/speedtest.js';

export interface FinishDeps {
  executions: ExecutionRepository;
  queue: WorkQueue;
  ledger: LedgerRepository;
  clock: Clock;
}

/** Ends the execution: `forced` is the state a stop imposes, null for a run that went to its end. */
export async function finishExecution(ctx: ExecutionContext, forced: ExecutionState | null, d: FinishDeps): Promise<void> {
  await d.executions.addProgress(ctx.id, Progress.FINAL_STARTED);
  if (forced === null || forced === 'stopped_by_user') {
    try {
      await finalizeTree(ctx);
    } catch (err) {
      ctx.notes.push(`finalization: ${(err as Error).message}`);
    }
  }
  let bandwidth = 0;
  if (ctx.snapshot.workflow_action === 'speedtest') {
    const runs = (await d.ledger.withKeyPrefix(ctx.id, SPEEDTEST_KEY_PREFIX)).map((r) => parseSpeedtestNote(r.error)).filter((r) => r !== undefined);
    if (runs.length > 0) {
      const avg = (f: (r: { writeBps: number; readBps: number }) => number) => runs.reduce((a, r) => a + f(r), 0) / runs.length;
      bandwidth = Math.round(avg((r) => r.writeBps));
      ctx.notes.push(`speedtest: ${runs.length} run(s), write ${(bandwidth / 1048576).toFixed(1)} MiB/s, read ${(avg((r) => r.readBps) / 1048576).toFixed(1)} MiB/s (averages)`);
    }
  }
  if (!ctx.opts.fullReport) await d.ledger.pruneSuccesses(ctx.id);
  const totals = await d.queue.totals(ctx.id);
  let state: ExecutionState = forced ?? 'done';
  if (forced === null && totals.failedFiles > 0) state = totals.doneFiles > 0 ? 'finished_with_warnings' : 'error';
  const now = d.clock.now().toISOString();
  const flags = Progress.FINAL_DONE | (forced === null ? Progress.PROCESS_DONE : 0) | (totals.failedFiles > 0 ? Progress.HAS_ERROR : 0);
  const current = (await d.executions.findById(ctx.id)) as ExecutionRow;
  if (!isActive(current.state)) return;
  const log = JSON.stringify([...JSON.parse(current.log ?? '[]').filter((l: string) => !ctx.notes.includes(l)), ...ctx.notes]);
  await d.executions.transition(ctx.id, current.state, {
    state, progress: Number(current.progress) | flags | Progress.FINAL_STARTED, finished_at: now, updated_at: now, log,
    nodes_done: totals.doneFiles, size_done: totals.doneBytes, files_failed: totals.failedFiles, bandwidth, eta_seconds: 0,
    error: state === 'error' ? 'every file failed; see the execution files' : state === 'stopped_by_system' ? current.error : null,
  });
}
