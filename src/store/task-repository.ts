/**
 * Tasks and their endpoints (sources/destinations) in the SQL store. Lists are a count plus one
 * page query, with endpoints fetched for the page in a single IN query, so a page of 50 costs three
 * indexed statements whatever the table size. Unfiltered counts read the per-owner counter that
 * triggers keep (migration 0004) instead of a COUNT(*) over the owner's index entries.
 */
import type { Kysely, Transaction } from 'kysely';
import type { ListQuery } from '../domain/list-query.js';
import type { Database, TaskEndpointRow, TaskRow } from './schema.js';
import type { Dialect } from './db.js';
import { applyFilters, applySort, columnCondition, type ColumnSpec } from './list-sql.js';
import { endpointKind } from '../domain/task.js';
import type { FilterTerm } from '../domain/list-query.js';

/** Who is asking: a user's own tasks, or everybody's (admin with `all=true`). */
export interface OwnerScope {
  userId: string;
  all: boolean;
}

function endpointTypeFilter(role: 'source' | 'destination') {
  return (eb: any, term: FilterTerm, dialect: Dialect) => {
    // `sources.type=nas` matches `primary_nas` too: compare kinds for the exact operators.
    const exact = term.op === '=' || term.op === '!=' || term.op === '><' || term.op === '!><';
    const values = exact ? term.values.map((v) => endpointKind(String(v)) ?? String(v)) : term.values;
    // Negations match tasks with NO endpoint matching the positive form (a task without sources
    // has no nas source), so `!~` negates `~` exactly as `!=` negates `=`.
    const negated = term.op === '!=' || term.op === '!><' || term.op === '!~';
    const positive = { ...term, op: term.op === '!=' ? '=' : term.op === '!><' ? '><' : term.op === '!~' ? '~' : term.op, values } as FilterTerm;
    const sub = eb
      .selectFrom('task_endpoints as te')
      .select('te.id')
      .whereRef('te.task_id', '=', 'tasks.id')
      .where('te.role', '=', role)
      .where((e2: any) => columnCondition(e2, exact ? 'te.kind' : 'te.type', positive, dialect));
    return negated ? eb.not(eb.exists(sub)) : eb.exists(sub);
  };
}

export const TASK_COLUMNS: ColumnSpec = {
  filters: {
    id: 'tasks.id',
    name: 'tasks.name',
    comment: 'tasks.comment',
    workflow_type: 'tasks.workflow_type',
    workflow_action: 'tasks.workflow_action',
    created_at: 'tasks.created_at',
    updated_at: 'tasks.updated_at',
    'sources.type': endpointTypeFilter('source'),
    'destinations.type': endpointTypeFilter('destination'),
  },
  sorts: {
    id: 'tasks.id', name: 'tasks.name', comment: 'tasks.comment', workflow_type: 'tasks.workflow_type',
    workflow_action: 'tasks.workflow_action', created_at: 'tasks.created_at', updated_at: 'tasks.updated_at',
  },
};

/** A task row with its owner's username (the API's `user`). */
export type OwnedTask = TaskRow & { owner: string };

export class TaskRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: Dialect,
  ) {}

  async list(query: ListQuery, scope: OwnerScope): Promise<{ count: number; rows: OwnedTask[] }> {
    let base = this.db.selectFrom('tasks');
    if (!scope.all) base = base.where('tasks.user_id', '=', scope.userId);
    base = applyFilters(base, query.filters, TASK_COLUMNS, this.dialect);
    // Unfiltered, the count is the owner's counter (migration 0004), kept by the write transactions.
    const count = query.filters.length === 0
      ? await this.countOf(scope)
      : Number((await base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
    const rows = await applySort(base.innerJoin('users', 'users.id', 'tasks.user_id').selectAll('tasks').select('users.username as owner'), query.sort, TASK_COLUMNS, [['tasks.created_at', 'desc'], ['tasks.id', 'asc']], this.dialect)
      .limit(query.limit)
      .offset(query.offset)
      .execute();
    return { count, rows };
  }

  /** How many tasks a scope owns, from the per-owner counters (no scan). */
  async countOf(scope: OwnerScope): Promise<number> {
    let q = this.db.selectFrom('task_owner_stats').select((eb) => eb.fn.sum<number | null>('task_count').as('n'));
    if (!scope.all) q = q.where('user_id', '=', scope.userId);
    return Number((await q.executeTakeFirst())?.n ?? 0);
  }

  async findById(id: string): Promise<OwnedTask | undefined> {
    return this.owned().where('tasks.id', '=', id).executeTakeFirst();
  }

  private owned() {
    return this.db.selectFrom('tasks').innerJoin('users', 'users.id', 'tasks.user_id').selectAll('tasks').select('users.username as owner');
  }

  /** Tasks named `name` that the scope can see (older clients address tasks by name). */
  async findByName(name: string, scope: OwnerScope, limit = 2): Promise<OwnedTask[]> {
    let q = this.owned().where('tasks.name', '=', name);
    if (!scope.all) q = q.where('tasks.user_id', '=', scope.userId);
    return q.limit(limit).execute();
  }

  async insert(task: TaskRow, endpoints: TaskEndpointRow[]): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx.insertInto('tasks').values(task).execute();
      await insertEndpoints(trx, endpoints);
    });
  }

  /** Updates the task's columns and, when given, replaces one role's endpoints wholesale. */
  async update(id: string, patch: Partial<TaskRow>, replace: { sources?: TaskEndpointRow[]; destinations?: TaskEndpointRow[] }): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx.updateTable('tasks').set(patch).where('id', '=', id).execute();
      for (const [role, rows] of [['source', replace.sources], ['destination', replace.destinations]] as const) {
        if (rows === undefined) continue;
        await trx.deleteFrom('task_endpoints').where('task_id', '=', id).where('role', '=', role).execute();
        await insertEndpoints(trx, rows);
      }
    });
  }

  async touch(id: string, updatedAt: string, updatedBy: string): Promise<void> {
    await this.db.updateTable('tasks').set({ updated_at: updatedAt, updated_by: updatedBy }).where('id', '=', id).execute();
  }

  async delete(id: string): Promise<void> {
    await this.db.deleteFrom('tasks').where('id', '=', id).execute();
  }

  async endpointsFor(taskIds: string[]): Promise<TaskEndpointRow[]> {
    if (taskIds.length === 0) return [];
    return this.db.selectFrom('task_endpoints').selectAll().where('task_id', 'in', taskIds).orderBy('task_id').orderBy('role').orderBy('position').execute();
  }

  async findEndpoint(taskId: string, role: 'source' | 'destination', id: string): Promise<TaskEndpointRow | undefined> {
    return this.db.selectFrom('task_endpoints').selectAll().where('task_id', '=', taskId).where('role', '=', role).where('id', '=', id).executeTakeFirst();
  }

  async nextPosition(taskId: string, role: 'source' | 'destination'): Promise<number> {
    const r = await this.db.selectFrom('task_endpoints').select((eb) => eb.fn.max('position').as('p')).where('task_id', '=', taskId).where('role', '=', role).executeTakeFirst();
    return r?.p === null || r?.p === undefined ? 0 : Number(r.p) + 1;
  }

  async insertEndpoint(row: TaskEndpointRow): Promise<void> {
    await insertEndpoints(this.db, [row]);
  }

  async updateEndpoint(id: string, patch: Partial<TaskEndpointRow>): Promise<void> {
    await this.db.updateTable('task_endpoints').set(patch).where('id', '=', id).execute();
  }

  async deleteEndpoint(id: string): Promise<void> {
    await this.db.deleteFrom('task_endpoints').where('id', '=', id).execute();
  }

  /** Counts tasks whose endpoints use a storage or pool (to refuse deleting it). */
  async countUsing(column: 'storage_id' | 'pool_id', id: string): Promise<number> {
    const r = await this.db.selectFrom('task_endpoints').select((eb) => eb.fn.countAll<number>().as('n')).where(column, '=', id).executeTakeFirstOrThrow();
    return Number(r.n);
  }
}

async function insertEndpoints(db: Kysely<Database> | Transaction<Database>, rows: TaskEndpointRow[]): Promise<void> {
  // Every column given in every row (SQLite would put NULL where PostgreSQL uses DEFAULT).
  if (rows.length > 0) await db.insertInto('task_endpoints').values(rows).execute();
}
