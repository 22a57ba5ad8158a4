/**
 * Task executions in the SQL store. The store enforces "one active execution per task" with a
 * partial unique index (see migration 0001), so `insert` is where a racing second run is refused.
 */
import { sql, type Kysely } from 'kysely';
import type { ListQuery } from '../domain/list-query.js';
import type { Database, ExecutionRow } from './schema.js';
import type { ExecutionState } from '../domain/execution.js';
import type { Dialect } from './db.js';
import { applyFilters, applySort, isUniqueViolation, type ColumnSpec } from './list-sql.js';
import type { OwnerScope } from './task-repository.js';

export const EXECUTION_COLUMNS: ColumnSpec = {
  filters: {
    id: 'task_executions.id', task_id: 'task_executions.task_id', status: 'task_executions.state',
    progress: 'task_executions.progress', size_todo: 'task_executions.size_todo', size_done: 'task_executions.size_done',
    nodes_todo: 'task_executions.nodes_todo', nodes_done: 'task_executions.nodes_done', files_failed: 'task_executions.files_failed',
    created_at: 'task_executions.created_at', started_at: 'task_executions.started_at',
    finished_at: 'task_executions.finished_at', updated_at: 'task_executions.updated_at',
  },
  sorts: {
    id: 'task_executions.id', task_id: 'task_executions.task_id', status: 'task_executions.state', progress: 'task_executions.progress',
    size_todo: 'task_executions.size_todo', size_done: 'task_executions.size_done', nodes_todo: 'task_executions.nodes_todo',
    nodes_done: 'task_executions.nodes_done', files_failed: 'task_executions.files_failed', bandwidth: 'task_executions.bandwidth',
    created_at: 'task_executions.created_at', started_at: 'task_executions.started_at', finished_at: 'task_executions.finished_at',
  },
  nonText: ['task_executions.bandwidth', 'task_executions.progress', 'task_executions.size_todo', 'task_executions.size_done', 'task_executions.nodes_todo', 'task_executions.nodes_done', 'task_executions.files_failed'],
};

import { ActiveExecutionExists } from '../domain/conflicts.js';
export { ActiveExecutionExists };

export class ExecutionRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: Dialect,
  ) {}

  async insert(row: ExecutionRow): Promise<void> {
    try {
      await this.db.insertInto('task_executions').values(row).execute();
    } catch (err) {
      if (isUniqueViolation(err)) throw new ActiveExecutionExists();
      throw err;
    }
  }

  async findById(id: string): Promise<ExecutionRow | undefined> {
    return this.db.selectFrom('task_executions').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async findActive(taskId: string): Promise<ExecutionRow | undefined> {
    return this.db.selectFrom('task_executions').selectAll().where('task_id', '=', taskId).where('finished_at', 'is', null).executeTakeFirst();
  }

  /** The most recent execution of each task (for `task.last_execution`). */
  async lastForTasks(taskIds: string[]): Promise<Map<string, ExecutionRow>> {
    const out = new Map<string, ExecutionRow>();
    if (taskIds.length === 0) return out;
    const rows = await this.db
      .selectFrom('task_executions as e')
      .selectAll('e')
      .where('e.task_id', 'in', taskIds)
      .where((eb) =>
        eb('e.id', '=', eb.selectFrom('task_executions as x').select('x.id').whereRef('x.task_id', '=', 'e.task_id').orderBy('x.created_at', 'desc').orderBy('x.id', 'desc').limit(1)),
      )
      .execute();
    for (const r of rows) out.set(r.task_id, r);
    return out;
  }

  /** Lists executions visible to the scope, optionally of one task. */
  async list(query: ListQuery, scope: OwnerScope, taskId?: string): Promise<{ count: number; rows: ExecutionRow[] }> {
    let base = this.db.selectFrom('task_executions');
    if (!scope.all) base = base.where('task_executions.user_id', '=', scope.userId);
    if (taskId !== undefined) base = base.where('task_executions.task_id', '=', taskId);
    base = applyFilters(base, query.filters, EXECUTION_COLUMNS, this.dialect);
    const c = await base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    const rows = await applySort(base.selectAll('task_executions'), query.sort, EXECUTION_COLUMNS, [['task_executions.created_at', 'desc'], ['task_executions.id', 'asc']], this.dialect)
      .limit(query.limit)
      .offset(query.offset)
      .execute();
    return { count: Number(c.n), rows };
  }

  /**
   * Compare-and-set update: applies `patch` only while the row is still in `expectedState`, so a
   * control action and the engine never overwrite each other's transition. Returns whether it applied.
   */
  async transition(id: string, expectedState: ExecutionState, patch: Partial<ExecutionRow>, expectedProgress?: number): Promise<boolean> {
    let q = this.db.updateTable('task_executions').set(patch).where('id', '=', id).where('state', '=', expectedState);
    // A patch computed from a read of `progress` must not erase flags the engine added since (`addProgress`).
    if (expectedProgress !== undefined) q = q.where('progress', '=', expectedProgress);
    const r = await q.executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  /** A task's executions that ended `done`, newest first (the previous good backup is among them). */
  async lastDone(taskId: string, excludeId: string, limit = 20): Promise<ExecutionRow[]> {
    return this.db.selectFrom('task_executions').selectAll().where('task_id', '=', taskId).where('state', '=', 'done').where('id', '<>', excludeId)
      .where('dry_run', '=', 0).orderBy('finished_at', 'desc').limit(limit).execute();
  }

  /** Runs (not dry runs) that ended well, newest first: what a dry run's ETA is measured on. */
  async recentFinished(limit: number): Promise<ExecutionRow[]> {
    return this.db.selectFrom('task_executions').selectAll().where('state', 'in', ['done', 'finished_with_warnings']).where('dry_run', '=', 0)
      .where('started_at', 'is not', null).where('finished_at', 'is not', null).orderBy('finished_at', 'desc').limit(limit).execute();
  }

  /** Active executions (finished_at IS NULL), oldest first: what the engine runs or resumes. */
  /** The current state of each execution that still exists (movers poll this). */
  async states(ids: string[]): Promise<Map<string, ExecutionState>> {
    if (ids.length === 0) return new Map();
    const rows = await this.db.selectFrom('task_executions').select(['id', 'state']).where('id', 'in', ids).execute();
    return new Map(rows.map((r) => [r.id, r.state]));
  }

  /** Adds `name` to the execution's `movers` once (compare-and-set: movers on other hosts add theirs too). */
  async addMover(id: string, name: string): Promise<void> {
    for (let attempt = 0; attempt < 10; attempt++) {
      const row = await this.db.selectFrom('task_executions').select('movers').where('id', '=', id).executeTakeFirst();
      if (!row) return;
      const movers = JSON.parse(row.movers || '[]') as string[];
      if (movers.includes(name)) return;
      const r = await this.db.updateTable('task_executions').set({ movers: JSON.stringify([...movers, name]) }).where('id', '=', id).where('movers', '=', row.movers).executeTakeFirst();
      if (Number(r.numUpdatedRows) > 0) return;
    }
  }

  async listActive(): Promise<ExecutionRow[]> {
    return this.db.selectFrom('task_executions').selectAll().where('finished_at', 'is', null).orderBy('created_at').orderBy('id').execute();
  }

  /** Sets progress flags (bitwise OR) and other columns in one statement, whatever the state. */
  async addProgress(id: string, flags: number, patch: Partial<ExecutionRow> = {}): Promise<void> {
    await this.db.updateTable('task_executions').set((eb) => ({ ...patch, progress: sql<number>`${eb.ref('progress')} | ${flags}` })).where('id', '=', id).execute();
  }

  async update(id: string, patch: Partial<ExecutionRow>): Promise<void> {
    await this.db.updateTable('task_executions').set(patch).where('id', '=', id).execute();
  }
}
