/**
 * A dry run, from the dispatcher's side (issue #11): the execution walks, filters and plans as a run
 * would, but its plan goes to the ledger (dry-run-recorder.ts) instead of the work queue, and it ends
 * with totals and an ETA (domain/dry-run.ts) instead of finalization. Nothing is written to any
 * storage: no batch is enqueued (so no mover opens it), no temporary file is cleaned, no folder
 * date, emptied folder or source is touched — `finalize.ts` is never called for it.
 *
 * pause holds the walk between flushes, stop ends it with the plan so far (`stopped_by_user`), a
 * withdrawn right stops it as it stops a run, force_stop keeps what was planned. A dry run interrupted
 * by a restart plans again from the start: its rows are cleared first (it wrote nothing else), so a
 * crash never leaves a plan with holes or twice-counted files.
 */
import type { Logger } from 'pino';
import { Progress, engineOwns, isActive, type ExecutionState } from '../../domain/execution.js';
import { summarizePlan, withEta, type DryRunPlan, type MeasuredRun, type PlannedRun } from '../../domain/dry-run.js';
import type { Clock } from '../../lib/clock.js';
import type { ExecutionRepository } from '../../store/execution-repository.js';
import type { LedgerRepository } from '../../store/ledger-repository.js';
import type { ExecutionRow } from '../../store/schema.js';
import type { ExecutionContext, TaskSnapshot } from '../execution-context.js';
import { DryRunRecorder } from './dry-run-recorder.js';
import { dispatchWalk, type DispatchLimits, type PlanSource } from './walk.js';

/** What a dry run needs from its dispatcher. */
export interface DryRunDeps {
  executions: ExecutionRepository;
  ledger: LedgerRepository;
  clock: Clock;
  log: Logger;
  /** The dispatcher's name (the execution's `dispatcher`). */
  name: string;
  limits: DispatchLimits;
  accessCheckMs: number;
  /** Re-reads the execution's state into its context (stop, pause and resume reach the walk so). */
  refresh(executionId: string): Promise<ExecutionRow | undefined>;
  /** A right withdrawn stops the execution (oversight.ts). */
  checkAccess(ctx: ExecutionContext): Promise<void>;
  /** Backup snapshot folder, previous backup, or restore catalog: as for a run. */
  planSource(ctx: ExecutionContext, row: ExecutionRow): Promise<PlanSource>;
  /** Ends the execution in `error` with a message. */
  fail(row: ExecutionRow, message: string): Promise<void>;
}

/** How often a dry run re-reads its state (a stop or pause from an API in another process). */
const POLL_MS = 250;
/** Recent runs read to find those an ETA can be measured on. */
const RECENT_RUNS = 200;

/** Runs (or resumes) a dry run to its end. */
export async function runDryRun(ctx: ExecutionContext, initial: ExecutionRow, d: DryRunDeps): Promise<void> {
  const now = () => d.clock.now().toISOString();
  if (initial.state === 'in_queue' && !engineOwns(Number(initial.progress))) {
    const log = JSON.stringify([...JSON.parse(initial.log ?? '[]'), 'dry run: the plan is recorded, nothing is written', ...ctx.notes]);
    const patch = { state: 'calculating' as const, progress: Number(initial.progress) | Progress.INIT_STARTED, started_at: now(), updated_at: now(), dispatcher: d.name, log };
    if (!(await d.executions.transition(initial.id, 'in_queue', patch))) return; // paused or stopped meanwhile: the next tick sees it
  } else if (initial.state !== 'stopping' && engineOwns(Number(initial.progress))) {
    await d.ledger.clear(initial.id);
    await d.executions.update(initial.id, { dispatcher: d.name, nodes_todo: 0, size_todo: 0, files_failed: 0, updated_at: now() });
  }
  const row = await d.refresh(initial.id);
  if (!row || !isActive(row.state)) return;
  ctx.state = row.state;
  if (row.state === 'paused' && !engineOwns(Number(row.progress))) return; // paused before it started: nothing to resume yet
  const poll = setInterval(() => void d.refresh(ctx.id).catch(() => undefined), POLL_MS).unref();
  const guard = setInterval(() => void d.checkAccess(ctx), d.accessCheckMs).unref();
  try {
    await d.checkAccess(ctx);
    await d.refresh(ctx.id);
    const recorder = new DryRunRecorder(ctx, d.ledger, (files, bytes) => d.executions.update(ctx.id, { nodes_todo: files, size_todo: bytes, updated_at: now() }), () => whilePaused(ctx), d.clock);
    let complete = false;
    if (ctx.state !== 'stopping') {
      try {
        const stop = () => ctx.state === 'stopping' || ctx.abort.signal.aborted;
        complete = (await dispatchWalk(ctx, recorder, d.clock, undefined, 0, d.limits, stop, await d.planSource(ctx, row))).complete;
      } catch (err) {
        if (!ctx.abort.signal.aborted) {
          await d.fail(row, `dry run failed: ${(err as Error).message}`);
          return;
        }
      }
    }
    const current = await d.executions.findById(ctx.id);
    // Aborted while still active: this engine is shutting down (or lost its lease): the next one plans again.
    if (current && isActive(current.state) && ctx.abort.signal.aborted) return;
    await finishDryRun(ctx, complete, d);
  } finally {
    clearInterval(poll);
    clearInterval(guard);
  }
}

/** Holds while the execution is paused (its state is re-read every POLL_MS). */
async function whilePaused(ctx: ExecutionContext): Promise<void> {
  while (ctx.state === 'paused' && !ctx.abort.signal.aborted) await ctx.waitForChange(POLL_MS);
}

/** The storages of a task snapshot's endpoints (a pool counts as itself). */
function storagesOf(list: TaskSnapshot['sources']): string[] {
  return list.map((e) => e.storage_id ?? e.pool_id ?? '').filter((id) => id !== '');
}

/** A finished run as the ETA measures it: bytes and files done over its duration. */
export function measuredRun(row: ExecutionRow): MeasuredRun | undefined {
  if (row.started_at === null || row.finished_at === null) return undefined;
  const snapshot = JSON.parse(row.task_snapshot) as TaskSnapshot;
  return {
    action: snapshot.workflow_action, sources: storagesOf(snapshot.sources ?? []), destinations: storagesOf(snapshot.destinations ?? []),
    bytes: Number(row.size_done), files: Number(row.nodes_done), seconds: (Date.parse(row.finished_at) - Date.parse(row.started_at)) / 1000,
  };
}

/** The plan's totals from its ledger rows, with the ETA measured on recent runs of the same storages. */
export async function planOf(ctx: ExecutionContext, d: Pick<DryRunDeps, 'ledger' | 'executions'>): Promise<DryRunPlan> {
  const target: PlannedRun = { action: ctx.snapshot.workflow_action, sources: storagesOf(ctx.snapshot.sources), destinations: storagesOf(ctx.snapshot.destinations) };
  const recent = (await d.executions.recentFinished(RECENT_RUNS)).map(measuredRun).filter((r): r is MeasuredRun => r !== undefined);
  return withEta(summarizePlan(await d.ledger.planGroups(ctx.id)), target, recent);
}

/**
 * Ends a dry run: its totals (files, bytes, per operation, ETA) go to `plan`, `nodes_todo`,
 * `size_todo`, `files_failed` and `eta_seconds`; the state follows as for a run (a stop wins; files
 * that could not be planned make it finished_with_warnings, or error when nothing else was planned).
 * A force-stopped dry run keeps its state and gets the totals of what it planned.
 */
async function finishDryRun(ctx: ExecutionContext, complete: boolean, d: DryRunDeps): Promise<void> {
  const plan = await planOf(ctx, d);
  const totals = { nodes_todo: plan.files, size_todo: plan.bytes, files_failed: plan.failed, eta_seconds: plan.eta_seconds, bandwidth: 0, plan: JSON.stringify(plan) };
  for (let attempt = 0; attempt < 50; attempt++) {
    const current = await d.executions.findById(ctx.id);
    if (!current) return;
    const now = d.clock.now().toISOString();
    if (!isActive(current.state)) {
      await d.executions.update(ctx.id, { ...totals, updated_at: now });
      return;
    }
    if (current.state === 'paused') {
      ctx.state = 'paused';
      await whilePaused(ctx);
      continue;
    }
    const stopped = current.state === 'stopping';
    const planned = plan.files + plan.skipped;
    const state: ExecutionState = stopped ? (current.error !== null ? 'stopped_by_system' : 'stopped_by_user') : plan.failed > 0 ? (planned > 0 ? 'finished_with_warnings' : 'error') : 'done';
    const flags = Progress.FINAL_STARTED | Progress.FINAL_DONE | (complete ? Progress.INIT_DONE | Progress.PROCESS_STARTED | Progress.PROCESS_DONE : 0) | (plan.failed > 0 ? Progress.HAS_ERROR : 0);
    const summary = `dry run: ${plan.files} file(s), ${plan.bytes} bytes to ${ctx.snapshot.workflow_action === 'erase' ? 'erase' : 'write'}, ${plan.skipped} skipped, ${plan.failed} failed; ETA ${plan.eta_seconds === null ? 'unknown' : `${plan.eta_seconds} s`} (${plan.eta_note})`;
    const log = JSON.stringify([...JSON.parse(current.log ?? '[]'), summary]);
    const error = state === 'error' ? 'no file could be planned; see the execution files' : state === 'stopped_by_system' ? current.error : null;
    if (await d.executions.transition(ctx.id, current.state, { ...totals, state, progress: Number(current.progress) | flags, finished_at: now, updated_at: now, log, error }, Number(current.progress))) return;
  }
  d.log.warn({ execution: ctx.id }, 'dry run: could not record its end (its state kept changing)');
}
