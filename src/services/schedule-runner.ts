/**
 * What the dispatcher does at a schedule's occurrences (engine/dispatcher/scheduler.ts drives it in
 * time): for each schedule whose next occurrence has come it decides what is due, missed or skipped
 * (domain/schedule.ts), starts the execution — checked and built exactly as a manual run
 * (run-launcher.ts), with `trigger: {type: "schedule", at}` — and moves the schedule on, in one
 * transaction with the execution's insert (ScheduleRepository.settle). A task that cannot run (no
 * rights any more, an endpoint gone) does not stop the others: the refusal is counted, logged and
 * kept on the schedule (`last_error`).
 */
import type { Logger } from 'pino';
import { DataManagementError } from '../domain/errors.js';
import { afterPass, attemptOf, planPass, type Attempt, type Outcome, type Pass, type ScheduleState } from '../domain/schedule.js';
import { RuleTextError, ScheduleRule } from '../domain/schedule-rule.js';
import { newId } from '../lib/tokens.js';
import type { ScheduleRepository } from '../store/schedule-repository.js';
import type { ExecutionRow, TaskScheduleRow } from '../store/schema.js';
import type { TaskRepository } from '../store/task-repository.js';
import type { RunLauncher } from './run-launcher.js';

/** Schedules handled per pass; more are taken at once by the next pass. */
const SCHEDULES_PER_PASS = 100;

export interface ScheduleRunnerConfig {
  /** An occurrence that passed longer ago than this when first seen is missed, not run (BARGE_SCHEDULE_GRACE_SECONDS). */
  graceMs: number;
}

/** What one pass did. */
export interface PassResult {
  /** Executions started (the dispatcher looks for them at once). */
  started: number;
  /** Schedules whose next occurrence has come remain: pass again without waiting. */
  more: boolean;
}

function stateOf(row: TaskScheduleRow): ScheduleState {
  return {
    next_at: row.next_at, done: Number(row.done) === 1, catch_up: Number(row.catch_up) === 1, missed_count: Number(row.missed_count),
    skipped_count: Number(row.skipped_count), refused_count: Number(row.refused_count), missed_first: row.missed_first, missed_last: row.missed_last,
    last_run_at: row.last_run_at,
  };
}

/** The columns a pass writes (never `catch_up` or the rule: an API change meanwhile keeps them). */
function patchOf(s: ScheduleState, now: string): Partial<TaskScheduleRow> {
  return {
    next_at: s.next_at, done: s.done ? 1 : 0, missed_count: s.missed_count, skipped_count: s.skipped_count, refused_count: s.refused_count,
    missed_first: s.missed_first, missed_last: s.missed_last, last_run_at: s.last_run_at, updated_at: now,
  };
}

export class ScheduleRunner {
  constructor(
    private readonly schedules: ScheduleRepository,
    private readonly tasks: TaskRepository,
    private readonly launcher: RunLauncher,
    private readonly log: Logger,
    private readonly cfg: ScheduleRunnerConfig,
  ) {}

  /** The earliest next occurrence of the schedules not done, if any. */
  async earliest(): Promise<Date | undefined> {
    const at = await this.schedules.earliest();
    return at === undefined ? undefined : new Date(at);
  }

  /** Handles every schedule whose next occurrence has come at `now` (stops early when `signal` aborts). */
  async runDue(now: Date, signal?: AbortSignal): Promise<PassResult> {
    const rows = await this.schedules.due(now.toISOString(), SCHEDULES_PER_PASS);
    let started = 0;
    let more = rows.length === SCHEDULES_PER_PASS;
    for (const row of rows) {
      if (signal?.aborted) return { started, more: false };
      const r = await this.handle(row, now);
      if (r.started) started++;
      if (r.more) more = true;
    }
    return { started, more };
  }

  /** One schedule's pass. */
  private async handle(row: TaskScheduleRow, now: Date): Promise<{ started: boolean; more: boolean }> {
    const expected = row.next_at as string;
    const state = stateOf(row);
    let pass: Pass;
    try {
      pass = planPass(ScheduleRule.read(row.rrule), new Date(expected), now, this.cfg.graceMs);
    } catch (err) {
      if (!(err instanceof RuleTextError)) throw err;
      // A stored rule this version cannot compute: stop it (done) rather than fail at every tick.
      this.log.error({ schedule: row.id, task: row.task_id, err: err.message }, 'schedule rule cannot be computed: schedule stopped');
      await this.schedules.settle(row.id, expected, { next_at: null, done: 1, last_error: `the rule cannot be computed: ${err.message}`, last_error_at: now.toISOString(), updated_at: now.toISOString() });
      return { started: false, more: false };
    }
    const attempt = attemptOf(pass, state);
    if (!attempt) {
      await this.schedules.settle(row.id, expected, patchOf(afterPass(state, pass, undefined, undefined), now.toISOString()));
      return { started: false, more: pass.more };
    }
    const prepared = await this.prepare(row, attempt, pass);
    if ('refused' in prepared) {
      const reason = prepared.refused;
      this.log.warn({ schedule: row.id, task: row.task_id, at: attempt.at.toISOString(), reason }, 'scheduled run refused: the task cannot run');
      const patch = { ...patchOf(afterPass(state, pass, attempt, { kind: 'refused', reason }), now.toISOString()), last_error: reason, last_error_at: now.toISOString() };
      await this.schedules.settle(row.id, expected, patch);
      return { started: false, more: pass.more };
    }
    const exec = prepared.execution;
    const startedOutcome: Outcome = { kind: 'started', executionId: exec.id };
    const startedPatch = { ...patchOf(afterPass(state, pass, attempt, startedOutcome), now.toISOString()), last_execution_id: exec.id, last_error: null, last_error_at: null };
    const result = await this.schedules.settle(row.id, expected, startedPatch, exec);
    if (result === 'settled') {
      this.log.info({ schedule: row.id, task: row.task_id, at: attempt.at.toISOString(), execution: exec.id, catchUp: attempt.catchUp }, 'scheduled run started');
      return { started: true, more: pass.more };
    }
    if (result === 'busy') {
      // The task's previous execution is still active: the store refused a second one. Skipped.
      this.log.info({ schedule: row.id, task: row.task_id, at: attempt.at.toISOString(), catchUp: attempt.catchUp }, 'scheduled run skipped: the task is still running');
      await this.schedules.settle(row.id, expected, patchOf(afterPass(state, pass, attempt, { kind: 'busy' }), now.toISOString()));
    }
    // 'stale': the schedule changed meanwhile (set again, or handled elsewhere): the next pass reads it anew.
    return { started: false, more: pass.more };
  }

  /** The execution an attempt starts, or why the task cannot run now. */
  private async prepare(row: TaskScheduleRow, attempt: Attempt, pass: Pass): Promise<{ execution: ExecutionRow } | { refused: string }> {
    const task = await this.tasks.findById(row.task_id);
    if (!task) return { refused: 'the task no longer exists' };
    try {
      const endpoints = await this.launcher.checkRunnable(task);
      const trigger: Record<string, unknown> = { type: 'schedule', at: attempt.at.toISOString(), schedule_id: row.id };
      if (attempt.catchUp) Object.assign(trigger, { catch_up: true, missed: pass.missed.length });
      return { execution: this.launcher.executionRow(task, endpoints, trigger, newId()) };
    } catch (err) {
      if (err instanceof DataManagementError) return { refused: err.detail };
      throw err;
    }
  }
}
