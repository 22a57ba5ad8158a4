/**
 * Backups keep, for every file of a snapshot, where its bytes are (the snapshot that holds them: an
 * incremental backup points unchanged files at an earlier snapshot), and the catalog is read per
 * directory when the next incremental compares against it.
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('catalog_entries').addColumn('parent', 'text').execute();
  await db.schema.alterTable('catalog_entries').addColumn('stored_storage_id', 'varchar(64)').execute();
  await db.schema.alterTable('catalog_entries').addColumn('stored_path', 'text').execute();
  await db.schema.createIndex('catalog_entries_parent').on('catalog_entries').columns(['execution_id', 'storage_id', 'parent']).execute();
  // A batch redone after a crash records its files again: one row per file and execution.
  await db.schema.createIndex('catalog_entries_unique').on('catalog_entries').columns(['execution_id', 'storage_id', 'path']).unique().execute();
}
