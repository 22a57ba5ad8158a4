/**
 * `parallel` in total across movers (issue #10): an execution's `parallel` is shared out as permits,
 * one row per mover holding some, each under a lease its mover's heartbeat extends. A mover killed
 * with `kill -9` stops extending it, and its permits return to the pool when the lease runs out.
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.createTable('parallel_permits')
    .addColumn('execution_id', 'varchar(64)', (c) => c.notNull())
    .addColumn('owner', 'varchar(255)', (c) => c.notNull())
    .addColumn('permits', 'integer', (c) => c.notNull())
    .addColumn('expires_at', 'varchar(32)', (c) => c.notNull())
    .addPrimaryKeyConstraint('parallel_permits_pk', ['execution_id', 'owner'])
    .execute();
  await db.schema.createIndex('parallel_permits_owner').on('parallel_permits').column('owner').execute();
}
