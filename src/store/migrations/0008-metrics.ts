/**
 * `GET /metrics` counts failed files only of executions that are active or finished recently
 * (store/metrics-repository.ts), so a scrape reads a bounded part of the ledger however long the
 * history. This index finds those executions (`finished_at IS NULL OR finished_at >= …`) without
 * reading the whole table; the ledger side is served by `file_ledger_status (execution_id, status)`.
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.createIndex('task_executions_finished').on('task_executions').column('finished_at').execute();
}
