/**
 * A task's schedule (`/tasks/{task_id}/task_schedule`, one per task) and the list of schedules
 * (`/task_schedules`). The task is resolved as for every task sub-resource (id, or a unique name;
 * another user's task is a 404). A rule is checked when it is given: unreadable, finer than one
 * second, or without any occurrence from now on → 422 on `rrule` with the reason. The schedule's
 * bookkeeping starts at its first occurrence from now: occurrences before it was set are not missed.
 */
import { ValidationErrors, notFound } from '../domain/errors.js';
import { parseBool, parseListQuery, type ListSpec } from '../domain/list-query.js';
import { RuleTextError, ScheduleRule } from '../domain/schedule-rule.js';
import type { Clock } from '../lib/clock.js';
import { newId } from '../lib/tokens.js';
import type { ScheduleRepository } from '../store/schedule-repository.js';
import type { TaskScheduleRow } from '../store/schema.js';
import type { Principal } from './principal.js';
import { ownerScope, type TaskService } from './task-service.js';
import { RuleCache, scheduleView, withoutNext, type ScheduleView } from './schedule-view.js';

export const SCHEDULE_LIST: ListSpec = {
  filters: { id: 'string', task_id: 'string', rrule: 'string', done: 'boolean', next: 'date', created_at: 'date', updated_at: 'date' },
  sortable: ['id', 'task_id', 'done', 'next', 'missed_count', 'skipped_count', 'created_at', 'updated_at'],
};

/** Longest rule text accepted (a rule with many EXDATEs is still far below). */
export const MAX_RULE_LENGTH = 16_384;

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** What a body may set. */
interface ScheduleInput {
  rule?: ScheduleRule;
  /** The rule's first occurrence from now (set with `rule`). */
  next?: Date;
  catch_up?: boolean;
}

export class ScheduleService {
  private readonly rules = new RuleCache();

  constructor(
    private readonly tasks: TaskService,
    private readonly schedules: ScheduleRepository,
    private readonly clock: Clock,
  ) {}

  /** `with_next=false` (Nodeum's parameter) leaves out the next and missed occurrences. */
  async list(p: Principal, query: Record<string, unknown>): Promise<{ count: number; task_schedules: ScheduleView[] }> {
    const q = parseListQuery(query, SCHEDULE_LIST);
    const errors = new ValidationErrors();
    const withNext = query.with_next === undefined || query.with_next === '' ? true : parseBool('with_next', query.with_next, errors);
    errors.throwIfAny();
    const { count, rows } = await this.schedules.list(q, ownerScope(p, q.all));
    return { count, task_schedules: rows.map((r) => (withNext ? scheduleView(r, this.rules) : withoutNext(scheduleView(r, this.rules)))) };
  }

  async show(p: Principal, taskId: string): Promise<ScheduleView> {
    return scheduleView(await this.existing(p, taskId), this.rules);
  }

  /** POST: sets the task's schedule, replacing the one it had (a new id, the bookkeeping from zero). */
  async create(p: Principal, taskId: string, body: unknown): Promise<ScheduleView> {
    const task = await this.tasks.resolve(p, taskId);
    const input = this.read(body, true);
    const now = this.clock.now().toISOString();
    const row: TaskScheduleRow = {
      id: newId(), task_id: task.id, rrule: (input.rule as ScheduleRule).text, catch_up: input.catch_up ? 1 : 0, done: 0,
      next_at: (input.next as Date).toISOString(), missed_count: 0, skipped_count: 0, refused_count: 0, missed_first: null, missed_last: null,
      last_run_at: null, last_execution_id: null, last_error: null, last_error_at: null, created_at: now, updated_at: now,
    };
    await this.schedules.replace(row);
    return scheduleView(row, this.rules);
  }

  /**
   * PUT: changes the rule and/or `catch_up`. A new rule starts its bookkeeping again (next occurrence
   * from now, counters from zero: they counted another rule's occurrences); `catch_up` alone keeps it.
   */
  async update(p: Principal, taskId: string, body: unknown): Promise<ScheduleView> {
    const current = await this.existing(p, taskId);
    const input = this.read(body, false);
    const patch: Partial<TaskScheduleRow> = { updated_at: this.clock.now().toISOString() };
    if (input.catch_up !== undefined) patch.catch_up = input.catch_up ? 1 : 0;
    if (input.rule && input.rule.text !== current.rrule) {
      Object.assign(patch, {
        rrule: input.rule.text, next_at: (input.next as Date).toISOString(), done: 0, missed_count: 0, skipped_count: 0, refused_count: 0,
        missed_first: null, missed_last: null, last_error: null, last_error_at: null,
      } satisfies Partial<TaskScheduleRow>);
    }
    await this.schedules.update(current.id, patch);
    return scheduleView({ ...current, ...patch }, this.rules);
  }

  async destroy(p: Principal, taskId: string): Promise<void> {
    const task = await this.tasks.resolve(p, taskId);
    if (!(await this.schedules.deleteByTask(task.id))) throw notFound('Task schedule');
  }

  private async existing(p: Principal, taskId: string): Promise<TaskScheduleRow> {
    const task = await this.tasks.resolve(p, taskId);
    const row = await this.schedules.findByTask(task.id);
    if (!row) throw notFound('Task schedule');
    return row;
  }

  /** Reads a body; `requireRule` for POST. Every problem is reported at once (422 model_error). */
  private read(body: unknown, requireRule: boolean): ScheduleInput {
    const errors = new ValidationErrors();
    const b = isObject(body) ? body : {};
    const out: ScheduleInput = {};
    const raw = b.rrule;
    if (raw === undefined || raw === null || (typeof raw === 'string' && raw.trim() === '')) {
      if (requireRule || raw !== undefined) errors.add('rrule', { error: 'blank' }, "Rrule can't be blank");
    } else if (typeof raw !== 'string') {
      errors.add('rrule', { error: 'invalid', value: raw, reason: 'invalid_rule' }, 'Rrule must be a string (RFC 5545 text: a DTSTART line and an RRULE line)');
    } else if (raw.length > MAX_RULE_LENGTH) {
      errors.add('rrule', { error: 'too_long', count: MAX_RULE_LENGTH }, `Rrule is too long (maximum is ${MAX_RULE_LENGTH} characters)`);
    } else {
      try {
        const rule = ScheduleRule.read(raw);
        const now = this.clock.now();
        const next = rule.nextFrom(now);
        if (next === undefined) throw new RuleTextError(`the rule has no occurrence after ${now.toISOString()}`, 'no_future_occurrence');
        out.rule = rule;
        out.next = next;
      } catch (err) {
        if (!(err instanceof RuleTextError)) throw err;
        errors.add('rrule', { error: 'invalid', reason: err.reason }, `Rrule is invalid: ${err.message}`);
      }
    }
    if (b.catch_up !== undefined) {
      if (typeof b.catch_up !== 'boolean') errors.add('catch_up', { error: 'inclusion', value: b.catch_up }, 'Catch up must be true or false');
      else out.catch_up = b.catch_up;
    }
    errors.throwIfAny();
    return out;
  }
}
