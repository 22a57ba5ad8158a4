import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { evictUntilBelow, evictionOrder, targetBytes, type EvictionFile } from './eviction-choice.js';

const f = (path: string, size: number, atimeMs: number | undefined, mtimeMs: number): EvictionFile => ({ path, size, atimeMs, mtimeMs });

describe('eviction choice', () => {
  it('orders by access time, then modification time, then path; a file without an access time counts its mtime', () => {
    const files = [f('/d', 1, 300, 10), f('/b', 1, 100, 50), f('/a', 1, 100, 20), f('/c', 1, undefined, 200), f('/e', 1, 100, 20)];
    assert.deepEqual(evictionOrder(files).map((x) => x.path), ['/a', '/e', '/b', '/c', '/d']);
  });

  it('the target is the threshold percentage of the quota, rounded down', () => {
    assert.equal(targetBytes(1000, 50), 500);
    assert.equal(targetBytes(999, 50), 499);
    assert.equal(targetBytes(1000, 0), 0);
    assert.equal(targetBytes(1000, 100), 1000);
  });

  it('evicts the oldest-accessed files until the used bytes are below the target, no more', async () => {
    const files = [f('/new', 400, 900, 900), f('/old', 300, 100, 100), f('/mid', 300, 500, 500), f('/older', 200, 50, 50)];
    const seen: string[] = [];
    const r = await evictUntilBelow(files, 1200, 700, async (x) => (seen.push(x.path), true));
    // 1200 - 200 (older) = 1000 ≥ 700; - 300 (old) = 700 ≥ 700 (not yet below); - 300 (mid) = 400 < 700: stop.
    assert.deepEqual(r.evicted.map((x) => x.path), ['/older', '/old', '/mid']);
    assert.deepEqual(seen, ['/older', '/old', '/mid']);
    assert.equal(r.used, 400);
  });

  it('evicts nothing when the share is already below the target', async () => {
    const r = await evictUntilBelow([f('/a', 10, 1, 1)], 50, 60, async () => assert.fail('nothing to evict'));
    assert.deepEqual(r.evicted, []);
    assert.equal(r.used, 50);
  });

  it('a refused file (changed since its archive) is skipped and the next one is taken', async () => {
    const files = [f('/changed', 500, 1, 1), f('/b', 100, 2, 2), f('/c', 100, 3, 3)];
    const r = await evictUntilBelow(files, 800, 650, async (x) => x.path !== '/changed');
    assert.deepEqual(r.refused.map((x) => x.path), ['/changed']);
    assert.deepEqual(r.evicted.map((x) => x.path), ['/b', '/c']);
    assert.equal(r.used, 600);
  });

  it('runs out of candidates above the target: everything it could evict is gone, the rest stays', async () => {
    const r = await evictUntilBelow([f('/a', 100, 1, 1)], 1000, 100, async () => true);
    assert.deepEqual(r.evicted.map((x) => x.path), ['/a']);
    assert.equal(r.used, 900);
  });

  it('stops when asked (a stop of the execution)', async () => {
    let n = 0;
    const r = await evictUntilBelow([f('/a', 1, 1, 1), f('/b', 1, 2, 2)], 100, 0, async () => true, async () => ++n > 1);
    assert.deepEqual(r.evicted.map((x) => x.path), ['/a']);
  });
});
