/**
 * Cache cleaning and rehydration (issue #12). `nas_shares.quota_bytes` (a Barge addition: Nodeum's
 * nas_share model has no quota field) is the size a primary share is allowed to hold; `cache_cleaning`
 * evicts archived files until the share is below `rehydration_usage_threshold` % of it.
 * `evicted_files` remembers, for each file whose local copy `cache_cleaning` deleted, which tape
 * copy it relied on (the `tape_files` row: cartridge, session, member path) and what the file was
 * (size, mtime, mode, checksum) — what `rehydratation` needs to bring it back, and what `/files`
 * shows as evicted. One row per (share, path): a file is evicted at most once at a time.
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('nas_shares').addColumn('quota_bytes', 'bigint').execute();
  await db.schema.createTable('evicted_files')
    .addColumn('storage_id', 'varchar(64)', (c) => c.notNull().references('nas_shares.id').onDelete('cascade'))
    .addColumn('path', 'text', (c) => c.notNull())
    .addColumn('tape_id', 'varchar(64)', (c) => c.notNull().references('tapes.id').onDelete('cascade'))
    .addColumn('session_no', 'integer', (c) => c.notNull())
    .addColumn('member', 'text', (c) => c.notNull())
    .addColumn('size', 'bigint', (c) => c.notNull())
    .addColumn('mtime_ms', 'double precision', (c) => c.notNull())
    .addColumn('atime_ms', 'double precision')
    .addColumn('mode', 'integer')
    .addColumn('uid', 'integer')
    .addColumn('gid', 'integer')
    .addColumn('checksum', 'varchar(128)', (c) => c.notNull())
    .addColumn('algorithm', 'varchar(16)', (c) => c.notNull())
    .addColumn('execution_id', 'varchar(64)', (c) => c.notNull())
    .addColumn('evicted_at', 'varchar(32)', (c) => c.notNull())
    .addPrimaryKeyConstraint('evicted_files_pk', ['storage_id', 'path'])
    .execute();
  await db.schema.createIndex('evicted_files_tape').on('evicted_files').columns(['tape_id', 'session_no', 'member']).execute();
}
