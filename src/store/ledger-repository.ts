/**
 * The per-execution file ledger: one row per file the movers finished or failed. It is what makes a
 * redo after a crash or a pause skip finished files, what a move records before deleting a source,
 * and what `GET /task_executions/{id}/files` pages through.
 */
import type { Kysely } from 'kysely';
import type SQLite from 'better-sqlite3';
import type { Database, FileLedgerRow, CatalogEntryRow } from './schema.js';
import type { Dialect } from './db.js';
import type { ListQuery } from '../domain/list-query.js';
import { applyFilters, applySort, type ColumnSpec } from './list-sql.js';
import { fileNameParts } from '../domain/catalog.js';

export const LEDGER_COLUMNS: ColumnSpec = {
  filters: { status: 'status', src_path: 'src_path', dst_path: 'dst_path', error_class: 'error_class', size: 'size', updated_at: 'updated_at', operation: 'operation' },
  sorts: { src_path: 'src_path', dst_path: 'dst_path', size: 'size', status: 'status', updated_at: 'updated_at', operation: 'operation' },
  nonText: ['size'],
};

const UPSERT_SQLITE = `INSERT INTO file_ledger (execution_id, item_key, src_path, dst_path, size, checksum, status, error_class, error, attempts, updated_at)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
  ON CONFLICT (execution_id, item_key) DO UPDATE SET src_path = excluded.src_path, dst_path = excluded.dst_path, size = excluded.size,
    checksum = excluded.checksum, status = excluded.status, error_class = excluded.error_class, error = excluded.error,
    attempts = excluded.attempts, updated_at = excluded.updated_at`;

export class LedgerRepository {
  /** SQLite: one prepared upsert run per row in one transaction (see Store.sqlite). */
  private readonly upsertAll: ((rows: FileLedgerRow[]) => void) | undefined;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: Dialect,
    sqlite?: SQLite.Database,
  ) {
    if (sqlite) {
      const upsert = sqlite.prepare(UPSERT_SQLITE);
      this.upsertAll = sqlite.transaction((rows: FileLedgerRow[]) => {
        for (const r of rows) {
          upsert.run(r.execution_id, r.item_key, r.src_path, r.dst_path, r.size, r.checksum, r.status, r.error_class, r.error, r.attempts, r.updated_at);
        }
      });
    }
  }

  /**
   * Inserts or replaces rows, in one transaction. Why two ways: the ledger takes a row per file, the
   * hottest write of a copy; on SQLite a kept prepared statement costs a third of a Kysely insert.
   */
  async record(rows: FileLedgerRow[]): Promise<void> {
    if (rows.length === 0) return;
    const upsertAll = this.upsertAll;
    if (upsertAll) {
      // Holding Kysely's connection keeps its queries and transactions out while this runs.
      await this.db.connection().execute(async () => upsertAll(rows));
      return;
    }
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

  /**
   * Whether a task's successes must each have a ledger row whatever `full_report` says: its
   * `after_result_received` callbacks read them (engine/callbacks/execution-callbacks.ts). Asked by a
   * mover once per execution it opens (mover/ledger-buffer.ts `isRowless`).
   */
  async resultsWatched(taskId: string): Promise<boolean> {
    const row = await this.db.selectFrom('task_callbacks').select('id').where('task_id', '=', taskId).where('type', '=', 'after_result_received').limit(1).executeTakeFirst();
    return row !== undefined;
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

  /** The latest failures of an execution (live events). */
  async recentFailures(executionId: string, limit: number): Promise<FileLedgerRow[]> {
    return this.db.selectFrom('file_ledger').selectAll().where('execution_id', '=', executionId).where('status', '=', 'failed').orderBy('updated_at', 'desc').limit(limit).execute();
  }

  /** Rows whose key starts with `prefix` (a speedtest's iterations). */
  async withKeyPrefix(executionId: string, prefix: string): Promise<FileLedgerRow[]> {
    return this.db.selectFrom('file_ledger').selectAll().where('execution_id', '=', executionId).where('item_key', 'like', `${prefix}%`).orderBy('item_key').execute();
  }

  /** Without `full_report`, only failures are kept once an execution ends. */
  async pruneSuccesses(executionId: string): Promise<void> {
    await this.db.deleteFrom('file_ledger').where('execution_id', '=', executionId).where('status', '<>', 'failed').execute();
  }

  /**
   * A dry run's planned rows (engine/dispatcher/dry-run-recorder.ts), inserted or replaced. Apart from
   * `record` so that the movers' hot path stays as it is: a dry run has no mover.
   */
  async recordPlan(rows: FileLedgerRow[]): Promise<void> {
    if (rows.length === 0) return;
    await this.db.transaction().execute(async (trx) => {
      for (let i = 0; i < rows.length; i += 200) {
        await trx.insertInto('file_ledger').values(rows.slice(i, i + 200))
          .onConflict((oc) => oc.columns(['execution_id', 'item_key']).doUpdateSet((eb) => ({
            src_path: eb.ref('excluded.src_path'), dst_path: eb.ref('excluded.dst_path'), size: eb.ref('excluded.size'), status: eb.ref('excluded.status'),
            error_class: eb.ref('excluded.error_class'), error: eb.ref('excluded.error'), operation: eb.ref('excluded.operation'), updated_at: eb.ref('excluded.updated_at'),
          })))
          .execute();
      }
    });
  }

  /** A dry run's rows counted per planned operation (its totals). */
  async planGroups(executionId: string): Promise<Array<{ operation: string | null; files: number; bytes: number }>> {
    const rows = await this.db.selectFrom('file_ledger').select((eb) => ['operation', eb.fn.countAll<number>().as('files'), eb.fn.sum<number>('size').as('bytes')])
      .where('execution_id', '=', executionId).groupBy('operation').execute();
    return rows.map((r) => ({ operation: r.operation ?? null, files: Number(r.files), bytes: Number(r.bytes ?? 0) }));
  }

  /** Removes every row of an execution (a dry run resumed after a restart plans again from the start). */
  async clear(executionId: string): Promise<void> {
    await this.db.deleteFrom('file_ledger').where('execution_id', '=', executionId).execute();
  }

  /** One directory of a catalog: name → the recorded entry (incremental backups compare against it). */
  async catalogDir(executionId: string, storageId: string, parent: string): Promise<Map<string, CatalogEntryRow>> {
    const rows = await this.db.selectFrom('catalog_entries').selectAll()
      .where('execution_id', '=', executionId).where('storage_id', '=', storageId).where('parent', '=', parent).execute();
    return new Map(rows.map((r) => [r.path.slice(r.path.lastIndexOf('/') + 1), r]));
  }

  /** The storages holding a backup's bytes. */
  async catalogStorages(executionId: string): Promise<string[]> {
    const rows = await this.db.selectFrom('catalog_entries').select('stored_storage_id').distinct().where('execution_id', '=', executionId).where('stored_storage_id', 'is not', null).execute();
    return rows.map((r) => r.stored_storage_id as string);
  }

  /** Every entry of a catalog, in path order, a page at a time (restore walks it). */
  async *catalogEntries(executionId: string, after = '', pageSize = 1000): AsyncGenerator<CatalogEntryRow> {
    for (;;) {
      const rows = await this.db.selectFrom('catalog_entries').selectAll().where('execution_id', '=', executionId).where('path', '>', after)
        .orderBy('path').limit(pageSize).execute();
      for (const r of rows) yield r;
      if (rows.length < pageSize) return;
      after = (rows.at(-1) as CatalogEntryRow).path;
    }
  }

  async recordCatalog(rows: CatalogEntryRow[]): Promise<void> {
    if (rows.length === 0) return;
    await this.db.transaction().execute(async (trx) => {
      for (let i = 0; i < rows.length; i += 200) {
        await trx.insertInto('catalog_entries').values(rows.slice(i, i + 200).map((r) => ({ ...r, ...fileNameParts(r.path) })))
          .onConflict((oc) => oc.columns(['execution_id', 'storage_id', 'path']).doUpdateSet((eb) => ({
            size: eb.ref('excluded.size'), mtime_ms: eb.ref('excluded.mtime_ms'), checksum: eb.ref('excluded.checksum'),
            stored_storage_id: eb.ref('excluded.stored_storage_id'), stored_path: eb.ref('excluded.stored_path'), recorded_at: eb.ref('excluded.recorded_at'),
          })))
          .execute();
      }
    });
  }
}
