/**
 * Permits of `parallel` on a real, migrated store, on each dialect: movers share an execution's
 * total, a dead mover's share comes back when its lease runs out, renewals keep it, and movers asking
 * at once never hold more than the total between them.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PermitRepository } from './permit-repository.js';
import { SqlWorkQueue } from './work-queue-repository.js';
import { openTestStore, testDialects } from './test-stores.js';

const t0 = new Date('2031-03-04T05:06:07.000Z');
const at = (ms: number) => new Date(t0.getTime() + ms);

for (const dialect of testDialects()) {
  describe(`parallel permits (${dialect})`, () => {
    it('shares the total between movers; a release or an expired lease frees a share; renewals keep it', async () => {
      const { store, done } = await openTestStore(dialect, 'permits');
      try {
        const p = new PermitRepository(store.db, store.dialect);
        assert.equal(await p.acquire('e1', 'a', 3, 4, t0, 1000), 3);
        assert.equal(await p.acquire('e1', 'b', 3, 4, t0, 1000), 1, 'what a leaves free');
        assert.equal(await p.acquire('e1', 'c', 3, 4, t0, 1000), 0, 'nothing left');
        assert.equal(await p.acquire('e2', 'c', 3, 4, t0, 1000), 3, 'another execution has its own total');
        assert.deepEqual(Object.fromEntries(await p.held('e1', t0)), { a: 3, b: 1 });
        await p.release('e1', 'a');
        assert.equal(await p.acquire('e1', 'c', 3, 4, at(10), 1000), 3, 'a gave its share back');
        // b renews; c does not (killed): after its lease only b's share is held.
        await p.renew('b', at(900), 1000);
        assert.deepEqual(Object.fromEntries(await p.held('e1', at(1500))), { b: 1 });
        assert.equal(await p.acquire('e1', 'a', 4, 4, at(1500), 1000), 3, "c's expired share is free again");
        assert.equal(await p.acquire('e1', 'b', 4, 4, at(1600), 1000), 1, 'b asks for more: keeps its one');
      } finally {
        await done();
      }
    });

    it("a dead process's permits go with its batches: requeueOwner, and an embedded restart's requeue of every other owner", async () => {
      const { store, done } = await openTestStore(dialect, 'permits');
      try {
        const p = new PermitRepository(store.db, store.dialect);
        const queue = new SqlWorkQueue(store.db, store.dialect);
        assert.equal(await p.acquire('e1', 'dead', 4, 4, t0, 60_000), 4);
        assert.equal(await p.acquire('e1', 'other', 4, 4, t0, 60_000), 0, 'the dead one holds them all, its lease still running');
        await queue.requeueOwner('dead', at(10));
        assert.equal(await p.acquire('e1', 'other', 4, 4, at(20), 60_000), 4, 'freed with its batches');
        assert.equal(await p.acquire('e2', 'old-process', 2, 2, at(30), 60_000), 2);
        await queue.requeueExpired(at(40), 'new-process', true);
        assert.deepEqual(Object.fromEntries(await p.held('e2', at(40))), {}, "the restarted process frees every earlier process's permits");
      } finally {
        await done();
      }
    });

    it('movers asking at once never hold more than the total between them', async () => {
      const { store, done } = await openTestStore(dialect, 'permits');
      try {
        const p = new PermitRepository(store.db, store.dialect);
        for (let round = 0; round < 5; round++) {
          const id = `race-${round}`;
          const got = await Promise.all(Array.from({ length: 12 }, (_, i) => p.acquire(id, `m${i}`, 3, 8, at(round), 60_000)));
          assert.equal(got.reduce((a, b) => a + b, 0), 8, `round ${round}: ${got.join(',')}`);
          const held = [...(await p.held(id, at(round))).values()].reduce((a, b) => a + b, 0);
          assert.equal(held, 8);
        }
      } finally {
        await done();
      }
    });
  });
}
