/** The first schema: users, keys, tasks with their endpoints, executions, defer tokens, storages. */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  const now = (t: any) => t.notNull();
  await db.schema.createTable('users')
    .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('username', 'varchar(255)', (c) => c.notNull().unique())
    .addColumn('email', 'varchar(255)')
    .addColumn('password_hash', 'text', (c) => c.notNull())
    .addColumn('is_admin', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'varchar(32)', now)
    .addColumn('updated_at', 'varchar(32)', now)
    .execute();
  await db.schema.createTable('api_keys')
    .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('user_id', 'varchar(64)', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('name', 'varchar(255)', (c) => c.notNull())
    .addColumn('key_hash', 'varchar(64)', (c) => c.notNull().unique())
    .addColumn('key_last4', 'varchar(8)', (c) => c.notNull())
    .addColumn('scopes', 'text', (c) => c.notNull())
    .addColumn('created_at', 'varchar(32)', now)
    .addColumn('updated_at', 'varchar(32)', now)
    .addColumn('last_used_at', 'varchar(32)')
    .execute();
  await db.schema.createIndex('api_keys_user').on('api_keys').column('user_id').execute();
  await db.schema.createTable('tasks')
    .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('name', 'varchar(255)', (c) => c.notNull())
    .addColumn('comment', 'text')
    .addColumn('workflow_type', 'varchar(32)', (c) => c.notNull())
    .addColumn('workflow_action', 'varchar(32)', (c) => c.notNull())
    .addColumn('options', 'text', (c) => c.notNull())
    .addColumn('metadata', 'text', (c) => c.notNull())
    .addColumn('user_id', 'varchar(64)', (c) => c.notNull().references('users.id'))
    .addColumn('created_by', 'varchar(64)', (c) => c.notNull())
    .addColumn('updated_by', 'varchar(64)', (c) => c.notNull())
    .addColumn('created_at', 'varchar(32)', now)
    .addColumn('updated_at', 'varchar(32)', now)
    .execute();
  await db.schema.createIndex('tasks_user_created').on('tasks').columns(['user_id', 'created_at']).execute();
  await db.schema.createIndex('tasks_name').on('tasks').column('name').execute();
  await db.schema.createTable('task_endpoints')
    .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('task_id', 'varchar(64)', (c) => c.notNull().references('tasks.id').onDelete('cascade'))
    .addColumn('role', 'varchar(16)', (c) => c.notNull())
    .addColumn('position', 'integer', (c) => c.notNull())
    .addColumn('type', 'varchar(32)', (c) => c.notNull())
    .addColumn('kind', 'varchar(16)', (c) => c.notNull())
    .addColumn('storage_id', 'varchar(64)')
    .addColumn('pool_id', 'varchar(64)')
    .addColumn('node_paths', 'text', (c) => c.notNull())
    .addColumn('range_first', 'bigint')
    .addColumn('range_last', 'bigint')
    .addColumn('created_at', 'varchar(32)', now)
    .execute();
  await db.schema.createIndex('task_endpoints_task').on('task_endpoints').columns(['task_id', 'role', 'position']).execute();
  await db.schema.createIndex('task_endpoints_kind').on('task_endpoints').columns(['role', 'kind', 'task_id']).execute();
  await db.schema.createTable('task_executions')
    .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('task_id', 'varchar(64)', (c) => c.notNull().references('tasks.id').onDelete('cascade'))
    .addColumn('user_id', 'varchar(64)', (c) => c.notNull())
    .addColumn('state', 'varchar(32)', (c) => c.notNull())
    .addColumn('progress', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('size_todo', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('size_done', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('nodes_todo', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('nodes_done', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('files_failed', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('bandwidth', 'double precision', (c) => c.notNull().defaultTo(0))
    .addColumn('eta_seconds', 'integer')
    .addColumn('dispatcher', 'varchar(255)')
    .addColumn('movers', 'text', (c) => c.notNull())
    .addColumn('error', 'text')
    .addColumn('trigger', 'text', (c) => c.notNull())
    .addColumn('task_snapshot', 'text', (c) => c.notNull())
    .addColumn('created_at', 'varchar(32)', now)
    .addColumn('started_at', 'varchar(32)')
    .addColumn('finished_at', 'varchar(32)')
    .addColumn('updated_at', 'varchar(32)', now)
    .execute();
  await db.schema.createIndex('task_executions_task').on('task_executions').columns(['task_id', 'created_at']).execute();
  await db.schema.createIndex('task_executions_state').on('task_executions').column('state').execute();
  await db.schema.createIndex('task_executions_user').on('task_executions').columns(['user_id', 'created_at']).execute();
  await db.schema.createTable('defer_tokens')
    .addColumn('token_hash', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('task_id', 'varchar(64)', (c) => c.notNull().references('tasks.id').onDelete('cascade'))
    .addColumn('user_id', 'varchar(64)', (c) => c.notNull())
    .addColumn('trigger', 'text', (c) => c.notNull())
    .addColumn('created_at', 'varchar(32)', now)
    .addColumn('expires_at', 'varchar(32)', now)
    .addColumn('used_at', 'varchar(32)')
    .addColumn('execution_id', 'varchar(64)')
    .execute();
  await db.schema.createTable('pools')
    .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('name', 'varchar(255)', (c) => c.notNull().unique())
    .addColumn('comment', 'text')
    .addColumn('type', 'varchar(32)', (c) => c.notNull())
    .addColumn('content', 'varchar(16)', (c) => c.notNull())
    .addColumn('created_at', 'varchar(32)', now)
    .addColumn('updated_at', 'varchar(32)', now)
    .execute();
  await db.schema.createTable('nas')
    .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('name', 'varchar(255)', (c) => c.notNull().unique())
    .addColumn('host', 'varchar(255)')
    .addColumn('type', 'varchar(16)', (c) => c.notNull())
    .addColumn('comment', 'text')
    .addColumn('created_at', 'varchar(32)', now)
    .addColumn('updated_at', 'varchar(32)', now)
    .execute();
  await db.schema.createTable('nas_shares')
    .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('nas_id', 'varchar(64)', (c) => c.notNull().references('nas.id').onDelete('cascade'))
    .addColumn('pool_id', 'varchar(64)', (c) => c.references('pools.id').onDelete('set null'))
    .addColumn('name', 'varchar(255)', (c) => c.notNull().unique())
    .addColumn('path', 'text', (c) => c.notNull())
    .addColumn('options', 'text', (c) => c.notNull())
    .addColumn('created_at', 'varchar(32)', now)
    .addColumn('updated_at', 'varchar(32)', now)
    .execute();
  await db.schema.createTable('cloud_connectors')
    .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('name', 'varchar(255)', (c) => c.notNull().unique())
    .addColumn('url', 'text')
    .addColumn('region', 'varchar(64)')
    .addColumn('provider', 'varchar(32)', (c) => c.notNull())
    .addColumn('access_key', 'varchar(255)')
    .addColumn('secret_key_enc', 'text')
    .addColumn('options', 'text', (c) => c.notNull())
    .addColumn('created_at', 'varchar(32)', now)
    .addColumn('updated_at', 'varchar(32)', now)
    .execute();
  await db.schema.createTable('cloud_buckets')
    .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('cloud_connector_id', 'varchar(64)', (c) => c.notNull().references('cloud_connectors.id').onDelete('cascade'))
    .addColumn('pool_id', 'varchar(64)', (c) => c.references('pools.id').onDelete('set null'))
    .addColumn('name', 'varchar(255)', (c) => c.notNull())
    .addColumn('location', 'varchar(64)')
    .addColumn('options', 'text', (c) => c.notNull())
    .addColumn('created_at', 'varchar(32)', now)
    .addColumn('updated_at', 'varchar(32)', now)
    .execute();
  await oneActiveExecutionIndex(db);
  await db.schema.createIndex('cloud_buckets_connector_name').on('cloud_buckets').columns(['cloud_connector_id', 'name']).unique().execute();
}

/**
 * At most one active execution per task, enforced by the store itself so that two concurrent runs
 * (two API servers, or two requests racing) cannot both start: active ⇔ finished_at IS NULL.
 * Partial unique indexes exist in SQLite and PostgreSQL alike.
 */
export async function oneActiveExecutionIndex(db: Kysely<any>): Promise<void> {
  await sql`CREATE UNIQUE INDEX task_executions_one_active ON task_executions (task_id) WHERE finished_at IS NULL`.execute(db);
}
