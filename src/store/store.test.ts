/**
 * The repository suite, run on a real migrated SQLite file and, when BARGE_TEST_PG_URL is set, on a
 * fresh PostgreSQL schema: same queries, same answers on both dialects.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore, type Store } from './db.js';
import { TaskRepository } from './task-repository.js';
import { ActiveExecutionExists, ExecutionRepository } from './execution-repository.js';
import { UserRepository } from './user-repository.js';
import { parseListQuery } from '../domain/list-query.js';
import { TASK_LIST } from '../services/task-service.js';
import type { ExecutionRow, TaskRow } from './schema.js';
import { freshPgUrl } from '../../test/helpers/barge.js';

const PG = process.env.BARGE_TEST_PG_URL;
if (!PG) console.log('# BARGE_TEST_PG_URL is not set: PostgreSQL store suite skipped');

const targets: Array<'sqlite' | 'postgres'> = PG ? ['sqlite', 'postgres'] : ['sqlite'];

for (const dialect of targets) {
  describe(`store (${dialect})`, () => {
    let store: Store;
    let cleanup: () => Promise<void>;
    let tasks: TaskRepository;
    let execs: ExecutionRepository;
    const scope = { userId: 'u1', all: false };

    before(async () => {
      if (dialect === 'sqlite') {
        const dir = await mkdtemp(join(tmpdir(), 'barge-store-'));
        const file = join(dir, 'db.sqlite');
        store = await openStore({ kind: 'sqlite', file });
        await store.close();
        store = await openStore({ kind: 'sqlite', file }); // migrations are idempotent across restarts
        cleanup = () => rm(dir, { recursive: true, force: true });
      } else {
        const fresh = await freshPgUrl(PG as string);
        store = await openStore({ kind: 'postgres', url: fresh.url });
        await store.close();
        store = await openStore({ kind: 'postgres', url: fresh.url });
        cleanup = fresh.drop;
      }
      const users = new UserRepository(store.db, store.dialect);
      for (const id of ['u1', 'u2']) await users.insert({ id, username: id, email: null, password_hash: 'x', is_admin: 0, created_at: '2025-01-01T00:00:00.000Z', updated_at: '2025-01-01T00:00:00.000Z' });
      tasks = new TaskRepository(store.db, store.dialect);
      execs = new ExecutionRepository(store.db, store.dialect);
      const mk = (id: string, name: string, comment: string | null, day: number, user = 'u1'): TaskRow => ({
        id, name, comment, workflow_type: 'data_migration', workflow_action: day % 2 ? 'copy' : 'move', options: '{}', metadata: '{}',
        user_id: user, created_by: user, updated_by: user, created_at: `2025-01-0${day}T00:00:00.000Z`, updated_at: `2025-01-0${day}T00:00:00.000Z`,
      });
      await tasks.insert(mk('t1', 'Alpha', 'first', 1), [
        { id: 'e1', task_id: 't1', role: 'source', position: 0, type: 'primary_nas', kind: 'nas', storage_id: 's', pool_id: null, node_paths: '["/"]', range_first: null, range_last: null, created_at: 'x' },
      ]);
      await tasks.insert(mk('t2', 'alpine', null, 2), []);
      await tasks.insert(mk('t3', 'Beta', 'third', 3), []);
      await tasks.insert(mk('t4', 'other-user', null, 4, 'u2'), []);
    });
    after(async () => {
      await store?.close();
      await cleanup?.();
    });

    const names = async (query: Record<string, unknown>) => (await tasks.list(parseListQuery({ sort_by: 'name', ...query }, TASK_LIST), scope)).rows.map((r) => r.name);

    it('migrates on its own even when another schema of the database already has Barge tables', { skip: dialect !== 'postgres' && 'PostgreSQL only: SQLite has one schema per file' }, async () => {
      const other = await freshPgUrl(PG as string);
      try {
        const second = await openStore({ kind: 'postgres', url: other.url });
        const r = await second.db.selectFrom('tasks').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
        assert.equal(Number(r.n), 0, 'the new schema has its own, empty tables');
        await second.close();
      } finally {
        await other.drop();
      }
    });

    it('scopes lists to the owner unless all', async () => {
      assert.deepEqual(await names({}), ['Alpha', 'Beta', 'alpine'], 'text sorts by code point on both dialects');
      const all = await tasks.list(parseListQuery({}, TASK_LIST), { userId: 'u1', all: true });
      assert.equal(all.count, 4);
    });

    it('compiles every operator the same way on both dialects', async () => {
      assert.deepEqual(await names({ name: 'Alpha' }), ['Alpha']);
      assert.deepEqual(await names({ comment: '!=first' }), ['Beta', 'alpine'], '!= keeps NULLs');
      assert.deepEqual(await names({ created_at: '>2025-01-01T00:00:00Z' }), ['Beta', 'alpine']);
      assert.deepEqual(await names({ created_at: '>=2025-01-02T02:00:00+02:00' }), ['Beta', 'alpine']);
      assert.deepEqual(await names({ created_at: '<2025-01-02' }), ['Alpha']);
      assert.deepEqual(await names({ created_at: '<=2025-01-02T00:00:00.000Z' }), ['Alpha', 'alpine']);
      assert.deepEqual(await names({ id: '><t1|t3|t4' }), ['Alpha', 'Beta']);
      assert.deepEqual(await names({ id: '!><t1|t3' }), ['alpine']);
      assert.deepEqual(await names({ name: '~alp%' }), ['Alpha', 'alpine'], 'LIKE is case-insensitive on both');
      assert.deepEqual(await names({ name: '~_eta' }), ['Beta']);
      assert.deepEqual(await names({ name: '!~%a' }), ['alpine']);
      assert.deepEqual(await names({ 'sources.type': 'nas' }), ['Alpha'], 'primary_nas counts as nas');
      assert.deepEqual(await names({ 'sources.type': '!=nas' }), ['Beta', 'alpine']);
      assert.deepEqual(await names({ 'sources.type': '~primary%' }), ['Alpha']);
      assert.deepEqual(await names({ name: '~%a%', workflow_action: 'copy' }), ['Alpha', 'Beta']);
    });

    it('counts before paging and sorts by several keys', async () => {
      const page = await tasks.list(parseListQuery({ limit: '1', offset: '1', sort_by: 'workflow_action:desc|name' }, TASK_LIST), scope);
      assert.equal(page.count, 3);
      // move (alpine) first, then copy by name (Alpha, Beta): the second row is Alpha.
      assert.deepEqual(page.rows.map((r) => r.name), ['Alpha']);
    });

    it('allows one active execution per task, enforced by the store', async () => {
      const row = (id: string): ExecutionRow => ({
        id, task_id: 't1', user_id: 'u1', state: 'in_queue', progress: 0, size_todo: 5_000_000_000_000, size_done: 0, nodes_todo: 0, nodes_done: 0,
        files_failed: 0, bandwidth: 1.5, eta_seconds: null, dispatcher: null, movers: '[]', error: null, trigger: '{}', task_snapshot: '{}',
        created_at: '2025-02-01T00:00:00.000Z', started_at: null, finished_at: null, updated_at: '2025-02-01T00:00:00.000Z', walk_cursor: null, log: '[]', batches_planned: 0,
      });
      await execs.insert(row('x1'));
      await assert.rejects(execs.insert(row('x2')), ActiveExecutionExists);
      const back = await execs.findById('x1');
      assert.equal(back?.size_todo, 5_000_000_000_000, 'sizes above 2^32 round-trip as numbers');
      assert.equal(typeof back?.size_todo, 'number');
      assert.equal(await execs.transition('x1', 'paused', { state: 'done' }), false, 'compare-and-set refuses a stale state');
      assert.equal(await execs.transition('x1', 'in_queue', { state: 'done', finished_at: '2025-02-01T00:00:01.000Z' }), true);
      await execs.insert(row('x2'));
      const last = await execs.lastForTasks(['t1', 't2']);
      assert.equal(last.get('t1')?.id, 'x2');
      assert.equal(last.has('t2'), false);
    });
  });
}
