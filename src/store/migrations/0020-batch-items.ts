/**
 * Issue #14: a batch's items move out of `work_batches` into `work_batch_items`. Why: on SQLite an
 * UPDATE writes the whole row again, and a batch of 256 small files carries ~30 KB of items — each
 * claim, heartbeat and completion rewrote them (and `RETURNING *` read them back), ~1 ms per claim in
 * the engine thread; columns stored after the items were read through their overflow pages. The
 * items are written once, when the batch is enqueued, and read when it is claimed from another
 * process or again; they go with their batch (ON DELETE CASCADE).
 *
 * And the claim's index: the next batch of an execution is the first by `seq` among its queued ones
 * (`work_batches_next`). SQLite took `work_batches_claim` (state, available_at) for it, read every
 * queued batch of every execution and sorted them, per claim: a walk far ahead of the movers made
 * each claim slower (the queue repository keeps `available_at` out of the index choice). The index it
 * replaces, (execution_id, state), is its prefix.
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.createTable('work_batch_items')
    .addColumn('batch_id', 'varchar(64)', (c) => c.primaryKey().references('work_batches.id').onDelete('cascade'))
    .addColumn('items', 'text', (c) => c.notNull())
    .execute();
  await db.insertInto('work_batch_items').columns(['batch_id', 'items'])
    .expression((eb) => eb.selectFrom('work_batches').select(['id', 'items']))
    .execute();
  await db.schema.alterTable('work_batches').dropColumn('items').execute();
  await db.schema.createIndex('work_batches_next').on('work_batches').columns(['execution_id', 'state', 'seq']).execute();
  await db.schema.dropIndex('work_batches_execution').execute();
}
