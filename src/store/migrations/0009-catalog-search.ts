/**
 * Searching and charting the catalog (issue #13): each row gets its file `name` and `extension`
 * (domain/catalog.ts `fileNameParts`), columns rather than expressions so that both dialects filter
 * and group on them the same way (SQLite has no regular expressions). Rows written before are filled
 * here, a page at a time. Index `catalog_entries_latest` serves "the latest row of each storage and
 * path" (the default view of `GET /files`) and storage filters; `catalog_entries_task` the task filter.
 */
import type { Kysely } from 'kysely';
import { fileNameParts } from '../../domain/catalog.js';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('catalog_entries').addColumn('name', 'text').execute();
  await db.schema.alterTable('catalog_entries').addColumn('extension', 'varchar(32)').execute();
  for (;;) {
    const rows = (await db.selectFrom('catalog_entries').select(['execution_id', 'storage_id', 'path']).where('name', 'is', null).limit(500).execute()) as Array<{ execution_id: string; storage_id: string; path: string }>;
    if (rows.length === 0) break;
    for (const r of rows) {
      const { name, extension } = fileNameParts(r.path);
      await db.updateTable('catalog_entries').set({ name, extension })
        .where('execution_id', '=', r.execution_id).where('storage_id', '=', r.storage_id).where('path', '=', r.path).execute();
    }
  }
  await db.schema.createIndex('catalog_entries_latest').on('catalog_entries').columns(['storage_id', 'path', 'recorded_at']).execute();
  await db.schema.createIndex('catalog_entries_task').on('catalog_entries').columns(['task_id']).execute();
}
