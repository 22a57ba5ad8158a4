/**
 * Dry runs (issue #11): an execution that walks and plans but writes nothing. `task_executions.dry_run`
 * (0/1) says an execution is one — the dispatcher reads it to record the plan instead of enqueuing
 * batches — and `plan` holds its totals (JSON, written when it ends: files, bytes and the ETA per
 * operation). `file_ledger.operation` is the planned operation of a dry run's row (copy, move, rename,
 * overwrite, skip, erase, fail); null on the rows of real runs.
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('task_executions').addColumn('dry_run', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  await db.schema.alterTable('task_executions').addColumn('plan', 'text').execute();
  await db.schema.alterTable('file_ledger').addColumn('operation', 'varchar(16)').execute();
}
