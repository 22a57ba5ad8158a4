/**
 * Movers as processes of their own (issue #10): each mover keeps a row in `movers` (what it is, what
 * it reaches, when it was last heard of, what it moved), and a batch in work carries the counts and
 * in-flight bytes its mover last reported, so a dispatcher in another process sees progress between
 * batch completions.
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('work_batches').addColumn('inflight_bytes', 'bigint', (c) => c.notNull().defaultTo(0)).execute();
  await db.schema.createTable('movers')
    .addColumn('name', 'varchar(255)', (c) => c.primaryKey())
    .addColumn('host', 'varchar(255)', (c) => c.notNull())
    .addColumn('pid', 'integer', (c) => c.notNull())
    .addColumn('slots', 'integer', (c) => c.notNull())
    .addColumn('storages', 'text', (c) => c.notNull())
    .addColumn('state', 'varchar(16)', (c) => c.notNull())
    .addColumn('started_at', 'varchar(32)', (c) => c.notNull())
    .addColumn('last_heartbeat_at', 'varchar(32)', (c) => c.notNull())
    .addColumn('bandwidth', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('files_done', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('bytes_done', 'bigint', (c) => c.notNull().defaultTo(0))
    .execute();
}
