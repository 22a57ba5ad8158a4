/**
 * What the dispatcher does with a schedule's occurrences, as pure rules (the clock is a parameter).
 *
 * A schedule remembers `next_at`, its first occurrence not yet handled. When the dispatcher looks
 * (every tick, and at the occurrence itself) it takes the occurrences from `next_at` to now:
 * - one that passed less than the **grace** ago is **due**: it starts an execution — unless the task
 *   still has an active execution, and then it is **skipped**, never run twice;
 * - one that passed longer ago was not seen by any dispatcher in time (none was running, or it was
 *   stalled longer than the grace): it is **missed**. With `catch_up`, one execution starts at once for
 *   the missed occurrences of a pass that has no due occurrence.
 * Why a grace and not "anything late is missed": a running dispatcher sees an occurrence within one
 * tick, but a busy machine or a store under load can delay it by seconds; the grace (60 s by default)
 * separates that from hours without a dispatcher.
 */
import type { ScheduleRule } from './schedule-rule.js';

/** At most this many occurrences are handled per schedule and pass; the rest in the next passes. */
export const OCCURRENCES_PER_PASS = 10_000;

/** The bookkeeping of a schedule, as stored. Dates are ISO-8601 UTC. */
export interface ScheduleState {
  next_at: string | null;
  done: boolean;
  catch_up: boolean;
  missed_count: number;
  skipped_count: number;
  refused_count: number;
  missed_first: string | null;
  missed_last: string | null;
  /** The occurrence the last started execution ran for. */
  last_run_at: string | null;
}

/** The occurrences one pass handles. */
export interface Pass {
  /** Passed longer than the grace ago. */
  missed: Date[];
  /** Passed within the grace (or exactly now). */
  due: Date[];
  /** The first occurrence after those handled; undefined when the rule has none left. */
  next: Date | undefined;
  /** More occurrences up to now remain (the pass hit its cap): look again at once. */
  more: boolean;
}

/** An execution to try to start: for a due occurrence, or the catch-up of missed ones. */
export interface Attempt {
  at: Date;
  catchUp: boolean;
}

/** How the attempt went: an execution started, the task was busy, or the task cannot run (why). */
export type Outcome = { kind: 'started'; executionId: string } | { kind: 'busy' } | { kind: 'refused'; reason: string };

/** The occurrences from `nextAt` to `now`, split into missed and due by `graceMs`. */
export function planPass(rule: ScheduleRule, nextAt: Date, now: Date, graceMs: number, cap = OCCURRENCES_PER_PASS): Pass {
  const w = rule.window(nextAt, now, cap);
  const missed: Date[] = [];
  const due: Date[] = [];
  for (const at of w.at) (now.getTime() - at.getTime() > graceMs ? missed : due).push(at);
  return { missed, due, next: w.next, more: w.next !== undefined && w.next.getTime() <= now.getTime() };
}

/**
 * The execution this pass tries to start, if any: the first due occurrence; else, with `catch_up`, one
 * for the missed occurrences — once the pass reached now (a pass that hit its cap holds only missed
 * occurrences, since the grace is shorter than the cap at one occurrence per second, and the last
 * pass takes the catch-up decision).
 */
export function attemptOf(pass: Pass, state: Pick<ScheduleState, 'catch_up'>): Attempt | undefined {
  const first = pass.due[0];
  if (first) return { at: first, catchUp: false };
  const lastMissed = pass.missed.at(-1);
  if (!state.catch_up || pass.more || lastMissed === undefined) return undefined;
  return { at: lastMissed, catchUp: true };
}

/** The schedule's bookkeeping after a pass (and its attempt's outcome). */
export function afterPass(state: ScheduleState, pass: Pass, attempt: Attempt | undefined, outcome: Outcome | undefined): ScheduleState {
  const out: ScheduleState = { ...state };
  if (pass.missed.length > 0) {
    out.missed_count += pass.missed.length;
    out.missed_first ??= (pass.missed[0] as Date).toISOString();
    out.missed_last = (pass.missed.at(-1) as Date).toISOString();
  }
  const due = pass.due.length;
  if (attempt && outcome) {
    if (outcome.kind === 'started') {
      out.last_run_at = attempt.at.toISOString();
      if (!attempt.catchUp) out.skipped_count += due - 1;
    } else if (outcome.kind === 'busy') {
      // A catch-up finding the task running is no occurrence: the running execution covers it.
      if (!attempt.catchUp) out.skipped_count += due;
    } else {
      out.refused_count += attempt.catchUp ? 1 : due;
    }
  }
  out.next_at = pass.next?.toISOString() ?? null;
  out.done = pass.next === undefined;
  return out;
}
