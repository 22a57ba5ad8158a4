/**
 * What makes `GET /tasks` cheap without ever serving a stale page (issue #2):
 *
 * - `task_owner_stats` keeps the number of tasks of each owner, so an unfiltered list needs no
 *   COUNT(*) over 100,000 index entries.
 * - `store_generations` holds two counters. `tasks` grows on every write that can change what a
 *   task list shows: a task, its endpoints, its executions (the embedded `last_execution`), an
 *   owner's username. `auth` grows on every change that can alter who a credential is: password,
 *   username, admin flag, user deletion, API key scopes or revocation (not `last_used_at`).
 *
 * All are maintained by triggers, in the same transaction as the write, whoever writes (this
 * process, another Barge on the same PostgreSQL, a bulk seed): a reader that sees the data of a
 * commit sees its generation too, so "generation unchanged" means "nothing a cache holds changed".
 * Last, the default sort `(created_at DESC, id)` gets exact indexes, per owner and for everybody.
 */
import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../db.js';

/** Columns of an execution that its view shows (writes to walk_cursor, log… change no list). */
const EXECUTION_VIEW_COLUMNS = [
  'task_id', 'state', 'progress', 'size_todo', 'size_done', 'nodes_todo', 'nodes_done', 'files_failed', 'bandwidth',
  'eta_seconds', 'dispatcher', 'movers', 'error', 'trigger', 'created_at', 'started_at', 'finished_at', 'updated_at',
].join(', ');
/** Columns of a user or key that a cached principal depends on (not `last_used_at`, written each minute). */
const USER_AUTH_COLUMNS = 'username, password_hash, is_admin';
const KEY_AUTH_COLUMNS = 'key_hash, scopes, user_id';

export async function up(db: Kysely<any>, dialect: Dialect): Promise<void> {
  await db.schema.createTable('task_owner_stats')
    .addColumn('user_id', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('task_count', 'bigint', (c) => c.notNull())
    .execute();
  await sql`INSERT INTO task_owner_stats (user_id, task_count) SELECT user_id, COUNT(*) FROM tasks GROUP BY user_id`.execute(db);
  await db.schema.createTable('store_generations')
    .addColumn('name', 'varchar(32)', (c) => c.primaryKey())
    .addColumn('value', 'bigint', (c) => c.notNull())
    .execute();
  await sql`INSERT INTO store_generations (name, value) VALUES ('auth', 1), ('tasks', 1)`.execute(db);

  // The default order, exactly (PostgreSQL sorts text with COLLATE "C", see list-sql.ts).
  await db.schema.dropIndex('tasks_user_created').execute();
  const c = dialect === 'postgres' ? sql.raw(' COLLATE "C"') : sql.raw('');
  await sql`CREATE INDEX tasks_user_created_id ON tasks (user_id, created_at${c} DESC, id${c})`.execute(db);
  await sql`CREATE INDEX tasks_created_id ON tasks (created_at${c} DESC, id${c})`.execute(db);

  for (const statement of dialect === 'postgres' ? postgresTriggers() : sqliteTriggers()) await sql.raw(statement).execute(db);
}

const BUMP = (name: 'tasks' | 'auth') => `UPDATE store_generations SET value = value + 1 WHERE name = '${name}'`;
const ADD_TASK = (owner: string) =>
  `INSERT INTO task_owner_stats (user_id, task_count) VALUES (${owner}, 1)
     ON CONFLICT (user_id) DO UPDATE SET task_count = task_owner_stats.task_count + 1`;
const REMOVE_TASK = (owner: string) => `UPDATE task_owner_stats SET task_count = task_count - 1 WHERE user_id = ${owner}`;

function sqliteTriggers(): string[] {
  const t = (name: string, event: string, body: string[]) => `CREATE TRIGGER ${name} AFTER ${event} BEGIN ${body.map((s) => `${s};`).join(' ')} END`;
  return [
    t('tasks_stats_insert', 'INSERT ON tasks', [ADD_TASK('NEW.user_id'), BUMP('tasks')]),
    t('tasks_stats_delete', 'DELETE ON tasks', [REMOVE_TASK('OLD.user_id'), BUMP('tasks')]),
    t('tasks_stats_update', 'UPDATE ON tasks', [BUMP('tasks')]),
    t('tasks_stats_owner', 'UPDATE OF user_id ON tasks FOR EACH ROW WHEN OLD.user_id <> NEW.user_id', [REMOVE_TASK('OLD.user_id'), ADD_TASK('NEW.user_id')]),
    ...['INSERT', 'UPDATE', 'DELETE'].map((e) => t(`task_endpoints_generation_${e.toLowerCase()}`, `${e} ON task_endpoints`, [BUMP('tasks')])),
    t('task_executions_generation_insert', 'INSERT ON task_executions', [BUMP('tasks')]),
    t('task_executions_generation_update', `UPDATE OF ${EXECUTION_VIEW_COLUMNS} ON task_executions`, [BUMP('tasks')]),
    t('task_executions_generation_delete', 'DELETE ON task_executions', [BUMP('tasks')]),
    t('users_generation_username', 'UPDATE OF username ON users', [BUMP('tasks')]),
    t('users_auth_update', `UPDATE OF ${USER_AUTH_COLUMNS} ON users`, [BUMP('auth')]),
    t('users_auth_delete', 'DELETE ON users', [BUMP('auth')]),
    t('api_keys_auth_update', `UPDATE OF ${KEY_AUTH_COLUMNS} ON api_keys`, [BUMP('auth')]),
    t('api_keys_auth_delete', 'DELETE ON api_keys', [BUMP('auth')]),
  ];
}

function postgresTriggers(): string[] {
  const fn = (name: string, body: string) => `CREATE FUNCTION ${name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN ${body} RETURN NULL; END $$`;
  const trigger = (name: string, event: string, fnName: string) => `CREATE TRIGGER ${name} AFTER ${event} FOR EACH ROW EXECUTE FUNCTION ${fnName}()`;
  return [
    // OLD is not assigned on INSERT nor NEW on DELETE: each branch reads only the record it has.
    fn('barge_tasks_stats', `IF TG_OP = 'INSERT' THEN ${ADD_TASK('NEW.user_id')};
      ELSIF TG_OP = 'DELETE' THEN ${REMOVE_TASK('OLD.user_id')};
      ELSIF OLD.user_id <> NEW.user_id THEN ${REMOVE_TASK('OLD.user_id')}; ${ADD_TASK('NEW.user_id')}; END IF;
      ${BUMP('tasks')};`),
    fn('barge_tasks_generation', `${BUMP('tasks')};`),
    fn('barge_auth_generation', `${BUMP('auth')};`),
    trigger('tasks_stats', 'INSERT OR UPDATE OR DELETE ON tasks', 'barge_tasks_stats'),
    trigger('task_endpoints_generation', 'INSERT OR UPDATE OR DELETE ON task_endpoints', 'barge_tasks_generation'),
    trigger('task_executions_generation', `INSERT OR DELETE OR UPDATE OF ${EXECUTION_VIEW_COLUMNS} ON task_executions`, 'barge_tasks_generation'),
    trigger('users_generation_username', 'UPDATE OF username ON users', 'barge_tasks_generation'),
    trigger('users_auth', `UPDATE OF ${USER_AUTH_COLUMNS} OR DELETE ON users`, 'barge_auth_generation'),
    trigger('api_keys_auth', `UPDATE OF ${KEY_AUTH_COLUMNS} OR DELETE ON api_keys`, 'barge_auth_generation'),
  ];
}
