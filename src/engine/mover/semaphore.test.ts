import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Semaphore } from './semaphore.js';

test('semaphore: light acquisitions share the capacity; the next one waits for a release', async () => {
  const s = new Semaphore(4);
  for (let i = 0; i < 4; i++) await s.acquire();
  assert.equal(s.free, 0);
  let granted = false;
  const waiting = s.acquire().then(() => (granted = true));
  await Promise.resolve();
  assert.equal(granted, false);
  s.release();
  await waiting;
  assert.equal(granted, true);
  assert.equal(s.free, 0);
});

test('semaphore: a heavy waiter at the head is not overtaken by light ones (first come, first served)', async () => {
  const s = new Semaphore(8);
  await s.acquire(undefined, 6);
  const order: string[] = [];
  const heavy = s.acquire(undefined, 8).then(() => order.push('heavy'));
  const light = s.acquire(undefined, 1).then(() => order.push('light'));
  await Promise.resolve();
  assert.deepEqual(order, [], 'two units are free, yet the light one waits behind the heavy one');
  s.release(6);
  await heavy;
  assert.deepEqual(order, ['heavy']);
  s.release(8);
  await light;
  assert.deepEqual(order, ['heavy', 'light']);
  assert.equal(s.free, 7);
});

test('semaphore: a request above the capacity takes all of it instead of waiting forever', async () => {
  const s = new Semaphore(3);
  await s.acquire(undefined, 10);
  assert.equal(s.free, 0);
  s.release(10);
  assert.equal(s.free, 3);
});

test('semaphore: an aborted heavy waiter leaves, and the light waiters behind it are served', async () => {
  const s = new Semaphore(4);
  await s.acquire(undefined, 3);
  const ac = new AbortController();
  const heavy = s.acquire(ac.signal, 4);
  let lightDone = false;
  const light = s.acquire(undefined, 1).then(() => (lightDone = true));
  await Promise.resolve();
  assert.equal(lightDone, false);
  ac.abort(new Error('stop'));
  await assert.rejects(heavy, /stop/);
  await light;
  assert.equal(lightDone, true);
  assert.equal(s.free, 0);
});
