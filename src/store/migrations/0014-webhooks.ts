/**
 * Webhook deliveries (issue #11): an outbox. Each event of an execution a `webhook` callback listens
 * to becomes one `webhook_deliveries` row (its JSON body fixed when the event happened), written by
 * the dispatcher and sent by the dispatcher's sender loop, which records each try in
 * `webhook_attempts`. Why an outbox in the store: a delivery survives restarts, lease take-overs and
 * `kill -9`, and is retried for hours whoever holds the engine lease.
 *
 * `subject` makes an event unique per callback and execution ('' for started/finished, the SHA-256 of
 * the ledger row's key for failed_file): the unique index lets the dispatcher record an event again
 * after a crash without sending it twice.
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.createTable('webhook_deliveries')
    .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('callback_id', 'varchar(64)', (c) => c.notNull().references('task_callbacks.id').onDelete('cascade'))
    .addColumn('task_id', 'varchar(64)', (c) => c.notNull())
    .addColumn('execution_id', 'varchar(64)', (c) => c.notNull().references('task_executions.id').onDelete('cascade'))
    .addColumn('event', 'varchar(16)', (c) => c.notNull())
    .addColumn('subject', 'varchar(64)', (c) => c.notNull())
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('state', 'varchar(16)', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_attempt_at', 'varchar(32)')
    .addColumn('last_status', 'integer')
    .addColumn('last_error', 'text')
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
    .addColumn('finished_at', 'varchar(32)')
    .execute();
  await db.schema.createIndex('webhook_deliveries_event').on('webhook_deliveries').columns(['callback_id', 'execution_id', 'event', 'subject']).unique().execute();
  await db.schema.createIndex('webhook_deliveries_due').on('webhook_deliveries').columns(['state', 'next_attempt_at']).execute();
  await db.schema.createIndex('webhook_deliveries_callback').on('webhook_deliveries').columns(['callback_id', 'created_at']).execute();
  await db.schema.createIndex('webhook_deliveries_execution').on('webhook_deliveries').columns(['execution_id']).execute();
  await db.schema.createTable('webhook_attempts')
    .addColumn('delivery_id', 'varchar(64)', (c) => c.notNull().references('webhook_deliveries.id').onDelete('cascade'))
    .addColumn('attempt', 'integer', (c) => c.notNull())
    .addColumn('started_at', 'varchar(32)', (c) => c.notNull())
    .addColumn('duration_ms', 'integer', (c) => c.notNull())
    .addColumn('status_code', 'integer')
    .addColumn('error', 'text')
    .addColumn('outcome', 'varchar(16)', (c) => c.notNull())
    .addPrimaryKeyConstraint('webhook_attempts_pk', ['delivery_id', 'attempt'])
    .execute();
}
