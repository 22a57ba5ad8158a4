/**
 * One row: which process runs the engine on this store, until when (see engine/engine-lease.ts).
 * Why a table rather than a database lock: the same on SQLite and PostgreSQL, visible to operators
 * (`SELECT * FROM engine_lease`), and a dead holder's lease simply expires.
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('engine_lease')
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('owner', 'varchar(255)', (c) => c.notNull())
    .addColumn('expires_at', 'varchar(32)', (c) => c.notNull())
    .execute();
}
