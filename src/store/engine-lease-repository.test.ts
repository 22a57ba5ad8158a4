/**
 * The engine lease on a real, migrated store, on each dialect: one holder at a time, renewals, expiry,
 * release, and taking over from a holder known to be dead.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { openStore, type Store } from './db.js';
import { SqlEngineLease } from './engine-lease-repository.js';
import { isDeadLocalHolder } from '../engine/engine-lease.js';

const PG_URL = process.env.BARGE_TEST_PG_URL;
if (!PG_URL) console.log('# PostgreSQL variant skipped: BARGE_TEST_PG_URL is not set');

async function onBase(statement: string): Promise<void> {
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  try {
    await c.query(statement);
  } finally {
    await c.end();
  }
}

async function withStore(dialect: 'sqlite' | 'postgres', fn: (store: Store) => Promise<void>): Promise<void> {
  if (dialect === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'barge-lease-'));
    const store = await openStore({ kind: 'sqlite', file: join(dir, 'barge.sqlite') });
    try {
      await fn(store);
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
    return;
  }
  const schema = `lease_${process.pid}_${Date.now()}`;
  await onBase(`CREATE SCHEMA ${schema}`);
  const url = new URL(PG_URL!);
  url.searchParams.set('options', `-c search_path=${schema}`);
  const store = await openStore({ kind: 'postgres', url: url.toString() });
  try {
    await fn(store);
  } finally {
    await store.close();
    await onBase(`DROP SCHEMA ${schema} CASCADE`);
  }
}

for (const dialect of PG_URL ? (['sqlite', 'postgres'] as const) : (['sqlite'] as const)) {
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
