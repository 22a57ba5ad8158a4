/**
 * The engine's durable state: the work queue (batches of planned file operations, claimed with a
 * lease), the per-execution file ledger, the scan catalog, and the dispatcher's walk checkpoint.
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('task_executions').addColumn('walk_cursor', 'text').execute();
  await db.schema.alterTable('task_executions').addColumn('log', 'text', (c) => c.notNull().defaultTo('[]')).execute();
  await db.schema.alterTable('task_executions').addColumn('batches_planned', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  await db.schema.createTable('work_batches')
    .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('execution_id', 'varchar(64)', (c) => c.notNull().references('task_executions.id').onDelete('cascade'))
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('state', 'varchar(16)', (c) => c.notNull())
    .addColumn('items', 'text', (c) => c.notNull())
    .addColumn('files', 'integer', (c) => c.notNull())
    .addColumn('bytes', 'bigint', (c) => c.notNull())
    .addColumn('done_files', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('done_bytes', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('failed_files', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('lease_owner', 'varchar(255)')
    .addColumn('lease_until', 'varchar(32)')
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('available_at', 'varchar(32)', (c) => c.notNull())
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('work_batches_claim').on('work_batches').columns(['state', 'available_at']).execute();
  await db.schema.createIndex('work_batches_execution').on('work_batches').columns(['execution_id', 'state']).execute();
  await db.schema.createIndex('work_batches_execution_seq').on('work_batches').columns(['execution_id', 'seq']).unique().execute();
  await db.schema.createTable('file_ledger')
    .addColumn('execution_id', 'varchar(64)', (c) => c.notNull().references('task_executions.id').onDelete('cascade'))
    .addColumn('item_key', 'text', (c) => c.notNull())
    .addColumn('src_path', 'text')
    .addColumn('dst_path', 'text')
    .addColumn('size', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('checksum', 'varchar(128)')
    .addColumn('status', 'varchar(16)', (c) => c.notNull())
    .addColumn('error_class', 'varchar(32)')
    .addColumn('error', 'text')
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
    .addPrimaryKeyConstraint('file_ledger_pk', ['execution_id', 'item_key'])
    .execute();
  await db.schema.createIndex('file_ledger_status').on('file_ledger').columns(['execution_id', 'status']).execute();
  await db.schema.createTable('catalog_entries')
    .addColumn('execution_id', 'varchar(64)', (c) => c.notNull().references('task_executions.id').onDelete('cascade'))
    .addColumn('task_id', 'varchar(64)', (c) => c.notNull())
    .addColumn('storage_id', 'varchar(64)', (c) => c.notNull())
    .addColumn('path', 'text', (c) => c.notNull())
    .addColumn('kind', 'varchar(8)', (c) => c.notNull())
    .addColumn('size', 'bigint', (c) => c.notNull())
    .addColumn('mtime_ms', 'double precision', (c) => c.notNull())
    .addColumn('mode', 'integer')
    .addColumn('uid', 'integer')
    .addColumn('gid', 'integer')
    .addColumn('checksum', 'varchar(128)')
    .addColumn('algorithm', 'varchar(16)')
    .addColumn('recorded_at', 'varchar(32)', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('catalog_entries_execution').on('catalog_entries').columns(['execution_id']).execute();
}
