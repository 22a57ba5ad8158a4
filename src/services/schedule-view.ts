/**
 * A schedule as the API shows it: Nodeum's `task_schedule` fields plus Barge's (`catch_up`, the
 * refusals, the last run, and — read-only, so a client needs no recurrence library — the rule as a
 * sentence, its zone and its next occurrences). A value that has none is absent, not null, as in the
 * other views.
 */
import { ScheduleRule } from '../domain/schedule-rule.js';
import type { TaskScheduleRow } from '../store/schema.js';

/** How many upcoming occurrences a view lists. */
export const UPCOMING = 5;

export interface ScheduleView {
  id: string;
  task_id: string;
  rrule: string;
  done: boolean;
  next?: string;
  missed_count: number;
  skipped_count: number;
  missed_first?: string;
  missed_last?: string;
  catch_up: boolean;
  refused_count: number;
  last_run_at?: string;
  last_execution_id?: string;
  last_error?: string;
  last_error_at?: string;
  description?: string;
  time_zone?: string;
  upcoming: string[];
  created_at: string;
  updated_at: string;
}

/**
 * Parsed rules by text, a bounded few: a list of schedules parses each rule once, and rrule-temporal
 * keeps its own per-rule caches warm between requests.
 */
export class RuleCache {
  private readonly rules = new Map<string, ScheduleRule>();

  constructor(private readonly size = 256) {}

  /** The rule of `text`, or undefined when it cannot be read (a stored rule is read again on every view). */
  get(text: string): ScheduleRule | undefined {
    let rule = this.rules.get(text);
    if (rule) {
      this.rules.delete(text);
      this.rules.set(text, rule);
      return rule;
    }
    try {
      rule = ScheduleRule.read(text);
    } catch {
      return undefined;
    }
    this.rules.set(text, rule);
    if (this.rules.size > this.size) this.rules.delete(this.rules.keys().next().value as string);
    return rule;
  }
}

/** The view of a stored schedule; `upcoming` counts from its first occurrence not yet handled. */
export function scheduleView(row: TaskScheduleRow, rules: RuleCache): ScheduleView {
  const rule = rules.get(row.rrule);
  let upcoming: string[] = [];
  if (rule && row.next_at !== null && Number(row.done) === 0) {
    try {
      upcoming = rule.upcoming(new Date(row.next_at), UPCOMING).map((d) => d.toISOString());
    } catch {
      upcoming = [row.next_at];
    }
  }
  const opt = (k: keyof ScheduleView, v: string | null) => (v === null ? {} : { [k]: v });
  return {
    id: row.id, task_id: row.task_id, rrule: row.rrule, done: Number(row.done) === 1,
    ...opt('next', row.next_at),
    missed_count: Number(row.missed_count), skipped_count: Number(row.skipped_count),
    ...opt('missed_first', row.missed_first), ...opt('missed_last', row.missed_last),
    catch_up: Number(row.catch_up) === 1,
    refused_count: Number(row.refused_count),
    ...opt('last_run_at', row.last_run_at), ...opt('last_execution_id', row.last_execution_id),
    ...opt('last_error', row.last_error), ...opt('last_error_at', row.last_error_at),
    ...(rule ? { description: rule.describe(), time_zone: rule.timeZone } : {}),
    upcoming,
    created_at: row.created_at, updated_at: row.updated_at,
  };
}

/** A view without the next and missed occurrences (`with_next=false`). */
export function withoutNext(view: ScheduleView): ScheduleView {
  const { next: _next, missed_first: _first, missed_last: _last, ...rest } = view;
  return { ...rest, upcoming: [] };
}
