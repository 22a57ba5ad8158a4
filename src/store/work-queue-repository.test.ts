/**
 * What the work queue keeps in memory, on a real migrated store of each dialect: a batch's first claim
 * in the process that enqueued it takes the items kept there (no parse), every other claim (a re-claim,
 * another process's) reads them from the row; nothing is kept of a batch that was never written, nor of
 * a cancelled execution; the memory is bounded. And the statements compiled once take their values.
 * (test/work-queue.test.ts covers the queue's behaviour itself.)
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Kysely } from 'kysely';
import { Prepared, RecentItems, SqlWorkQueue } from './work-queue-repository.js';
import { openTestStore, testDialects } from './test-stores.js';
import type { NewBatch } from '../engine/queue/work-queue.js';
import type { WorkItem } from '../engine/queue/work-item.js';

const T0 = new Date('2031-05-01T00:00:00.000Z');
const at = (ms: number) => new Date(T0.getTime() + ms);
const cp = { cursor: 'c', addFiles: 0, addBytes: 0, batchesPlanned: 0 };

async function seed(db: Kysely<any>, executions: string[]): Promise<void> {
  const stamp = { created_at: T0.toISOString(), updated_at: T0.toISOString() };
  await db.insertInto('users').values({ id: 'u', username: 'u', password_hash: 'x', is_admin: 0, ...stamp }).execute();
  // A task each: a task has one active execution at most.
  await db.insertInto('tasks').values(executions.map((id) => ({ id: `t${id}`, name: `t${id}`, workflow_type: 'data_migration', workflow_action: 'copy', options: '{}', metadata: '{}', user_id: 'u', created_by: 'u', updated_by: 'u', ...stamp }))).execute();
  await db.insertInto('task_executions').values(executions.map((id) => ({ id, task_id: `t${id}`, user_id: 'u', state: 'in_progress', bandwidth: 0, movers: '[]', trigger: '{}', task_snapshot: '{}', ...stamp }))).execute();
}

function batch(seq: number, files = 3): NewBatch {
  const items: WorkItem[] = Array.from({ length: files }, (_, i) => ({ key: `k${seq}.${i}`, op: 'copy', src: { ep: 0, path: `/d${seq}/f${i}` }, dst: { ep: 0, path: `/d${seq}/f${i}` }, size: 10 + i, mtimeMs: 1.5 }));
  return { seq, items, files, bytes: 33 };
}

const counts = { doneFiles: 0, doneBytes: 0, failedFiles: 0 };

for (const dialect of testDialects()) {
  describe(`work queue in memory (${dialect})`, () => {
    it('a first claim here takes the items enqueued here; a re-claim and another process read the row', async () => {
      const { store, done } = await openTestStore(dialect, 'wqmem');
      try {
        await seed(store.db, ['e']);
        const here = new SqlWorkQueue(store.db, store.dialect);
        const elsewhere = new SqlWorkQueue(store.db, store.dialect); // another host: the same store, not the same memory
        const planned = [batch(0), batch(1)];
        await here.enqueue('e', planned, cp, T0);
        assert.equal(here.recent.size, 2);

        const first = await here.claim('e', 'm1', 30_000, T0);
        assert.equal(first?.attempts, 1);
        assert.equal(first?.items[0], planned[0]!.items[0], 'the very items the walk planned: not parsed again');
        assert.deepEqual(first?.items, planned[0]!.items);
        assert.equal(here.recent.size, 1, 'taken out by its claim');

        const other = await elsewhere.claim('e', 'm2', 30_000, T0);
        assert.equal(other?.seq, 1);
        assert.deepEqual(other?.items, planned[1]!.items, 'read from the row');
        assert.notEqual(other?.items[0], planned[1]!.items[0]);

        // Handed back by the other process: the next claim here is a re-claim and reads the row (with what was finished).
        await elsewhere.release(other!.id, counts, T0, undefined, [[0, 10]]);
        const again = await here.claim('e', 'm1', 30_000, T0);
        assert.equal(again?.attempts, 2);
        assert.deepEqual(again?.items, planned[1]!.items);
        assert.notEqual(again?.items[0], planned[1]!.items[0], 'a re-claim never takes kept items');
        assert.deepEqual(again?.finished, [[0, 10]]);
        assert.equal(here.recent.size, 0, 'a claim of any attempt takes its batch out');

        // Released here and claimed again: still the row.
        await here.release(first!.id, counts, T0);
        const redo = await here.claim('e', 'm1', 30_000, T0);
        assert.equal(redo?.attempts, 2);
        assert.deepEqual(redo?.items, planned[0]!.items);
      } finally {
        await done();
      }
    });

    it('the transport\'s claim by id takes kept items too; nothing is kept of a batch never written or of a cancelled run', async () => {
      const { store, done } = await openTestStore(dialect, 'wqmem');
      try {
        await seed(store.db, ['e', 'x']);
        const queue = new SqlWorkQueue(store.db, store.dialect);
        const planned = [batch(0), batch(1)];
        const [id0] = await queue.enqueue('e', planned, cp, T0);
        const got = await queue.claimById(id0!, 'm', 30_000, at(1));
        assert.ok(typeof got === 'object');
        assert.equal(got.items[0], planned[0]!.items[0]);

        // An execution that does not exist: the insert fails, the transaction rolls back, nothing is kept.
        await assert.rejects(queue.enqueue('missing', [batch(0)], cp, T0));
        assert.equal(queue.recent.size, 1);

        await queue.enqueue('x', [batch(0), batch(1)], cp, T0);
        assert.equal(queue.recent.size, 3);
        await queue.cancel('x', T0);
        assert.equal(queue.recent.size, 1, 'the cancelled execution\'s batches are forgotten, the others kept');
      } finally {
        await done();
      }
    });

    it('compiled once, each run takes its values (a value used twice included); constants stay', async () => {
      const { store, done } = await openTestStore(dialect, 'wqmem');
      try {
        await seed(store.db, ['e', 'f']);
        const q = new Prepared((v: { id: string; when: string }) => store.db.selectFrom('task_executions').select('id')
          .where('id', '=', v.id).where('state', '=', 'in_progress').where((eb) => eb.or([eb('created_at', '=', v.when), eb('updated_at', '=', v.when)])), ['id', 'when']);
        const ids = async (id: string, when: Date) => (await q.run(store.db, { id, when: when.toISOString() })).rows.map((r) => r.id);
        assert.deepEqual(await ids('e', T0), ['e']);
        assert.deepEqual(await ids('f', T0), ['f']);
        assert.deepEqual(await ids('f', at(1)), []);
        assert.throws(() => new Prepared((v: { id: string; unused: string }) => store.db.selectFrom('task_executions').select('id').where('id', '=', v.id), ['id', 'unused']), /unused is not a parameter/);
      } finally {
        await done();
      }
    });
  });
}

describe('recent items', () => {
  const items = (n: number): WorkItem[] => Array.from({ length: n }, (_, i) => ({ key: `k${i}`, op: 'copy', src: { ep: 0, path: `/f${i}` }, size: 1, mtimeMs: 0 }));

  it('keeps at most its bound of JSON characters, oldest out first, and nothing larger than the bound', () => {
    const recent = new RecentItems(100);
    for (let i = 0; i < 10; i++) recent.add(`b${i}`, 'e', items(1), 30);
    assert.equal(recent.size, 3);
    assert.equal(recent.take('b6'), undefined, 'evicted');
    assert.equal(recent.take('b9')?.length, 1);
    assert.equal(recent.take('b9'), undefined, 'taken once');
    recent.add('huge', 'e', items(1), 101);
    assert.equal(recent.take('huge'), undefined);
    assert.equal(recent.size, 2);
  });

  it('keeps a copy of the list: the caller may reuse its own', () => {
    const recent = new RecentItems();
    const list = items(2);
    recent.add('b', 'e', list, 10);
    list.length = 0;
    assert.equal(recent.take('b')?.length, 2);
  });
});

describe('work queue claims on SQLite', () => {
  it('find the next batch of an execution through its index, in order: no queued batch of any execution read and sorted per claim', async () => {
    const { store, done } = await openTestStore('sqlite', 'wqplan');
    try {
      await seed(store.db, ['e', 'f']);
      const queue = new SqlWorkQueue(store.db, store.dialect);
      await queue.enqueue('e', [batch(0), batch(1), batch(2)], cp, T0);
      await queue.enqueue('f', [batch(0)], cp, T0);
      const statement = (queue as unknown as { q: { claim: { compiled: { sql: string; parameters: readonly unknown[] } } } }).q.claim.compiled;
      const plan = store.sqlite!.prepare(`EXPLAIN QUERY PLAN ${statement.sql}`).all(...statement.parameters.map(() => 'x')) as Array<{ detail: string }>;
      const details = plan.map((p) => p.detail);
      assert.ok(details.some((d) => d.includes('USING INDEX work_batches_next (execution_id=? AND state=?)')), details.join('\n'));
      assert.ok(!details.some((d) => d.includes('TEMP B-TREE')), details.join('\n'));
      // And it still takes them in order, one execution's at a time.
      assert.deepEqual([(await queue.claim('e', 'm', 30_000, T0))?.seq, (await queue.claim('e', 'm', 30_000, T0))?.seq], [0, 1]);
      assert.equal((await queue.claim('f', 'm', 30_000, T0))?.seq, 0);
    } finally {
      await done();
    }
  });
});

for (const dialect of testDialects()) {
  describe(`work queue items apart from the row (${dialect})`, () => {
    it('a batch whose items are gone fails its claim loudly instead of running as empty', async () => {
      const { store, done } = await openTestStore(dialect, 'wqgone');
      try {
        await seed(store.db, ['e']);
        const here = new SqlWorkQueue(store.db, store.dialect);
        const elsewhere = new SqlWorkQueue(store.db, store.dialect);
        const [id] = await here.enqueue('e', [batch(0)], cp, T0);
        await store.db.deleteFrom('work_batch_items').where('batch_id', '=', id!).execute();
        await assert.rejects(elsewhere.claim('e', 'm', 30_000, T0), /has no items/);
      } finally {
        await done();
      }
    });
  });
}
