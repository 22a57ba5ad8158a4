/**
 * Tape (issue #12): libraries, their drives, the cartridges (tapes) and the catalog of files on
 * tape. The rows mirror what the libraries report (the changer's own state is authoritative for
 * where a cartridge is, see storage/tape/library.ts); what only Barge knows — a tape's pool, lock,
 * the files it holds — lives here only.
 *
 * Column names avoid SQL keywords (`session_no`, `data_offset`): both dialects then take them
 * unquoted in any hand-written SQL.
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  const at = (t: any) => t.notNull();
  await db.schema.createTable('tape_libraries')
    .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('name', 'varchar(255)', (c) => c.notNull().unique())
    .addColumn('type', 'varchar(16)', (c) => c.notNull())
    .addColumn('path', 'text', (c) => c.notNull())
    .addColumn('comment', 'text')
    .addColumn('slots', 'integer', (c) => c.notNull())
    .addColumn('drives', 'integer', (c) => c.notNull())
    .addColumn('mailslots', 'integer', (c) => c.notNull())
    .addColumn('tape_type', 'varchar(32)', (c) => c.notNull())
    .addColumn('capacity_bytes', 'bigint', (c) => c.notNull())
    .addColumn('load_seconds', 'double precision', (c) => c.notNull())
    .addColumn('seek_mb_per_second', 'double precision', (c) => c.notNull())
    .addColumn('barcode_prefix', 'varchar(8)', (c) => c.notNull())
    .addColumn('status', 'varchar(16)', (c) => c.notNull())
    .addColumn('created_at', 'varchar(32)', at)
    .addColumn('updated_at', 'varchar(32)', at)
    .execute();
  await db.schema.createTable('tape_drives')
    .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('tape_library_id', 'varchar(64)', (c) => c.notNull().references('tape_libraries.id').onDelete('cascade'))
    .addColumn('drive_index', 'integer', (c) => c.notNull())
    .addColumn('name', 'varchar(255)', (c) => c.notNull())
    .addColumn('serial', 'varchar(64)', (c) => c.notNull())
    .addColumn('status', 'varchar(16)', (c) => c.notNull())
    .addColumn('execution_id', 'varchar(64)')
    .addColumn('task_id', 'varchar(64)')
    .addColumn('mount_count', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('bandwidth', 'double precision', (c) => c.notNull().defaultTo(0))
    .addColumn('bytes_written', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('bytes_read', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'varchar(32)', at)
    .addColumn('updated_at', 'varchar(32)', at)
    .addUniqueConstraint('tape_drives_library_index', ['tape_library_id', 'drive_index'])
    .execute();
  await db.schema.createTable('tapes')
    .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('tape_library_id', 'varchar(64)', (c) => c.notNull().references('tape_libraries.id').onDelete('cascade'))
    .addColumn('pool_id', 'varchar(64)', (c) => c.references('pools.id').onDelete('set null'))
    .addColumn('barcode', 'varchar(16)', (c) => c.notNull().unique())
    .addColumn('type', 'varchar(32)', (c) => c.notNull())
    .addColumn('location', 'varchar(16)', (c) => c.notNull())
    .addColumn('location_index', 'integer')
    .addColumn('home_slot', 'integer')
    .addColumn('locked', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('scratch', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('cleaning', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('write_protect', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('mounted', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('ejected', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('mount_count', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('capacity_bytes', 'bigint', (c) => c.notNull())
    .addColumn('used_bytes', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('free_bytes', 'bigint', (c) => c.notNull())
    .addColumn('sessions', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('hash', 'varchar(128)')
    .addColumn('secondary_of', 'varchar(64)', (c) => c.references('tapes.id').onDelete('set null'))
    .addColumn('bytes_written', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('bytes_read', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('date_in', 'varchar(32)', at)
    .addColumn('date_move', 'varchar(32)', at)
    .addColumn('last_size_update', 'varchar(32)')
    .addColumn('created_at', 'varchar(32)', at)
    .addColumn('updated_at', 'varchar(32)', at)
    .execute();
  await db.schema.createIndex('tapes_library').on('tapes').columns(['tape_library_id', 'barcode']).execute();
  await db.schema.createIndex('tapes_pool').on('tapes').columns(['pool_id', 'barcode']).execute();
  await db.schema.createTable('tape_files')
    .addColumn('tape_id', 'varchar(64)', (c) => c.notNull().references('tapes.id').onDelete('cascade'))
    .addColumn('session_no', 'integer', (c) => c.notNull())
    .addColumn('path', 'text', (c) => c.notNull())
    .addColumn('data_offset', 'bigint', (c) => c.notNull())
    .addColumn('header_offset', 'bigint', (c) => c.notNull())
    .addColumn('size', 'bigint', (c) => c.notNull())
    .addColumn('checksum', 'varchar(128)', (c) => c.notNull())
    .addColumn('algorithm', 'varchar(16)', (c) => c.notNull())
    .addColumn('mtime_ms', 'double precision', (c) => c.notNull())
    .addColumn('mode', 'integer')
    .addColumn('execution_id', 'varchar(64)')
    .addColumn('recorded_at', 'varchar(32)', at)
    .addPrimaryKeyConstraint('tape_files_pk', ['tape_id', 'session_no', 'path'])
    .execute();
  await db.schema.createIndex('tape_files_path').on('tape_files').columns(['path']).execute();
  await db.schema.createIndex('tape_files_order').on('tape_files').columns(['tape_id', 'data_offset']).execute();
}
