/**
 * Task schedules in the SQL store (migration 0012). The dispatcher's one write per occurrence is
 * `settle`: the execution an occurrence starts is inserted in the same transaction that moves the
 * schedule's `next_at` forward, compare-and-set on the `next_at` it read — so a crash leaves either
 * both or neither, and two dispatchers (a lease handover) can never handle one occurrence twice.
 */
import type { Kysely } from 'kysely';
import type { ListQuery } from '../domain/list-query.js';
import type { Database, ExecutionRow, TaskScheduleRow } from './schema.js';
import type { Dialect } from './db.js';
import { applyFilters, applySort, type ColumnSpec } from './list-sql.js';
import { ActiveExecutionExists, ExecutionRepository } from './execution-repository.js';
import type { OwnerScope } from './task-repository.js';

export const SCHEDULE_COLUMNS: ColumnSpec = {
  filters: { id: 's.id', task_id: 's.task_id', rrule: 's.rrule', done: 's.done', next: 's.next_at', created_at: 's.created_at', updated_at: 's.updated_at' },
  sorts: {
    id: 's.id', task_id: 's.task_id', done: 's.done', next: 's.next_at', missed_count: 's.missed_count', skipped_count: 's.skipped_count',
    created_at: 's.created_at', updated_at: 's.updated_at',
  },
  nonText: ['s.done', 's.missed_count', 's.skipped_count'],
};

/** How `settle` went: written; the task already had an active execution (nothing written); or the schedule changed meanwhile (nothing written). */
export type SettleResult = 'settled' | 'busy' | 'stale';

/** Thrown inside the transaction to roll it back when the compare-and-set finds another `next_at`. */
class StaleSchedule extends Error {}

export class ScheduleRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: Dialect,
  ) {}

  findByTask(taskId: string): Promise<TaskScheduleRow | undefined> {
    return this.db.selectFrom('task_schedules').selectAll().where('task_id', '=', taskId).executeTakeFirst();
  }

  findById(id: string): Promise<TaskScheduleRow | undefined> {
    return this.db.selectFrom('task_schedules').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /** Puts `row` in place of the task's schedule, if any (POST replaces: a new id, counters from zero). */
  async replace(row: TaskScheduleRow): Promise<{ replaced: boolean }> {
    return this.db.transaction().execute(async (trx) => {
      const r = await trx.deleteFrom('task_schedules').where('task_id', '=', row.task_id).executeTakeFirst();
      await trx.insertInto('task_schedules').values(row).execute();
      return { replaced: Number(r.numDeletedRows) > 0 };
    });
  }

  async update(id: string, patch: Partial<TaskScheduleRow>): Promise<void> {
    await this.db.updateTable('task_schedules').set(patch).where('id', '=', id).execute();
  }

  async deleteByTask(taskId: string): Promise<boolean> {
    const r = await this.db.deleteFrom('task_schedules').where('task_id', '=', taskId).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  /** Schedules of tasks the scope sees (a task's owner is the schedule's), filtered, sorted and paged. */
  async list(query: ListQuery, scope: OwnerScope): Promise<{ count: number; rows: TaskScheduleRow[] }> {
    let base = this.db.selectFrom('task_schedules as s').innerJoin('tasks as t', 't.id', 's.task_id');
    if (!scope.all) base = base.where('t.user_id', '=', scope.userId);
    base = applyFilters(base, query.filters, SCHEDULE_COLUMNS, this.dialect);
    const c = await base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    const rows = await applySort(base.selectAll('s'), query.sort, SCHEDULE_COLUMNS, [['s.created_at', 'desc'], ['s.id', 'asc']], this.dialect)
      .limit(query.limit)
      .offset(query.offset)
      .execute();
    return { count: Number(c.n), rows };
  }

  /** Schedules whose next occurrence has come (`next_at` ≤ now), earliest first. */
  due(now: string, limit: number): Promise<TaskScheduleRow[]> {
    return this.db.selectFrom('task_schedules').selectAll().where('done', '=', 0).where('next_at', '<=', now).orderBy('next_at').orderBy('id').limit(limit).execute();
  }

  /** The earliest `next_at` of the schedules not done (when the dispatcher should look next). */
  async earliest(): Promise<string | undefined> {
    const r = await this.db.selectFrom('task_schedules').select((eb) => eb.fn.min<string>('next_at').as('at')).where('done', '=', 0).executeTakeFirst();
    return r?.at ?? undefined;
  }

  /**
   * Writes a schedule's state after a pass, compare-and-set on the `next_at` the pass started from,
   * together with the execution the pass starts (when given). `busy`: the store's one-active-execution
   * rule refused the execution — nothing was written, the caller settles again without it.
   */
  async settle(id: string, expectedNextAt: string, patch: Partial<TaskScheduleRow>, execution?: ExecutionRow): Promise<SettleResult> {
    try {
      await this.db.transaction().execute(async (trx) => {
        if (execution) await new ExecutionRepository(trx, this.dialect).insert(execution);
        const r = await trx.updateTable('task_schedules').set(patch).where('id', '=', id).where('next_at', '=', expectedNextAt).executeTakeFirst();
        if (Number(r.numUpdatedRows) !== 1) throw new StaleSchedule();
      });
      return 'settled';
    } catch (err) {
      if (err instanceof ActiveExecutionExists) return 'busy';
      if (err instanceof StaleSchedule) return 'stale';
      throw err;
    }
  }
}
