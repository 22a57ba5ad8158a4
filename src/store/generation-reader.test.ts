/**
 * Migration 0004 on both dialects: the triggers keep per-owner task counts equal to COUNT(*) and
 * bump the `tasks` / `auth` generations on exactly the writes the caches depend on, whoever writes
 * (a second store connection stands in for another process); GenerationReader sees committed
 * writes only; the migration backfills counts of a store that already had tasks.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kysely, Migrator, PostgresDialect, SqliteDialect, sql } from 'kysely';
import SQLite from 'better-sqlite3';
import pg from 'pg';
import { openStore, type Store, type StoreTarget } from './db.js';
import { GenerationReader } from './generation-reader.js';
import { TaskRepository } from './task-repository.js';
import { migrationProvider } from './migrations/index.js';
import type { Database, ExecutionRow, TaskEndpointRow, TaskRow } from './schema.js';
import { freshPgUrl } from '../../test/helpers/barge.js';

const PG = process.env.BARGE_TEST_PG_URL;
if (!PG) console.log('# BARGE_TEST_PG_URL is not set: PostgreSQL generation suite skipped');
const targets: Array<'sqlite' | 'postgres'> = PG ? ['sqlite', 'postgres'] : ['sqlite'];
const T0 = '2025-01-01T00:00:00.000Z';

/** An empty store of `dialect` (a temp SQLite file, or a fresh PostgreSQL database) and how to drop it. */
async function freshStore(dialect: 'sqlite' | 'postgres', tag: string): Promise<{ target: StoreTarget; cleanup: () => Promise<void> }> {
  if (dialect === 'sqlite') {
    const dir = await mkdtemp(join(tmpdir(), tag));
    return { target: { kind: 'sqlite', file: join(dir, 'db.sqlite') }, cleanup: () => rm(dir, { recursive: true, force: true }) };
  }
  const fresh = await freshPgUrl(PG as string);
  return { target: { kind: 'postgres', url: fresh.url }, cleanup: fresh.drop };
}

const user = (id: string) => ({ id, username: id, email: null, password_hash: `hash-${id}`, is_admin: 0, created_at: T0, updated_at: T0 });
const task = (id: string, owner: string): TaskRow => ({
  id, name: id, comment: null, workflow_type: 'data_migration', workflow_action: 'copy', options: '{}', metadata: '{}',
  user_id: owner, created_by: owner, updated_by: owner, created_at: T0, updated_at: T0,
});
const endpoint = (id: string, taskId: string): TaskEndpointRow => ({
  id, task_id: taskId, role: 'source', position: 0, type: 'nas', kind: 'nas', storage_id: 's', pool_id: null, node_paths: '["/"]', range_first: null, range_last: null, created_at: T0,
});
const execution = (id: string, taskId: string, owner: string): ExecutionRow => ({
  id, task_id: taskId, user_id: owner, state: 'in_queue', progress: 0, size_todo: 0, size_done: 0, nodes_todo: 0, nodes_done: 0, files_failed: 0,
  bandwidth: 0, eta_seconds: null, dispatcher: null, movers: '[]', error: null, trigger: '{}', task_snapshot: '{}',
  created_at: T0, started_at: null, finished_at: null, updated_at: T0, walk_cursor: null, log: '[]', batches_planned: 0,
});

for (const dialect of targets) {
  describe(`store generations (${dialect})`, () => {
    let target: StoreTarget;
    let store: Store;
    /** A second connection to the same store: another process, as far as the first can tell. */
    let other: Store;
    let reader: GenerationReader;
    let cleanup: () => Promise<void>;

    before(async () => {
      ({ target, cleanup } = await freshStore(dialect, 'barge-generations-'));
      store = await openStore(target);
      other = await openStore(target);
      reader = new GenerationReader(store.db, target);
      await store.db.insertInto('users').values([user('u1'), user('u2')]).execute();
    });
    after(async () => {
      reader?.close();
      await other?.close();
      await store?.close();
      await cleanup?.();
    });

    /** Runs `write` and returns how much each generation grew. */
    async function growth(write: () => Promise<unknown>): Promise<{ tasks: number; auth: number }> {
      const before = await reader.current();
      await write();
      const now = await reader.current();
      return { tasks: now.tasks - before.tasks, auth: now.auth - before.auth };
    }

    async function assertCountsExact(): Promise<void> {
      const exact = await store.db.selectFrom('tasks').select(['user_id', (eb) => eb.fn.countAll<number>().as('n')]).groupBy('user_id').execute();
      const kept = await store.db.selectFrom('task_owner_stats').selectAll().execute();
      const asMap = (rows: Array<{ user_id: string; n: number | string }>) => Object.fromEntries(rows.map((r) => [r.user_id, Number(r.n)]).filter(([, n]) => n !== 0));
      assert.deepEqual(asMap(kept.map((r) => ({ user_id: r.user_id, n: r.task_count }))), asMap(exact));
    }

    it('every write a task list shows bumps `tasks`, from this connection or another', async () => {
      const repo = new TaskRepository(store.db, store.dialect);
      assert.ok((await growth(() => repo.insert(task('t1', 'u1'), [endpoint('e1', 't1')]))).tasks > 0, 'task insert');
      assert.ok((await growth(() => other.db.insertInto('tasks').values(task('t2', 'u1')).execute())).tasks > 0, 'insert by another connection');
      assert.ok((await growth(() => repo.update('t1', { name: 'renamed' }, {}))).tasks > 0, 'task update');
      assert.ok((await growth(() => other.db.insertInto('task_endpoints').values(endpoint('e2', 't2')).execute())).tasks > 0, 'endpoint insert');
      assert.ok((await growth(() => repo.updateEndpoint('e2', { node_paths: '["/x"]' }))).tasks > 0, 'endpoint update');
      assert.ok((await growth(() => repo.deleteEndpoint('e2'))).tasks > 0, 'endpoint delete');
      assert.ok((await growth(() => store.db.insertInto('task_executions').values(execution('x1', 't1', 'u1')).execute())).tasks > 0, 'execution insert (run)');
      assert.ok((await growth(() => other.db.updateTable('task_executions').set({ progress: 3, size_done: 10, bandwidth: 2.5 }).where('id', '=', 'x1').execute())).tasks > 0, 'progress by another process');
      assert.ok((await growth(() => store.db.updateTable('task_executions').set({ state: 'done', finished_at: T0 }).where('id', '=', 'x1').execute())).tasks > 0, 'execution finished');
      assert.ok((await growth(() => store.db.updateTable('users').set({ username: 'u1-renamed' }).where('id', '=', 'u1').execute())).tasks > 0, 'owner renamed');
      assert.ok((await growth(() => repo.delete('t2'))).tasks > 0, 'task delete');
    });

    it('writes no list shows leave `tasks` alone', async () => {
      assert.deepEqual(await growth(() => store.db.updateTable('task_executions').set({ walk_cursor: 'c', log: '["x"]', batches_planned: 3 }).where('id', '=', 'x1').execute()), { tasks: 0, auth: 0 });
      assert.deepEqual(await growth(() => store.db.updateTable('users').set({ email: 'a@b' }).where('id', '=', 'u2').execute()), { tasks: 0, auth: 0 });
    });

    it('credential changes bump `auth`; last_used_at does not', async () => {
      const key = { id: 'k1', user_id: 'u2', name: 'k', key_hash: 'h1', key_last4: 'abcd', scopes: '[]', created_at: T0, updated_at: T0, last_used_at: null };
      await store.db.insertInto('api_keys').values(key).execute();
      assert.equal((await growth(() => store.db.updateTable('api_keys').set({ last_used_at: T0 }).where('id', '=', 'k1').execute())).auth, 0, 'last_used_at');
      assert.ok((await growth(() => other.db.updateTable('api_keys').set({ scopes: '[{"controller":"*","action":"*"}]' }).where('id', '=', 'k1').execute())).auth > 0, 'key scopes');
      assert.ok((await growth(() => other.db.updateTable('users').set({ password_hash: 'new' }).where('id', '=', 'u2').execute())).auth > 0, 'password');
      assert.ok((await growth(() => store.db.updateTable('users').set({ is_admin: 1 }).where('id', '=', 'u2').execute())).auth > 0, 'admin flag');
      assert.ok((await growth(() => store.db.deleteFrom('api_keys').where('id', '=', 'k1').execute())).auth > 0, 'key revoked');
      await store.db.insertInto('users').values(user('u3')).execute();
      assert.ok((await growth(() => store.db.deleteFrom('users').where('id', '=', 'u3').execute())).auth > 0, 'user deleted');
    });

    it('keeps per-owner counts equal to COUNT(*) through inserts, deletes, cascades and owner changes', async () => {
      const repo = new TaskRepository(store.db, store.dialect);
      for (let i = 0; i < 12; i++) await repo.insert(task(`c${i}`, i % 3 === 0 ? 'u2' : 'u1'), [endpoint(`ce${i}`, `c${i}`)]);
      await assertCountsExact();
      await store.db.deleteFrom('tasks').where('id', 'in', ['c0', 'c1', 'c2']).execute();
      await other.db.updateTable('tasks').set({ user_id: 'u2' }).where('id', 'in', ['c4', 'c5']).execute();
      await assertCountsExact();
      const list = (userId: string, all = false) => repo.countOf({ userId, all });
      const exact = async (userId?: string) => {
        let q = store.db.selectFrom('tasks').select((eb) => eb.fn.countAll<number>().as('n'));
        if (userId) q = q.where('user_id', '=', userId);
        return Number((await q.executeTakeFirstOrThrow()).n);
      };
      assert.equal(await list('u1'), await exact('u1'));
      assert.equal(await list('u2'), await exact('u2'));
      assert.equal(await list('u1', true), await exact());
      assert.equal(await list('nobody'), 0);
    });

    it('sees committed writes only', { skip: dialect !== 'sqlite' && 'SQLite: the writer connection is shared by every caller of this process' }, async () => {
      const before = await reader.current();
      await assert.rejects(
        store.db.transaction().execute(async (trx) => {
          await trx.insertInto('tasks').values(task('rolled-back', 'u1')).execute();
          assert.deepEqual(await reader.current(), before, 'an open transaction is not visible');
          throw new Error('roll back');
        }),
        /roll back/,
      );
      assert.deepEqual(await reader.current(), before, 'a rolled-back bump never shows');
    });
  });

  describe(`migration 0004 on a store with tasks (${dialect})`, () => {
    it('backfills the per-owner counts', async () => {
      const { target, cleanup } = await freshStore(dialect, 'barge-backfill-');
      try {
        // Bring an empty store to 0003 by hand, fill it, then let openStore run 0004.
        const old = await openStoreAt(target, '0003-backup-catalog');
        await old.db.insertInto('users').values([user('a'), user('b')]).execute();
        await old.db.insertInto('tasks').values([task('1', 'a'), task('2', 'a'), task('3', 'b')]).execute();
        await old.close();
        const store = await openStore(target);
        const kept = await store.db.selectFrom('task_owner_stats').selectAll().orderBy('user_id').execute();
        assert.deepEqual(kept.map((r) => [r.user_id, Number(r.task_count)]), [['a', 2], ['b', 1]]);
        await store.close();
      } finally {
        await cleanup();
      }
    });
  });
}

/** Migrates an empty store up to `name` only, with openStore's migration tables (for migration tests). */
async function openStoreAt(target: StoreTarget, name: string): Promise<Store> {
  const db = target.kind === 'sqlite'
    ? new Kysely<Database>({ dialect: new SqliteDialect({ database: new SQLite(target.file) }) })
    : new Kysely<Database>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: target.url, max: 2 }) }) });
  const schema = target.kind === 'postgres' ? (await sql<{ s: string }>`SELECT current_schema() AS s`.execute(db)).rows[0]?.s : undefined;
  const migrator = new Migrator({ db, provider: migrationProvider(target.kind), migrationTableName: 'barge_migrations', migrationLockTableName: 'barge_migrations_lock', migrationTableSchema: schema });
  const { error } = await migrator.migrateTo(name);
  if (error) throw error;
  return { db, dialect: target.kind, close: () => db.destroy() };
}
