/**
 * Aggregates of `GET /statistics/task_by_*` (over executions and their tasks) and `GET
 * /statistics/storage` (over the storage registry). Scoped like the lists they summarize: a
 * non-admin counts their own executions (as `GET /task_executions` lists them) and the storages they
 * may read (as `GET /nas_shares` lists them, `readableBy`).
 */
import { sql, type Kysely, type SelectQueryBuilder } from 'kysely';
import type { FilterTerm } from '../domain/list-query.js';
import type { Database } from './schema.js';
import type { Dialect } from './db.js';
import { applyFilters, type ColumnSpec } from './list-sql.js';
import { readableBy } from './privilege-repository.js';

/** Filterable attributes of the task statistics (the API's names → columns). */
export const EXECUTION_STAT_COLUMNS: ColumnSpec = {
  filters: {
    task_id: 'e.task_id', status: 'e.state', workflow_type: 't.workflow_type', workflow_action: 't.workflow_action',
    created_at: 'e.created_at', started_at: 'e.started_at', finished_at: 'e.finished_at',
  },
  sorts: {},
};

/** What the executions of one group add up to (Nodeum's `task_facet`). */
export interface ExecutionSums {
  keys: Array<string | null>;
  executions: number;
  tasks: number;
  sizeTodo: number;
  sizeDone: number;
  nodesTodo: number;
  nodesDone: number;
  /** Files done by executions that have ended. */
  finalized: number;
  /** Sum and count of the non-zero bandwidths (an average over executions that moved something). */
  bandwidthSum: number;
  bandwidthCount: number;
}

export type ExecutionDimension = 'status' | 'workflow_type' | 'workflow_action';
const DIMENSION_COLUMN: Record<ExecutionDimension, string> = { status: 'e.state', workflow_type: 't.workflow_type', workflow_action: 't.workflow_action' };

/** Storages of one kind grouped by two of their attributes (e.g. a share's NAS type and pool type). */
export interface StorageGroup {
  a: string | null;
  b: string | null;
  count: number;
}

export class StatisticsRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: Dialect,
  ) {}

  /** Executions grouped by the dimensions (none: one row of totals); `ownerId` keeps a user's own. */
  async executions(filters: FilterTerm[], ownerId: string | undefined, dims: ExecutionDimension[]): Promise<ExecutionSums[]> {
    let q = this.db.selectFrom('task_executions as e').innerJoin('tasks as t', 't.id', 'e.task_id') as unknown as SelectQueryBuilder<any, any, {}>;
    if (ownerId !== undefined) q = q.where('e.user_id', '=', ownerId);
    q = applyFilters(q, filters, EXECUTION_STAT_COLUMNS, this.dialect);
    const cols = dims.map((d) => DIMENSION_COLUMN[d]);
    let s = q.select([
      ...cols.map((c, i) => sql.ref(c).as(`k${i}`)),
      sql<number>`COUNT(*)`.as('executions'),
      sql<number>`COUNT(DISTINCT e.task_id)`.as('tasks'),
      sql<number>`COALESCE(SUM(e.size_todo), 0)`.as('size_todo'),
      sql<number>`COALESCE(SUM(e.size_done), 0)`.as('size_done'),
      sql<number>`COALESCE(SUM(e.nodes_todo), 0)`.as('nodes_todo'),
      sql<number>`COALESCE(SUM(e.nodes_done), 0)`.as('nodes_done'),
      sql<number>`COALESCE(SUM(CASE WHEN e.finished_at IS NOT NULL THEN e.nodes_done ELSE 0 END), 0)`.as('finalized'),
      sql<number>`COALESCE(SUM(CASE WHEN e.bandwidth > 0 THEN e.bandwidth ELSE 0 END), 0)`.as('bandwidth_sum'),
      sql<number>`COALESCE(SUM(CASE WHEN e.bandwidth > 0 THEN 1 ELSE 0 END), 0)`.as('bandwidth_count'),
    ]);
    for (const c of cols) s = s.groupBy(c);
    for (const c of cols) s = s.orderBy(this.dialect === 'postgres' ? sql`${sql.ref(c)} COLLATE "C"` : sql.ref(c), 'asc');
    const rows = (await s.execute()) as Array<Record<string, unknown>>;
    // An empty table still gives one row of totals without dimensions (zeros), none with.
    return rows.map((r) => ({
      keys: cols.map((_, i) => (r[`k${i}`] === null || r[`k${i}`] === undefined ? null : String(r[`k${i}`]))),
      executions: Number(r.executions), tasks: Number(r.tasks), sizeTodo: Number(r.size_todo), sizeDone: Number(r.size_done),
      nodesTodo: Number(r.nodes_todo), nodesDone: Number(r.nodes_done), finalized: Number(r.finalized),
      bandwidthSum: Number(r.bandwidth_sum), bandwidthCount: Number(r.bandwidth_count),
    }));
  }

  /** NAS shares by their NAS's type (`a`) and their pool's type (`b`). */
  async shares(readerId: string | undefined): Promise<StorageGroup[]> {
    let q = this.db.selectFrom('nas_shares').innerJoin('nas', 'nas.id', 'nas_shares.nas_id').leftJoin('pools', 'pools.id', 'nas_shares.pool_id') as unknown as SelectQueryBuilder<any, any, {}>;
    if (readerId !== undefined) q = q.where((eb) => readableBy(eb, 'nas_shares', readerId));
    return this.grouped(q, 'nas.type', 'pools.type');
  }

  /** Cloud buckets by their connector's provider (`a`) and their pool's type (`b`). */
  async buckets(readerId: string | undefined): Promise<StorageGroup[]> {
    let q = this.db.selectFrom('cloud_buckets').innerJoin('cloud_connectors', 'cloud_connectors.id', 'cloud_buckets.cloud_connector_id')
      .leftJoin('pools', 'pools.id', 'cloud_buckets.pool_id') as unknown as SelectQueryBuilder<any, any, {}>;
    if (readerId !== undefined) q = q.where((eb) => readableBy(eb, 'cloud_buckets', readerId));
    return this.grouped(q, 'cloud_connectors.provider', 'pools.type');
  }

  /** Pools by type (`a`) and content (`b`). */
  async pools(readerId: string | undefined): Promise<StorageGroup[]> {
    let q = this.db.selectFrom('pools') as unknown as SelectQueryBuilder<any, any, {}>;
    if (readerId !== undefined) q = q.where((eb) => readableBy(eb, 'pools', readerId));
    return this.grouped(q, 'pools.type', 'pools.content');
  }

  /** Names and kinds of storages by id (for the per-storage buckets of the storage facet). */
  async storageNames(ids: string[]): Promise<Map<string, { name: string; type: 'nas' | 'cloud' }>> {
    const out = new Map<string, { name: string; type: 'nas' | 'cloud' }>();
    if (ids.length === 0) return out;
    for (const r of await this.db.selectFrom('nas_shares').select(['id', 'name']).where('id', 'in', ids).execute()) out.set(r.id, { name: r.name, type: 'nas' });
    for (const r of await this.db.selectFrom('cloud_buckets').select(['id', 'name']).where('id', 'in', ids).execute()) out.set(r.id, { name: r.name, type: 'cloud' });
    return out;
  }

  private async grouped(q: SelectQueryBuilder<any, any, {}>, a: string, b: string): Promise<StorageGroup[]> {
    const rows = (await q.select([sql.ref(a).as('a'), sql.ref(b).as('b'), sql<number>`COUNT(*)`.as('n')]).groupBy([a, b]).execute()) as Array<Record<string, unknown>>;
    return rows.map((r) => ({ a: r.a === null ? null : String(r.a), b: r.b === null ? null : String(r.b), count: Number(r.n) }));
  }
}
