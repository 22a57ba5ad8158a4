/**
 * The per-execution file ledger: one row per file the movers finished or failed. It is what makes a
 * redo after a crash or a pause skip finished files, what a move records before deleting a source,
 * and what `GET /task_executions/{id}/files` pages through.
 */
import type { Kysely } from 'kysely';
import type { Database, FileLedgerRow, CatalogEntryRow } from './schema.js';
import type { Dialect } from './db.js';
import type { ListQuery } from '../domain/list-query.js';
import { applyFilters, applySort, type ColumnSpec } from './list-sql.js';

export const LEDGER_COLUMNS: ColumnSpec = {
  filters: { status: 'status', src_path: 'src_path', dst_path: 'dst_path', error_class: 'error_class', size: 'size', updated_at: 'updated_at' },
  sorts: { src_path: 'src_path', dst_path: 'dst_path', size: 'size', status: 'status', updated_at: 'updated_at' },
  nonText: ['size'],
};

export class LedgerRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: Dialect,
  ) {}

  /** Inserts or replaces rows (one statement per chunk, in one transaction). */
  async record(rows: FileLedgerRow[]): Promise<void> {
    if (rows.length === 0) return;
    await this.db.transaction().execute(async (trx) => {
      for (let i = 0; i < rows.length; i += 200) {
        await trx.insertInto('file_ledger').values(rows.slice(i, i + 200))
          .onConflict((oc) => oc.columns(['execution_id', 'item_key']).doUpdateSet((eb) => ({
            src_path: eb.ref('excluded.src_path'), dst_path: eb.ref('excluded.dst_path'), size: eb.ref('excluded.size'),
            checksum: eb.ref('excluded.checksum'), status: eb.ref('excluded.status'), error_class: eb.ref('excluded.error_class'),
            error: eb.ref('excluded.error'), attempts: eb.ref('excluded.attempts'), updated_at: eb.ref('excluded.updated_at'),
          })))
          .execute();
      }
    });
  }

  /** Ledger rows for some items of an execution (to skip finished work on a re-claim). */
  async forKeys(executionId: string, keys: string[]): Promise<Map<string, FileLedgerRow>> {
    const out = new Map<string, FileLedgerRow>();
    for (let i = 0; i < keys.length; i += 500) {
      const rows = await this.db.selectFrom('file_ledger').selectAll().where('execution_id', '=', executionId).where('item_key', 'in', keys.slice(i, i + 500)).execute();
      for (const r of rows) out.set(r.item_key, r);
    }
    return out;
  }

  async list(executionId: string, query: ListQuery): Promise<{ count: number; rows: FileLedgerRow[] }> {
    const base = applyFilters(this.db.selectFrom('file_ledger').where('execution_id', '=', executionId), query.filters, LEDGER_COLUMNS, this.dialect);
    const c = await base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    const rows = await applySort(base.selectAll(), query.sort, LEDGER_COLUMNS, [['item_key', 'asc']], this.dialect).limit(query.limit).offset(query.offset).execute();
    return { count: Number(c.n), rows };
  }

  /** Without `full_report`, only failures are kept once an execution ends. */
  async pruneSuccesses(executionId: string): Promise<void> {
    await this.db.deleteFrom('file_ledger').where('execution_id', '=', executionId).where('status', '<>', 'failed').execute();
  }

  async recordCatalog(rows: CatalogEntryRow[]): Promise<void> {
    if (rows.length === 0) return;
    await this.db.transaction().execute(async (trx) => {
      for (let i = 0; i < rows.length; i += 200) await trx.insertInto('catalog_entries').values(rows.slice(i, i + 200)).execute();
    });
  }
}
