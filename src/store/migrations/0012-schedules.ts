/**
 * Task schedules (issue #11): one per task, an RFC 5545 rule and the bookkeeping of its occurrences.
 * `next_at` is the first occurrence not yet handled — the dispatcher takes the schedules whose
 * `next_at` has come (index `task_schedules_due`) — and it moves forward in the same transaction that
 * inserts the execution an occurrence starts, so a crash never runs an occurrence twice nor loses it.
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  const count = (c: any) => c.notNull().defaultTo(0);
  await db.schema.createTable('task_schedules')
    .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('task_id', 'varchar(64)', (c) => c.notNull().unique().references('tasks.id').onDelete('cascade'))
    .addColumn('rrule', 'text', (c) => c.notNull())
    .addColumn('catch_up', 'integer', count)
    .addColumn('done', 'integer', count)
    .addColumn('next_at', 'varchar(32)')
    .addColumn('missed_count', 'bigint', count)
    .addColumn('skipped_count', 'bigint', count)
    .addColumn('refused_count', 'bigint', count)
    .addColumn('missed_first', 'varchar(32)')
    .addColumn('missed_last', 'varchar(32)')
    .addColumn('last_run_at', 'varchar(32)')
    .addColumn('last_execution_id', 'varchar(64)')
    .addColumn('last_error', 'text')
    .addColumn('last_error_at', 'varchar(32)')
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('task_schedules_due').on('task_schedules').columns(['done', 'next_at']).execute();
}
