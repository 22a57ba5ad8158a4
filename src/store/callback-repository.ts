/**
 * Task callbacks in the SQL store (migration 0013): the CRUD of `/tasks/{id}/task_callbacks`, the
 * scripts an execution loads, and — for `after_result_received` hooks — the batches of an execution
 * that are done, whose ledger rows are then final.
 */
import type { Kysely } from 'kysely';
import type { ListQuery } from '../domain/list-query.js';
import type { Database, TaskCallbackRow } from './schema.js';
import type { Dialect } from './db.js';
import { applyFilters, applySort, type ColumnSpec } from './list-sql.js';
import type { WorkItem } from '../engine/queue/work-item.js';
import { decodeItems } from './work-items-codec.js';

export const CALLBACK_COLUMNS: ColumnSpec = {
  filters: { id: 'id', type: 'type', language: 'language', url: 'url', created_at: 'created_at', updated_at: 'updated_at' },
  sorts: { id: 'id', type: 'type', language: 'language', url: 'url', created_at: 'created_at', updated_at: 'updated_at' },
};

/** A done batch: its sequence number and its items. */
export interface DoneBatch {
  seq: number;
  items: WorkItem[];
}

export class CallbackRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: Dialect,
  ) {}

  async list(taskId: string, query: ListQuery): Promise<{ count: number; rows: TaskCallbackRow[] }> {
    const base = applyFilters(this.db.selectFrom('task_callbacks').where('task_id', '=', taskId), query.filters, CALLBACK_COLUMNS, this.dialect);
    const c = await base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    const rows = await applySort(base.selectAll(), query.sort, CALLBACK_COLUMNS, [['created_at', 'asc'], ['id', 'asc']], this.dialect).limit(query.limit).offset(query.offset).execute();
    return { count: Number(c.n), rows };
  }

  async find(taskId: string, id: string): Promise<TaskCallbackRow | undefined> {
    return this.db.selectFrom('task_callbacks').selectAll().where('task_id', '=', taskId).where('id', '=', id).executeTakeFirst();
  }

  /** A task's callbacks of some types, oldest first (the order an execution runs them in). */
  async forTask(taskId: string, types: readonly string[]): Promise<TaskCallbackRow[]> {
    if (types.length === 0) return [];
    return this.db.selectFrom('task_callbacks').selectAll().where('task_id', '=', taskId).where('type', 'in', [...types])
      .orderBy('created_at').orderBy('id').execute();
  }

  async insert(row: TaskCallbackRow): Promise<void> {
    await this.db.insertInto('task_callbacks').values(row).execute();
  }

  async update(id: string, patch: Partial<TaskCallbackRow>): Promise<void> {
    await this.db.updateTable('task_callbacks').set(patch).where('id', '=', id).execute();
  }

  async delete(id: string): Promise<void> {
    await this.db.deleteFrom('task_callbacks').where('id', '=', id).execute();
  }

  /** Done batches of an execution with a sequence number above `afterSeq`, in order, at most `limit`. */
  async doneBatches(executionId: string, afterSeq: number, limit: number): Promise<DoneBatch[]> {
    const rows = await this.db.selectFrom('work_batches').innerJoin('work_batch_items', 'work_batch_items.batch_id', 'work_batches.id')
      .select(['work_batches.seq', 'work_batch_items.items']).where('work_batches.execution_id', '=', executionId).where('work_batches.seq', '>', afterSeq)
      .where('work_batches.state', '=', 'done').orderBy('work_batches.seq').limit(limit).execute();
    return rows.map((r) => ({ seq: Number(r.seq), items: decodeItems(r.items) }));
  }
}
