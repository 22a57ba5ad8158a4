import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { DriverFeatures, Entry, RestoreResult, StorageDriver, WriteOptions } from '../../storage/driver.js';
import { MEMORY_FEATURES, createMemoryDriver } from '../../storage/memory/memory-driver.js';
import { isStorageError } from '../../storage/errors.js';
import { ExecutionContext, type TaskSnapshot } from '../execution-context.js';
import { runItem } from './item-runner.js';
import type { WorkItem } from '../queue/work-item.js';

/** A memory driver that declares more features than it has, with some methods replaced. */
function dressed(base: StorageDriver, features: Partial<DriverFeatures>, methods: Partial<Record<keyof StorageDriver, unknown>>): StorageDriver {
  const f = { ...MEMORY_FEATURES, ...features };
  return new Proxy(base, {
    get: (target, prop, receiver) => (prop === 'features' ? f : prop in methods ? methods[prop as keyof StorageDriver] : Reflect.get(target, prop, receiver)),
  });
}

async function put(d: StorageDriver, path: string, text: string): Promise<void> {
  const w = await d.openWrite(path);
  w.stream.end(Buffer.from(text));
  await w.commit();
}

function context(options: Record<string, unknown>, src: StorageDriver, dst: StorageDriver): ExecutionContext {
  const snapshot: TaskSnapshot = { id: 't', name: 't', workflow_type: 'data_migration', workflow_action: 'copy', options, metadata: {}, sources: [], destinations: [] };
  return new ExecutionContext('e', 't', snapshot, [{ storageId: 's', driver: src }], [{ storageId: 'd', driver: dst }], 'in_progress');
}

function copyItem(path: string, size: number): WorkItem {
  return { key: path, op: 'copy', src: { ep: 0, path }, dst: { ep: 0, path }, size, mtimeMs: Date.now() };
}

const hooks = { onBytes: () => {}, recordNow: async () => {} };

describe('runItem: cold tiers and inherited Object Lock', () => {
  it('restores from a cold tier first: a restore in progress fails the file (not retried), an available object is copied', async () => {
    const base = await createMemoryDriver({});
    await put(base, 'cold.bin', 'frozen');
    await put(base, 'warm.bin', 'thawed');
    const calls: Array<{ path: string; days?: number; tier?: string }> = [];
    const src = dressed(base, { restoreFromCold: true }, {
      restore: async (path: string, o: { days?: number; tier?: string } = {}): Promise<RestoreResult> => {
        calls.push({ path, days: o.days, tier: o.tier });
        return { state: path === 'cold.bin' ? 'restoring' : 'available' };
      },
    });
    const dst = await createMemoryDriver({});
    const ctx = context({ restoration_expiry_days: 3, retrieval_options_glacier: 'Bulk' }, src, dst);
    await assert.rejects(runItem(ctx, copyItem('cold.bin', 6), undefined, hooks), (err: unknown) => isStorageError(err, 'restoring') && !err.retryable && /3 day/.test(err.message));
    assert.equal(await dst.stat('cold.bin'), null, 'nothing copied while restoring');
    assert.equal((await runItem(ctx, copyItem('warm.bin', 6), undefined, hooks)).status, 'done');
    assert.equal((await dst.stat('warm.bin'))?.size, 6);
    assert.deepEqual(calls, [{ path: 'cold.bin', days: 3, tier: 'Bulk' }, { path: 'warm.bin', days: 3, tier: 'Bulk' }]);
  });

  it('inherit_object_lock_from_source gives each copy its source object\'s lock, and the task\'s own where the source has none', async () => {
    const base = await createMemoryDriver({});
    await put(base, 'locked.bin', 'keep me');
    await put(base, 'plain.bin', 'ordinary');
    const until = Date.now() + 10 * 86_400_000;
    const src = dressed(base, { objectLock: true }, {
      stat: async (path: string): Promise<Entry | null> => {
        const e = await base.stat(path);
        return e && path === 'locked.bin' ? { ...e, lock: { mode: 'COMPLIANCE', retainUntilMs: until, legalHold: true } } : e;
      },
    });
    const dstBase = await createMemoryDriver({});
    const written = new Map<string, WriteOptions>();
    const dst = dressed(dstBase, { objectLock: true }, {
      openWrite: (path: string, o: WriteOptions = {}) => {
        written.set(path, o);
        const { retainUntilMs: _r, lockMode: _m, legalHold: _l, ...rest } = o;
        return dstBase.openWrite(path, rest);
      },
    });
    const ctx = context({ inherit_object_lock_from_source: true, object_lock_mode: 'GOVERNANCE', object_lock_retention_period: 1 }, src, dst);
    await runItem(ctx, copyItem('locked.bin', 7), undefined, hooks);
    await runItem(ctx, copyItem('plain.bin', 8), undefined, hooks);
    const locked = written.get('locked.bin');
    assert.equal(locked?.retainUntilMs, until);
    assert.equal(locked?.lockMode, 'COMPLIANCE');
    assert.equal(locked?.legalHold, true);
    const plain = written.get('plain.bin');
    assert.equal(plain?.lockMode, 'GOVERNANCE', 'the task\'s own lock where the source has none');
    assert.ok(plain?.retainUntilMs !== undefined && Math.abs(plain.retainUntilMs - (Date.now() + 86_400_000)) < 60_000);
    assert.equal(plain?.legalHold, undefined);
  });
});

describe('runItem: failures found while planning', () => {
  it('a fail item throws its recorded error, not retryable, and touches no storage', async () => {
    const src = await createMemoryDriver({});
    const dst = await createMemoryDriver({});
    const item: WorkItem = { key: '0:0:/locked/', op: 'fail', src: { ep: 0, path: '/locked' }, size: 0, mtimeMs: 0, error: { code: 'permission_denied', message: 'folder not listed: denied' } };
    await assert.rejects(runItem(context({}, src, dst), item, undefined, hooks), (err: unknown) => isStorageError(err, 'permission_denied') && !err.retryable && err.message === 'folder not listed: denied' && err.path === '/locked');
    for await (const e of dst.list('/')) assert.fail(`nothing written, found ${e.name}`);
  });
});

describe('runItem: a destination file that appeared after planning', () => {
  it('is never replaced unless conflict_resolution is overwrite; the same bytes there count as the copy', async () => {
    const src = await createMemoryDriver({});
    const dst = await createMemoryDriver({});
    await put(src, 'a.txt', 'source');
    await put(dst, 'a.txt', 'appeared meanwhile');
    for (const conflict of ['ignore', 'rename']) {
      await assert.rejects(runItem(context({ conflict_resolution: conflict }, src, dst), copyItem('a.txt', 6), undefined, hooks), (err: unknown) => isStorageError(err, 'exists') && !err.retryable);
    }
    const move: WorkItem = { ...copyItem('a.txt', 6), op: 'move' };
    await assert.rejects(runItem(context({}, src, dst), move, undefined, hooks), (err: unknown) => isStorageError(err, 'exists'));
    assert.notEqual(await src.stat('a.txt'), null, 'a move that could not publish keeps its source');
    await put(dst, 'same.txt', 'source');
    await put(src, 'same.txt', 'source');
    assert.equal((await runItem(context({}, src, dst), copyItem('same.txt', 6), undefined, hooks)).status, 'done', 'its own earlier copy (a redo)');
    await runItem(context({ conflict_resolution: 'overwrite' }, src, dst), copyItem('a.txt', 6), undefined, hooks);
    const back: Buffer[] = [];
    for await (const c of await dst.openRead('a.txt')) back.push(c as Buffer);
    assert.equal(Buffer.concat(back).toString(), 'source', 'overwrite replaces');
  });
});
