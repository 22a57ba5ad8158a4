/**
 * The engine lease on a real, migrated store, on each dialect: one holder at a time, renewals, expiry,
 * release, and taking over from a holder known to be dead.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Store } from './db.js';
import { SqlEngineLease } from './engine-lease-repository.js';
import { isDeadLocalHolder } from '../engine/dispatcher/engine-lease.js';
import { openTestStore, testDialects } from './test-stores.js';

async function withStore(dialect: Store['dialect'], fn: (store: Store) => Promise<void>): Promise<void> {
  const { store, done } = await openTestStore(dialect, 'lease');
  try {
    await fn(store);
  } finally {
    await done();
  }
}

for (const dialect of testDialects()) {
  describe(`engine lease (${dialect})`, () => {
    it('one holder at a time; renewals extend it; another takes it once expired or released', async () => {
      await withStore(dialect, async (store) => {
        const lease = new SqlEngineLease(store.db);
        const t0 = new Date('2026-11-29T00:00:00.000Z');
        const at = (ms: number) => new Date(t0.getTime() + ms);
        assert.equal(await lease.holder(t0), undefined);
        assert.equal(await lease.acquire('a', t0, 1000), true);
        assert.equal(await lease.acquire('b', at(500), 1000), false, 'held by a');
        assert.equal(await lease.acquire('a', at(900), 1000), true, 'renewed until 1900');
        assert.equal(await lease.acquire('b', at(1500), 1000), false, 'still held after the first term');
        assert.equal(await lease.holder(at(1500)), 'a');
        assert.equal(await lease.holder(at(2000)), undefined, 'expired');
        assert.equal(await lease.acquire('b', at(2000), 1000), true, 'expired: b takes it');
        assert.equal(await lease.acquire('a', at(2100), 1000), false, 'a lost it');
        await lease.release('a');
        assert.equal(await lease.holder(at(2100)), 'b', 'only the holder can release');
        await lease.release('b');
        assert.equal(await lease.acquire('a', at(2200), 1000), true, 'released: taken at once');
        assert.equal(await lease.acquire('b', at(2300), 1000, 'someone-else'), false, 'a dead holder other than the real one changes nothing');
        assert.equal(await lease.acquire('b', at(2300), 1000, 'a'), true, 'taken from a holder known dead');
        assert.equal(await lease.holder(at(2300)), 'b');
      });
    });

    it('racing acquirers: exactly one wins', async () => {
      await withStore(dialect, async (store) => {
        const lease = new SqlEngineLease(store.db);
        const now = new Date();
        const wins = await Promise.all(Array.from({ length: 8 }, (_, i) => lease.acquire(`p${i}`, now, 10_000)));
        assert.equal(wins.filter(Boolean).length, 1);
      });
    });
  });
}

describe('isDeadLocalHolder', () => {
  it('only a host:pid of this host whose process is gone', () => {
    const alive = (pid: number) => pid === 42;
    assert.equal(isDeadLocalHolder('box:7', 'box', alive), true);
    assert.equal(isDeadLocalHolder('box:42', 'box', alive), false, 'alive');
    assert.equal(isDeadLocalHolder('other:7', 'box', alive), false, 'another host: wait for the lease');
    assert.equal(isDeadLocalHolder('custom-name', 'box', alive), false);
    assert.equal(isDeadLocalHolder(`box:${process.pid}`, 'box', () => false), false, 'never this process');
    assert.equal(isDeadLocalHolder(`box:${process.pid}`, 'box'), false);
  });
});
