/**
 * Drive exclusivity: one user per drive, waiters served first come first served (among those that
 * can use the freed drive), a waiter leaving through its AbortSignal, and who holds what.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DriveQueue, type DriveGrant } from './drive-queue.js';

/** Whether a promise has settled, without waiting for it. */
async function settled(p: Promise<unknown>): Promise<boolean> {
  let done = false;
  p.then(() => (done = true), () => (done = true));
  await new Promise((r) => setImmediate(r));
  return done;
}

describe('drive queue', () => {
  it('one user per drive; the next waits and gets it on release, and knows it waited', async () => {
    const q = new DriveQueue(1);
    const a = await q.acquire({ owner: 'exec-a' });
    assert.deepEqual([a.drive, q.holder(0)], [0, 'exec-a']);
    const waits: unknown[] = [];
    const b = q.acquire({ owner: 'exec-b', onWait: (w) => waits.push(w) });
    assert.equal(await settled(b), false, 'exec-b waits while exec-a holds the drive');
    assert.deepEqual(waits, [{ position: 1, holders: ['exec-a'] }]);
    assert.deepEqual(q.waiting(), [{ owner: 'exec-b', drive: undefined }]);
    a.release();
    a.release();
    const gb = await b;
    assert.deepEqual([gb.drive, q.holder(0), q.waiting()], [0, 'exec-b', []]);
  });

  it('serves waiters in arrival order', async () => {
    const q = new DriveQueue(1);
    const first = await q.acquire({ owner: 'first' });
    const order: string[] = [];
    const pending = ['w1', 'w2', 'w3'].map((owner) => q.acquire({ owner }).then((g) => {
      order.push(owner);
      return g;
    }));
    first.release();
    for (const p of pending) (await p).release();
    assert.deepEqual(order, ['w1', 'w2', 'w3']);
  });

  it('a freed drive goes to the earliest waiter that can use it, not to one waiting for another drive', async () => {
    const q = new DriveQueue(2);
    const d0 = await q.acquire({ owner: 'h0', drive: 0 });
    const d1 = await q.acquire({ owner: 'h1', drive: 1 });
    const wants1 = q.acquire({ owner: 'wants-1', drive: 1 });
    const any = q.acquire({ owner: 'any' });
    d0.release();
    const g = await any;
    assert.equal(g.drive, 0, 'drive 0 went to the waiter that takes any drive');
    assert.equal(await settled(wants1), false);
    d1.release();
    assert.equal((await wants1).drive, 1);
  });

  it('a waiter that gives up leaves the queue with `aborted`; the ones behind move up', async () => {
    const q = new DriveQueue(1);
    const held = await q.acquire({ owner: 'holder' });
    const abort = new AbortController();
    const leaving = q.acquire({ owner: 'leaving', signal: abort.signal });
    const next = q.acquire({ owner: 'next' });
    abort.abort();
    await assert.rejects(leaving, { code: 'aborted' });
    assert.deepEqual(q.waiting(), [{ owner: 'next', drive: undefined }]);
    held.release();
    assert.equal((await next).owner, 'next');
    const already = new AbortController();
    already.abort();
    await assert.rejects(q.acquire({ owner: 'late', signal: already.signal }), { code: 'aborted' });
  });

  it('refuses a drive the library does not have', async () => {
    const q = new DriveQueue(2);
    await assert.rejects(q.acquire({ owner: 'x', drive: 2 }), { code: 'invalid_argument' });
    assert.throws(() => new DriveQueue(0), { code: 'invalid_argument' });
    const grants: DriveGrant[] = [await q.acquire({ owner: 'a' }), await q.acquire({ owner: 'b' })];
    assert.deepEqual(grants.map((g) => g.drive), [0, 1]);
  });
});
