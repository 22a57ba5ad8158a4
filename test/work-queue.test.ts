/**
 * The embedded work queue (store/work-queue-repository.ts) on a real, migrated store, on each dialect:
 * batches and their checkpoint written together, claims in order under a lease and never twice,
 * pause honoured by the claim itself, heartbeats, release keeping counts, expiry, cancel and totals.
 * Executions come from the API with the engine off, so nothing else touches the queue.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { boot, dialects, pgSkipReason, type Booted } from './helpers/barge.js';
import { copyTask, nasWithShares } from './helpers/fixtures.js';
import { SqlWorkQueue } from '../src/store/work-queue-repository.js';
import type { NewBatch } from '../src/engine/queue/work-queue.js';
import type { ExecutionState } from '../src/domain/execution.js';

if (pgSkipReason()) console.log(`# ${pgSkipReason()}`);

const T0 = new Date('2026-11-29T10:00:00.000Z');
const at = (ms: number) => new Date(T0.getTime() + ms);

function batches(from: number, n: number): NewBatch[] {
  return Array.from({ length: n }, (_, i) => ({
    seq: from + i, files: 1, bytes: 10,
    items: [{ key: `k${from + i}`, op: 'copy' as const, src: { ep: 0, path: `/f${from + i}` }, dst: { ep: 0, path: `/f${from + i}` }, size: 10, mtimeMs: 0 }],
  }));
}

for (const dialect of dialects()) {
  describe(`work queue (${dialect})`, () => {
    let b: Booted;
    let queue: SqlWorkQueue;
    let taskId: string;
    before(async () => {
      b = await boot({ dialect });
      queue = new SqlWorkQueue(b.barge.store.db, b.barge.store.dialect);
      const s = await nasWithShares(b.admin, ['src', 'dst']);
      taskId = (await b.admin.post('/tasks', copyTask(s.src!.id, s.dst!.id))).body.id;
    });
    after(async () => b?.stop());

    /** A new execution in `state` (the engine is off: it stays as set). */
    async function execution(state: ExecutionState): Promise<string> {
      const db = b.barge.store.db;
      await db.updateTable('task_executions').set({ state: 'done', finished_at: T0.toISOString() }).where('task_id', '=', taskId).where('finished_at', 'is', null).execute();
      const r = await b.admin.put(`/tasks/${taskId}/action/run`);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      await db.updateTable('task_executions').set({ state }).where('id', '=', r.body.execution_id).execute();
      return r.body.execution_id;
    }

    it('enqueue writes the batches and the checkpoint together; claims go in order, each batch once', async () => {
      const id = await execution('in_progress');
      await queue.enqueue(id, batches(0, 3), { cursor: '{"ep":0}', addFiles: 3, addBytes: 30, batchesPlanned: 3 }, T0);
      const row = await b.barge.store.db.selectFrom('task_executions').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
      assert.deepEqual([row.walk_cursor, Number(row.nodes_todo), Number(row.size_todo), Number(row.batches_planned)], ['{"ep":0}', 3, 30, 3]);
      assert.ok((await queue.runnable(T0)).includes(id));
      const claims = await Promise.all(Array.from({ length: 5 }, (_, i) => queue.claim(id, `m${i}`, 30_000, T0)));
      const got = claims.filter((c) => c !== undefined);
      assert.deepEqual(got.map((c) => c!.seq).sort(), [0, 1, 2], 'each batch claimed exactly once');
      assert.ok(got.every((c) => c!.attempts === 1 && c!.items.length === 1));
      assert.deepEqual(await queue.openCount(id), { queued: 0, leased: 3 });
      assert.ok(!(await queue.runnable(T0)).includes(id), 'nothing left to claim');
    });

    it('enqueued batches become claimable at the caller\'s now, whatever the wall clock says', async () => {
      const id = await execution('in_progress');
      // Ten years from T0 (and from today): a queue that stamped the wall clock would let this be claimed early.
      const later = at(10 * 365 * 86_400_000);
      await queue.enqueue(id, batches(0, 1), { cursor: 'c', addFiles: 1, addBytes: 10, batchesPlanned: 1 }, later);
      assert.ok(!(await queue.runnable(T0)).includes(id), 'not runnable before its time');
      assert.equal(await queue.claim(id, 'm', 30_000, T0), undefined);
      assert.equal((await queue.claim(id, 'm', 30_000, later))?.seq, 0);
    });

    it('a paused execution is not runnable and its batches cannot be claimed', async () => {
      const id = await execution('paused');
      await queue.enqueue(id, batches(0, 1), { cursor: 'c', addFiles: 1, addBytes: 10, batchesPlanned: 1 }, T0);
      assert.ok(!(await queue.runnable(T0)).includes(id));
      assert.equal(await queue.claim(id, 'm', 30_000, T0), undefined);
    });

    it('release keeps the counts and delays the batch; complete and totals add them up', async () => {
      const id = await execution('in_progress');
      await queue.enqueue(id, batches(0, 2), { cursor: 'c', addFiles: 2, addBytes: 20, batchesPlanned: 2 }, T0);
      const first = await queue.claim(id, 'm', 30_000, T0);
      assert.equal(first?.seq, 0);
      await queue.release(first!.id, { doneFiles: 1, doneBytes: 10, failedFiles: 0 }, T0, at(5000));
      assert.equal((await queue.claim(id, 'm', 30_000, at(1000)))?.seq, 1, 'the released batch waits until its retry time');
      const again = await queue.claim(id, 'm', 30_000, at(6000));
      assert.equal(again?.seq, 0);
      assert.equal(again?.attempts, 2);
      assert.deepEqual(again?.persisted, { doneFiles: 1, doneBytes: 10, failedFiles: 0 });
      await queue.complete(again!.id, { doneFiles: 1, doneBytes: 10, failedFiles: 1 }, at(7000));
      assert.deepEqual(await queue.totals(id), { doneFiles: 1, doneBytes: 10, failedFiles: 1, inflightBytes: 0 });
      assert.deepEqual(await queue.openCount(id), { queued: 0, leased: 1 });
    });

    it('a release records the items finished without ledger rows; the next claim gets them (migration 0019)', async () => {
      const id = await execution('in_progress');
      await queue.enqueue(id, batches(0, 1), { cursor: 'c', addFiles: 1, addBytes: 10, batchesPlanned: 1 }, T0);
      const first = await queue.claim(id, 'm', 30_000, T0);
      assert.equal(first?.finished, undefined, 'nothing recorded before a first claim');
      await queue.release(first!.id, { doneFiles: 1, doneBytes: 10, failedFiles: 0 }, T0, undefined, [[0, 10]]);
      const again = await queue.claim(id, 'm', 30_000, at(1));
      assert.deepEqual(again?.finished, [[0, 10]]);
      // A release that says nothing of them (undefined) keeps the record.
      await queue.release(again!.id, { doneFiles: 1, doneBytes: 10, failedFiles: 0 }, at(2));
      const third = await queue.claim(id, 'm', 30_000, at(3));
      assert.deepEqual(third?.finished, [[0, 10]]);
      assert.equal(third?.attempts, 3);
    });

    it('heartbeats extend only their owner\'s leases; expired leases (or every other owner\'s, at an engine start) return', async () => {
      const id = await execution('in_progress');
      await queue.enqueue(id, batches(0, 3), { cursor: 'c', addFiles: 3, addBytes: 30, batchesPlanned: 3 }, T0);
      const a = await queue.claim(id, 'alive', 1000, T0);
      const d = await queue.claim(id, 'dead', 1000, T0);
      const other = await queue.claim(id, 'other', 10_000, T0);
      const progress = (id: string) => ({ id, doneFiles: 1, doneBytes: 7, failedFiles: 0, inflightBytes: 3 });
      await queue.heartbeat('alive', [progress(a!.id), progress(d!.id)], 1000, at(900)); // d is not alive's: untouched
      // The heartbeat carried a's progress (a dispatcher elsewhere reads it from the store), not d's.
      assert.deepEqual(await queue.totals(id), { doneFiles: 1, doneBytes: 7, failedFiles: 0, inflightBytes: 3 });
      // (Counts include other tests' leases on this store: the batches themselves are checked.)
      assert.ok((await queue.requeueExpired(at(1500), 'alive', false)) >= 1);
      assert.equal((await queue.claim(id, 'x', 1000, at(1500)))?.id, d!.id, 'the dead lease came back; the renewed one did not');
      // At an engine start every other owner's lease is stale, expired or not ('x' and 'other').
      assert.ok((await queue.requeueExpired(at(1600), 'alive', true)) >= 2);
      const back = [await queue.claim(id, 'alive', 1000, at(1600)), await queue.claim(id, 'alive', 1000, at(1600))].map((c) => c?.id).sort();
      assert.deepEqual(back, [d!.id, other!.id].sort());
    });

    it('plannedItems gives back every planned item in walk order, whatever the batches\' state', async () => {
      const id = await execution('in_progress');
      await queue.enqueue(id, batches(0, 250), { cursor: 'c', addFiles: 250, addBytes: 2500, batchesPlanned: 250 }, T0);
      const first = await queue.claim(id, 'm', 30_000, T0);
      await queue.complete(first!.id, { doneFiles: 1, doneBytes: 10, failedFiles: 0 }, T0);
      await queue.claim(id, 'm', 30_000, T0);
      const keys: string[] = [];
      for await (const items of queue.plannedItems(id)) keys.push(...items.map((i) => i.key));
      assert.deepEqual(keys, Array.from({ length: 250 }, (_, i) => `k${i}`), 'all of them, across pages, in order');
    });

    it('cancel ends what is queued or leased; a cancelled batch stays held until its mover lets go or its lease ends', async () => {
      const id = await execution('in_progress');
      await queue.enqueue(id, batches(0, 3), { cursor: 'c', addFiles: 3, addBytes: 30, batchesPlanned: 3 }, T0);
      const held = await queue.claim(id, 'm', 30_000, T0);
      await queue.cancel(id, T0);
      assert.deepEqual(await queue.openCount(id), { queued: 0, leased: 0 });
      assert.equal(await queue.claim(id, 'm', 30_000, T0), undefined);
      assert.equal(await queue.heldAfterCancel(id, at(1000)), 1, 'its mover may still be writing ledger rows');
      assert.equal(await queue.heldAfterCancel(id, at(31_000)), 0, 'a mover that died does not hold it past its lease');
      await queue.abandon(held!.id, 'someone-else', at(1000));
      assert.equal(await queue.heldAfterCancel(id, at(1000)), 1, 'only its own mover lets go');
      await queue.abandon(held!.id, 'm', at(1000));
      assert.equal(await queue.heldAfterCancel(id, at(1000)), 0);
    });

    it('the owners of leased batches are listed; a gone owner\'s batches all return at once', async () => {
      const id = await execution('in_progress');
      await queue.enqueue(id, batches(0, 3), { cursor: 'c', addFiles: 3, addBytes: 30, batchesPlanned: 3 }, T0);
      const gone = `gone-${id}`;
      await queue.claim(id, gone, 60_000, T0);
      await queue.claim(id, gone, 60_000, T0);
      await queue.claim(id, `alive-${id}`, 60_000, T0);
      const owners = await queue.leaseOwners();
      assert.ok(owners.includes(gone) && owners.includes(`alive-${id}`), JSON.stringify(owners));
      assert.equal(await queue.requeueOwner(gone, at(10)), 2);
      assert.deepEqual(await queue.openCount(id), { queued: 2, leased: 1 });
      assert.ok(!(await queue.leaseOwners()).includes(gone));
    });
  });
}
