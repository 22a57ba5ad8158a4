/**
 * The storage registry (NAS, shares, cloud connectors, buckets, pools): five tables with the same
 * life cycle, served by one generic repository so that listing, filters and uniqueness behave
 * identically for each of them.
 */
import type { Expression, ExpressionBuilder, Kysely, SqlBool } from 'kysely';
import { holdsReadable, readableBy } from './privilege-repository.js';
import type { ListQuery } from '../domain/list-query.js';
import type { Database } from './schema.js';
import type { Dialect } from './db.js';
import { applyFilters, applySort, isUniqueViolation, type ColumnSpec } from './list-sql.js';
import { UniqueTaken } from '../domain/conflicts.js';
import { REGISTRY_ATTRIBUTES, type RegistryTable } from '../domain/registry.js';

export type { RegistryTable };

function spec(columns: string[]): ColumnSpec {
  const map = Object.fromEntries(columns.map((c) => [c, c]));
  return { filters: map, sorts: map };
}

/** Filterable/sortable attributes per table (never the secret). */
export const REGISTRY_COLUMNS = Object.fromEntries(
  Object.entries(REGISTRY_ATTRIBUTES).map(([t, cols]) => [t, spec([...cols])]),
) as Record<RegistryTable, ColumnSpec>;

export class RegistryRepository<Row extends { id: string }> {
  private readonly columns: ColumnSpec;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: Dialect,
    private readonly table: RegistryTable,
  ) {
    this.columns = REGISTRY_COLUMNS[table];
  }

  private get q(): Kysely<any> {
    return this.db as unknown as Kysely<any>;
  }

  /**
   * Lists rows, optionally under a parent (`{nas_id: …}`). With `readerId`, only the rows that user
   * may read: storages by their privileges, NAS and connectors that hold one such storage.
   */
  async list(query: ListQuery, parent?: Record<string, string>, readerId?: string): Promise<{ count: number; rows: Row[] }> {
    let base = this.q.selectFrom(this.table);
    for (const [k, v] of Object.entries(parent ?? {})) base = base.where(k, '=', v);
    if (readerId !== undefined) base = base.where((eb: ExpressionBuilder<any, any>) => this.readable(eb, readerId));
    base = applyFilters(base, query.filters, this.columns, this.dialect);
    const c = await base.select((eb: any) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow() as { n: number };
    const rows = await applySort(base.selectAll(), query.sort, this.columns, [['name', 'asc'], ['id', 'asc']], this.dialect).limit(query.limit).offset(query.offset).execute();
    return { count: Number(c.n), rows: rows as Row[] };
  }

  /** Whether `readerId` may read the row in scope (see privilege-repository.ts). */
  private readable(eb: ExpressionBuilder<any, any>, readerId: string): Expression<SqlBool> {
    const t = this.table;
    return t === 'nas' || t === 'cloud_connectors' ? holdsReadable(eb, t, readerId) : readableBy(eb, t, readerId);
  }

  /** Whether `readerId` may read the row `id` (see list). */
  async isReadable(id: string, readerId: string): Promise<boolean> {
    const row = await this.q.selectFrom(this.table).select('id').where('id', '=', id)
      .where((eb: ExpressionBuilder<any, any>) => this.readable(eb, readerId)).executeTakeFirst();
    return row !== undefined;
  }

  async all(parent?: Record<string, string>): Promise<Row[]> {
    let q = this.q.selectFrom(this.table).selectAll();
    for (const [k, v] of Object.entries(parent ?? {})) q = q.where(k, '=', v);
    return (await q.orderBy('name').execute()) as Row[];
  }

  async findById(id: string): Promise<Row | undefined> {
    return (await this.q.selectFrom(this.table).selectAll().where('id', '=', id).executeTakeFirst()) as Row | undefined;
  }

  async findByName(name: string, parent?: Record<string, string>): Promise<Row | undefined> {
    let q = this.q.selectFrom(this.table).selectAll().where('name', '=', name);
    for (const [k, v] of Object.entries(parent ?? {})) q = q.where(k, '=', v);
    return (await q.executeTakeFirst()) as Row | undefined;
  }

  /** Which of `ids` exist (one query, for validating many task endpoints at once). */
  async existing(ids: string[]): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const rows = await this.q.selectFrom(this.table).select('id').where('id', 'in', ids).execute();
    return new Set(rows.map((r: { id: string }) => r.id));
  }

  async insert(row: Row): Promise<void> {
    try {
      await this.q.insertInto(this.table).values(row).execute();
    } catch (err) {
      if (isUniqueViolation(err)) throw new UniqueTaken('name');
      throw err;
    }
  }

  async update(id: string, patch: Partial<Row>): Promise<void> {
    try {
      await this.q.updateTable(this.table).set(patch).where('id', '=', id).execute();
    } catch (err) {
      if (isUniqueViolation(err)) throw new UniqueTaken('name');
      throw err;
    }
  }

  async delete(id: string): Promise<void> {
    await this.q.deleteFrom(this.table).where('id', '=', id).execute();
  }

  async countWhere(column: string, value: string): Promise<number> {
    const r = await this.q.selectFrom(this.table).select((eb: any) => eb.fn.countAll().as('n')).where(column, '=', value).executeTakeFirstOrThrow() as { n: number };
    return Number(r.n);
  }
}
