/**
 * Task callbacks (issue #11): scripts a task runs at points of its executions — the filter kind
 * (`before_request_dispatched`) in the planner, hooks before and after an execution and per result —
 * and Barge's `webhook` kind (a URL, a sealed secret and the events it hears). One table for every
 * type, as Nodeum's `/tasks/{id}/task_callbacks` is one resource: columns a type does not use stay
 * null. `secret_sealed` is sealed with the store's secret box (lib/secret-box.ts) and never returned.
 * Deleting a task deletes its callbacks (foreign key, on both dialects).
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.createTable('task_callbacks')
    .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('task_id', 'varchar(64)', (c) => c.notNull().references('tasks.id').onDelete('cascade'))
    .addColumn('type', 'varchar(32)', (c) => c.notNull())
    .addColumn('language', 'varchar(16)')
    .addColumn('script', 'text')
    .addColumn('url', 'text')
    .addColumn('secret_sealed', 'text')
    .addColumn('events', 'text')
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('task_callbacks_task').on('task_callbacks').columns(['task_id', 'type']).execute();
}
