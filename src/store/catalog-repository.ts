/**
 * Reading the scan catalog (`catalog_entries`, written by scan and backup executions): the search of
 * `GET /files` and the aggregates of `GET /statistics/by_*`. Every query starts from the same scope —
 * the storages a non-admin may read (the rule of `readableBy`), and by default only the latest row of
 * each storage and path — then applies the list filters, so a search and a chart over the same
 * filters always count the same files.
 */
import { sql, type Expression, type ExpressionBuilder, type Kysely, type RawBuilder, type SelectQueryBuilder, type SqlBool } from 'kysely';
import type { FilterTerm, ListQuery } from '../domain/list-query.js';
import type { CatalogEntryTable, Database } from './schema.js';
import type { Dialect } from './db.js';
import { applyFilters, applySort, columnCondition, type ColumnSpec } from './list-sql.js';
import { readableBy } from './privilege-repository.js';

/** Which rows a reader sees. */
export interface CatalogScope {
  /** A non-admin: only rows of shares and buckets this user may read. Undefined for admins. */
  readerId?: string;
  /**
   * Only the latest row of each storage and path (by `recorded_at`), among the rows of the
   * `task_id`/`execution_id` filters when given: what the storage held at its last scan, not every
   * scan's copy of it. The other filters apply to those latest rows.
   */
  latest: boolean;
}

/** `modification_date` filters compare instants with the recorded `mtime_ms`. */
function mtimeCondition(eb: ExpressionBuilder<any, any>, term: FilterTerm, dialect: Dialect): Expression<SqlBool> {
  return columnCondition(eb, 'c.mtime_ms', { ...term, values: term.values.map((v) => Date.parse(String(v))) }, dialect, true);
}

/** Filterable and sortable attributes of `GET /files` (the API's names → columns). */
export const CATALOG_COLUMNS: ColumnSpec = {
  filters: {
    path: 'c.path', name: 'c.name', extension: 'c.extension', size: 'c.size', modification_date: mtimeCondition,
    recorded_at: 'c.recorded_at', storage_id: 'c.storage_id', task_id: 'c.task_id', execution_id: 'c.execution_id',
    uid: 'c.uid', gid: 'c.gid', checksum: 'c.checksum',
  },
  sorts: {
    path: 'c.path', name: 'c.name', extension: 'c.extension', size: 'c.size', modification_date: 'c.mtime_ms',
    recorded_at: 'c.recorded_at', storage_id: 'c.storage_id', uid: 'c.uid', gid: 'c.gid',
  },
  nonText: ['c.size', 'c.mtime_ms', 'c.uid', 'c.gid'],
};

/** The filters that choose which executions' rows compete for "latest" (applied to the newer row too). */
const SCOPE_ATTRIBUTES = new Set(['task_id', 'execution_id']);
const NEWER_COLUMNS: ColumnSpec = { filters: { task_id: 'n.task_id', execution_id: 'n.execution_id' }, sorts: {} };

/** A dimension of an aggregate: a column's values, or the index of the bucket a value falls in. */
export type Dimension =
  | { column: 'extension' | 'uid' | 'gid' | 'storage_id' }
  | { buckets: 'size'; bounds: readonly number[] }
  /** Age = `now - mtime`, in ms. */
  | { buckets: 'age'; now: number; bounds: readonly number[] };

/** One group of an aggregate: its key per dimension (a bucket index for bucket dimensions), files and bytes. */
export interface AggregateRow {
  keys: Array<string | number | null>;
  files: number;
  bytes: number;
}

/** Options of an aggregate over one column dimension: the `limit` largest groups, or only some values. */
export interface AggregateOptions {
  top?: { by: 'files' | 'bytes'; limit: number };
  only?: Array<string | number | null>;
}

/** SQL: the storage is a share or a bucket `userId` may read. */
function readableStorage(eb: ExpressionBuilder<any, any>, userId: string): Expression<SqlBool> {
  return eb.or([
    eb('c.storage_id', 'in', eb.selectFrom('nas_shares').select('nas_shares.id').where((i) => readableBy(i, 'nas_shares', userId))),
    eb('c.storage_id', 'in', eb.selectFrom('cloud_buckets').select('cloud_buckets.id').where((i) => readableBy(i, 'cloud_buckets', userId))),
  ]);
}

/** Column dimensions holding text (the others are numbers). */
const TEXT_COLUMNS: ReadonlySet<string> = new Set(['extension', 'storage_id']);

function dimensionSql(d: Dimension): RawBuilder<unknown> {
  if ('column' in d) return sql.ref(`c.${d.column}`);
  const value = d.buckets === 'size' ? sql`c.size` : sql`(${sql.lit(d.now)} - c.mtime_ms)`;
  // Literals, not parameters: the same text in SELECT and GROUP BY (PostgreSQL matches them), and
  // these are our own numbers, never user input.
  const whens = d.bounds.map((b, i) => sql`WHEN ${value} < ${sql.lit(b)} THEN ${sql.lit(i)}`);
  return sql`CASE ${sql.join(whens, sql` `)} ELSE ${sql.lit(d.bounds.length)} END`;
}

export class CatalogRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: Dialect,
  ) {}

  /** The rows in scope that pass the filters. */
  private scoped(filters: FilterTerm[], scope: CatalogScope): SelectQueryBuilder<any, any, {}> {
    let q = this.db.selectFrom('catalog_entries as c') as unknown as SelectQueryBuilder<any, any, {}>;
    if (scope.readerId !== undefined) {
      const reader = scope.readerId;
      q = q.where((eb) => readableStorage(eb, reader));
    }
    if (scope.latest) {
      const scopeTerms = filters.filter((t) => SCOPE_ATTRIBUTES.has(t.attribute));
      q = q.where((eb) => {
        let newer = eb.selectFrom('catalog_entries as n').select('n.path')
          .whereRef('n.storage_id', '=', 'c.storage_id').whereRef('n.path', '=', 'c.path')
          .where((w) => w.or([
            w('n.recorded_at', '>', w.ref('c.recorded_at')),
            w.and([w('n.recorded_at', '=', w.ref('c.recorded_at')), w('n.execution_id', '>', w.ref('c.execution_id'))]),
          ]));
        newer = applyFilters(newer, scopeTerms, NEWER_COLUMNS, this.dialect);
        return eb.not(eb.exists(newer));
      });
    }
    return applyFilters(q, filters, CATALOG_COLUMNS, this.dialect);
  }

  /** One page of rows and the count before paging. */
  async search(query: ListQuery, scope: CatalogScope): Promise<{ count: number; rows: CatalogEntryTable[] }> {
    const base = this.scoped(query.filters, scope);
    const c = await base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    const rows = await applySort(base.selectAll('c'), query.sort, CATALOG_COLUMNS, [['c.path', 'asc'], ['c.storage_id', 'asc'], ['c.execution_id', 'asc']], this.dialect)
      .limit(query.limit).offset(query.offset).execute();
    return { count: Number((c as { n: unknown }).n), rows: rows as CatalogEntryTable[] };
  }

  /** Files and bytes in scope. */
  async totals(filters: FilterTerm[], scope: CatalogScope): Promise<{ files: number; bytes: number }> {
    const [row] = await this.aggregate(filters, scope, []);
    return { files: row?.files ?? 0, bytes: row?.bytes ?? 0 };
  }

  /**
   * Files and bytes grouped by the dimensions (none: one row of totals). With `top`, the first
   * dimension's `limit` largest groups (ties by value); with `only`, the first dimension's given values.
   */
  async aggregate(filters: FilterTerm[], scope: CatalogScope, dims: Dimension[], opts: AggregateOptions = {}): Promise<AggregateRow[]> {
    let q = this.scoped(filters, scope);
    const exprs = dims.map(dimensionSql);
    const first = dims[0];
    if (opts.only !== undefined && first !== undefined && 'column' in first) {
      const ref = `c.${first.column}`;
      const values = opts.only.filter((v): v is string | number => v !== null);
      const withNull = opts.only.includes(null);
      if (values.length === 0 && !withNull) return [];
      q = q.where((eb) => eb.or([...(values.length > 0 ? [eb(ref, 'in', values)] : []), ...(withNull ? [eb(ref, 'is', null)] : [])]));
    }
    let s = q.select((eb) => [
      ...exprs.map((e, i) => e.as(`k${i}`)),
      eb.fn.countAll<number>().as('files'),
      sql<number>`COALESCE(SUM(c.size), 0)`.as('bytes'),
    ]);
    for (const e of exprs) s = s.groupBy(e);
    if (opts.top) {
      s = s.orderBy(opts.top.by === 'files' ? sql`COUNT(*)` : sql`COALESCE(SUM(c.size), 0)`, 'desc');
      const key = exprs[0];
      const text = first !== undefined && 'column' in first && TEXT_COLUMNS.has(first.column);
      // Ties by value, the group without one (null) last on both dialects.
      if (key) s = s.orderBy(sql`CASE WHEN ${key} IS NULL THEN 1 ELSE 0 END`, 'asc').orderBy(this.dialect === 'postgres' && text ? sql`${key} COLLATE "C"` : key, 'asc');
      s = s.limit(opts.top.limit);
    }
    const rows = (await s.execute()) as Array<Record<string, unknown>>;
    return rows.map((r) => ({
      keys: dims.map((d, i) => {
        const v = r[`k${i}`];
        if (v === null || v === undefined) return null;
        return 'column' in d && TEXT_COLUMNS.has(d.column) ? String(v) : Number(v);
      }),
      files: Number(r.files),
      bytes: Number(r.bytes),
    }));
  }
}
